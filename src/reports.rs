//! Productivity reports (SPEC §4): a row per agent and a team row, for any period in the
//! account's timezone, optionally with the previous period of equal length.

use crate::domain::metrics::intervals::work_and_invisible;
use crate::domain::metrics::period::Period;
use crate::domain::metrics::row::{Figures, ReportRow};
use crate::domain::user::Role;
use crate::store;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Rows for every agent (agents always, managers when they did something) and the team.
#[derive(Debug, Clone)]
pub struct Report {
    pub period: Period,
    pub agents: Vec<ReportRow>,
    pub team: ReportRow,
}

/// Computes the report of an account for a period.
pub async fn build(
    pool: &PgPool,
    account_id: i64,
    sla_seconds: i32,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Report, sqlx::Error> {
    let users = store::users::list(pool, account_id).await?;
    let mut raw =
        store::reports::load(pool, account_id, period.from, period.to, sla_seconds).await?;
    let mut team = raw.team_replies.clone();
    let mut agents = Vec::new();
    for user in users {
        let mut f = raw.by_agent.remove(&user.id).unwrap_or_default();
        let work = raw.work.remove(&user.id).unwrap_or_default();
        let paused = raw.paused.remove(&user.id).unwrap_or_default();
        (f.work_seconds, f.invisible_seconds) =
            work_and_invisible(&work, &paused, period.from, period.to, now);
        if user.role == Role::Manager && f == Figures::default() {
            continue;
        }
        add_sums(&mut team, &f);
        agents.push(ReportRow::new(Some((user.id, user.name)), &f));
    }
    Ok(Report {
        period,
        agents,
        team: ReportRow::new(None, &team),
    })
}

/// Adds an agent's countable figures to the team (distributions come from all replies).
fn add_sums(team: &mut Figures, f: &Figures) {
    team.incoming += f.incoming;
    for (reason, n) in &f.reassigned_away {
        *team.reassigned_away.entry(reason.clone()).or_default() += n;
    }
    team.pending += f.pending;
    team.closed += f.closed;
    team.work_seconds += f.work_seconds;
    team.invisible_seconds += f.invisible_seconds;
    team.replied_pre_booking += f.replied_pre_booking;
    team.converted += f.converted;
    team.sales_cents += f.sales_cents;
}
