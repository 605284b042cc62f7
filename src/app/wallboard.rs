//! The live wallboard (SPEC §4): queue and unanswered counts with their ages, agents by state
//! with their loads, today's SLA and response times (the same definitions as the reports), and
//! the tickets at risk. Computed from open tickets and today's index ranges only, and pushed to
//! managers' sockets at most twice a second when something changed.

use super::failure::Failure;
use crate::dispatch::WallboardSource;
use crate::domain::ids::{AccountId, UserId};
use crate::domain::inbox::Viewer;
use crate::domain::metrics::period::Period;
use crate::domain::metrics::row::{Figures, ReportRow};
use crate::domain::metrics::service_level::live_service_level;
use crate::presence::{Presence, PresenceStore};
use crate::store::{self, tickets::TicketRecord};
use crate::wire::TicketView;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;

/// One agent on the wallboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgentTile {
    pub id: UserId,
    pub name: String,
    /// `working`, `paused`, `away` or `offline`.
    pub state: &'static str,
    pub presence: Presence,
    pub working_since: Option<DateTime<Utc>>,
    pub unanswered: i64,
    pub active: i64,
}

/// Today's figures, by the report definitions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Today {
    pub replies: i64,
    /// Today's replies within the SLA (SPEC §4 response SLA): sent replies only.
    pub sla_percent: Option<f64>,
    /// The live service level: today's replies within the SLA out of those replies plus the
    /// tickets waiting past the SLA now, so a backlog shows (`domain::metrics::service_level`).
    pub service_level_percent: Option<f64>,
    /// Open tickets whose guest has waited longer than the SLA, right now.
    pub waiting_past_sla: i64,
    pub avg_response_seconds: Option<f64>,
    pub median_response_seconds: Option<f64>,
    pub closed: i64,
    pub incoming: i64,
}

/// One routing group's queue on the wallboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupTile {
    pub id: crate::domain::ids::GroupId,
    pub name: String,
    pub queued: i64,
    pub oldest_queued_seconds: Option<i64>,
    /// Members working now (timer running, intake open), against the group's `min_agents`.
    pub working: i64,
    pub min_agents: i32,
}

/// The whole wallboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Wallboard {
    pub generated_at: DateTime<Utc>,
    pub queued: i64,
    pub oldest_queued_seconds: Option<i64>,
    pub unanswered: i64,
    pub longest_unanswered_seconds: Option<i64>,
    pub agents_by_state: HashMap<&'static str, usize>,
    pub agents: Vec<AgentTile>,
    /// The queue of each routing group, by id (empty when the account has none).
    pub groups: Vec<GroupTile>,
    pub today: Today,
    pub sla_seconds: i32,
    pub breaching_sla: Vec<TicketView>,
    pub pending: Vec<TicketView>,
    /// Opened or pending tickets of agents who stopped or went away.
    pub at_risk: Vec<TicketView>,
}

/// The wallboard is for managers: its tickets carry the views a manager sees them in.
const MANAGER: Viewer = Viewer {
    user_id: UserId(0),
    is_manager: true,
};

/// An agent's wallboard state from their timer, intake and presence.
pub fn agent_state(working: bool, paused: bool, presence: Presence) -> &'static str {
    match (working, presence) {
        (false, _) | (_, Presence::Offline) => "offline",
        (true, Presence::Away) => "away",
        (true, Presence::Online) if paused => "paused",
        (true, Presence::Online) => "working",
    }
}

/// Computes wallboards; the dispatcher uses it to push them to managers.
#[derive(Clone)]
pub struct Wallboards {
    pool: PgPool,
    presence: Arc<dyn PresenceStore>,
}

impl Wallboards {
    pub fn new(pool: PgPool, presence: Arc<dyn PresenceStore>) -> Wallboards {
        Wallboards { pool, presence }
    }

    /// The wallboard of an account now.
    #[tracing::instrument(skip(self), fields(account_id = %account_id))]
    pub async fn now(&self, account_id: AccountId) -> Result<Wallboard, Failure> {
        Ok(compute(&self.pool, self.presence.as_ref(), account_id).await?)
    }
}

impl WallboardSource for Wallboards {
    fn serialised(
        &self,
        account_id: AccountId,
    ) -> BoxFuture<'static, Result<Arc<RawValue>, String>> {
        let this = self.clone();
        Box::pin(async move {
            let board = this.now(account_id).await.map_err(|e| e.to_string())?;
            let json = serde_json::value::to_raw_value(&board).map_err(|e| e.to_string())?;
            Ok(Arc::from(json))
        })
    }
}

/// Tickets as a manager sees them on the wallboard.
fn for_manager(records: Vec<TicketRecord>, viewer: Viewer) -> Vec<TicketView> {
    records
        .into_iter()
        .map(|t| TicketView::new(t, viewer))
        .collect()
}

/// Computes the wallboard of an account now.
async fn compute(
    pool: &PgPool,
    presence: &dyn PresenceStore,
    account_id: AccountId,
) -> Result<Wallboard, sqlx::Error> {
    let account = store::accounts::get(pool, account_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let now = Utc::now();
    let sla = account.settings.response_sla_seconds;
    let today = Period::today(account.settings.timezone, now);
    let users = store::users::list(pool, account_id).await?;
    let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
    let presences = presence
        .presence_of(account_id, &ids)
        .await
        .unwrap_or_else(|_| vec![Presence::Offline; ids.len()]);
    let (queue, groups, loads, since, (replies, _), (closed, incoming)) = tokio::try_join!(
        store::wallboard::queue(pool, account_id),
        store::groups::queues(pool, account_id),
        store::wallboard::loads(pool, account_id),
        store::wallboard::working_since(pool, account_id),
        store::reports::replies(
            pool,
            account_id,
            today.from,
            now + chrono::Duration::seconds(1),
            sla
        ),
        store::wallboard::today_counts(pool, account_id, today.from),
    )?;
    let loads: HashMap<UserId, (i64, i64)> =
        loads.into_iter().map(|(a, u, t)| (a, (u, t))).collect();
    let since: HashMap<UserId, DateTime<Utc>> = since.into_iter().collect();
    let mut agents = Vec::new();
    let mut left = Vec::new();
    for (user, p) in users.into_iter().zip(presences) {
        let (unanswered, active) = loads.get(&user.id).copied().unwrap_or_default();
        let state = agent_state(user.working, user.intake_paused, p);
        if matches!(state, "offline" | "away") && active > 0 {
            left.push(user.id);
        }
        if !user.active
            || (user.role == crate::domain::user::Role::Manager && !user.working && active == 0)
        {
            continue;
        }
        agents.push(AgentTile {
            id: user.id,
            name: user.name,
            state,
            presence: p,
            working_since: since.get(&user.id).copied(),
            unanswered,
            active,
        });
    }
    let mut agents_by_state: HashMap<&'static str, usize> =
        ["working", "paused", "away", "offline"]
            .into_iter()
            .map(|s| (s, 0))
            .collect();
    for a in &agents {
        *agents_by_state.entry(a.state).or_default() += 1;
    }
    let row = ReportRow::new(
        None,
        &Figures {
            closed,
            incoming,
            ..replies.clone()
        },
    );
    let sla_cutoff = now - chrono::Duration::seconds(i64::from(sla));
    let (breaching_sla, waiting_past_sla, pending, at_risk) = tokio::try_join!(
        store::wallboard::breaching(pool, account_id, sla_cutoff),
        store::wallboard::waiting_since_before(pool, account_id, sla_cutoff),
        store::wallboard::pending(pool, account_id),
        store::wallboard::held_by(pool, account_id, &left),
    )?;
    let age = |t: Option<DateTime<Utc>>| t.map(|t| (now - t).num_seconds().max(0));
    Ok(Wallboard {
        generated_at: now,
        queued: queue.queued,
        oldest_queued_seconds: age(queue.oldest_queued),
        unanswered: queue.unanswered,
        longest_unanswered_seconds: age(queue.oldest_unanswered),
        agents_by_state,
        agents,
        groups: groups
            .into_iter()
            .map(|g| GroupTile {
                id: g.id,
                name: g.name,
                queued: g.queued,
                oldest_queued_seconds: age(g.oldest_queued),
                working: g.working,
                min_agents: g.min_agents,
            })
            .collect(),
        today: Today {
            replies: replies.replies,
            sla_percent: row.sla_percent,
            service_level_percent: live_service_level(
                replies.within_sla,
                replies.timed_replies,
                waiting_past_sla,
            ),
            waiting_past_sla,
            avg_response_seconds: row.avg_response_seconds,
            median_response_seconds: row.median_response_seconds,
            closed,
            incoming,
        },
        sla_seconds: sla,
        breaching_sla: for_manager(breaching_sla, MANAGER),
        pending: for_manager(pending, MANAGER),
        at_risk: for_manager(at_risk, MANAGER),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_states() {
        assert_eq!(agent_state(true, false, Presence::Online), "working");
        assert_eq!(agent_state(true, true, Presence::Online), "paused");
        assert_eq!(agent_state(true, true, Presence::Away), "away");
        assert_eq!(agent_state(true, false, Presence::Offline), "offline");
        assert_eq!(agent_state(false, false, Presence::Online), "offline");
    }
}
