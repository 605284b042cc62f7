//! Productivity reports (SPEC §4): a row per agent and a team row, for any period in the
//! account's timezone, optionally with the previous period of equal length.

use super::account_share::AccountShare;
use super::failure::{failure_from, Failure};
use super::rollups;
use crate::domain::ids::{AccountId, UserId};
use crate::domain::metrics::period::Period;
use crate::domain::metrics::reviews;
use crate::domain::metrics::row::{Figures, ReportRow, CSV_HEADER};
use crate::domain::metrics::sums::Sums;
use crate::domain::user::Role;
use crate::store::{self, accounts::Account};
use crate::wire::{Code, ErrorCode};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    InvalidPeriod(String),
    #[error("account not found")]
    AccountNotFound,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(ReportError);

impl ErrorCode for ReportError {
    fn code(&self) -> Code {
        match self {
            ReportError::InvalidPeriod(_) => Code::InvalidInput,
            ReportError::AccountNotFound => Code::NotFound,
            ReportError::Failure(f) => f.code(),
        }
    }
}

/// Rows for every agent (agents always, managers when they did something) and the team.
#[derive(Debug, Clone)]
pub struct Report {
    pub period: Period,
    pub agents: Vec<ReportRow>,
    pub team: ReportRow,
}

/// Computes the report of an account for a period: the additive figures from the daily
/// rollups and raw rows ([`rollups::sums`]), the rest from the raw rows, and median and p90
/// by the one rule of [`Period::quantiles_are_exact`].
pub async fn build(
    pool: &PgPool,
    account: &Account,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Report, sqlx::Error> {
    let sla = account.settings.response_sla_seconds;
    let exact = async {
        match period.quantiles_are_exact() {
            true => store::reports::replies(pool, account.id, period.from, period.to, sla)
                .await
                .map(Some),
            false => Ok(None),
        }
    };
    let (users, mut sums, mut raw, exact) = tokio::try_join!(
        store::users::list(pool, account.id),
        rollups::sums(pool, account, period, now),
        store::reports::load(pool, account.id, period.from, period.to),
        exact,
    )?;
    let (exact_team, mut exact_by_agent) = match exact {
        Some((team, agents)) => (Some(team), agents.into_iter().collect()),
        None => (None, HashMap::new()),
    };
    // Reviews count for the team even when no agent answered the stay.
    let (mut reviews_by_agent, team_reviews) = reviews::tally(&raw.reviews);
    let mut team_sums = Sums::default();
    let mut team_rest = Figures {
        reviews: team_reviews,
        ..Figures::default()
    };
    let mut agents = Vec::new();
    for user in users {
        let mut s = sums.remove(&user.id.0).unwrap_or_default();
        let rest = raw.by_agent.remove(&user.id.0).unwrap_or_default();
        let mut f = Figures {
            pending: rest.pending,
            converted: rest.converted,
            sales_cents: rest.sales_cents,
            reviews: reviews_by_agent.remove(&user.id).unwrap_or_default(),
            remarketing_tries: rest.remarketing_tries,
            remarketing_booked: rest.remarketing_booked,
            ..s.figures()
        };
        if let Some(e) = exact_by_agent.remove(&user.id.0) {
            (f.median_response, f.p90_response) = (e.median_response, e.p90_response);
        }
        if user.role == Role::Manager && f == Figures::default() {
            continue;
        }
        // The team's pre-booking tickets are the agents' counts added (as its conversions
        // are), so it needs no union of every agent's tickets.
        s.pre_booking_tickets.clear();
        team_sums.add(&s);
        team_rest.pending += f.pending;
        team_rest.replied_pre_booking += f.replied_pre_booking;
        team_rest.converted += f.converted;
        team_rest.sales_cents += f.sales_cents;
        agents.push(ReportRow::new(Some((user.id, user.name)), &f));
    }
    let mut team = Figures {
        pending: team_rest.pending,
        replied_pre_booking: team_rest.replied_pre_booking,
        converted: team_rest.converted,
        sales_cents: team_rest.sales_cents,
        reviews: team_rest.reviews,
        remarketing_tries: raw.remarketing_team.0,
        remarketing_booked: raw.remarketing_team.1,
        ..team_sums.figures()
    };
    if let Some(e) = exact_team {
        (team.median_response, team.p90_response) = (e.median_response, e.p90_response);
    }
    Ok(Report {
        period,
        agents,
        team: ReportRow::new(None, &team),
    })
}

/// Sales as support-team leads know them.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SalesKpis {
    /// Today's sales by the one definition (SPEC §4 `sales`, the team's today): the total
    /// price of reservations converted from pre-booking tickets an agent replied to. An
    /// earlier "confirmed today from any inquiry" figure sat beside it and disagreed.
    pub today_sales: f64,
    /// The currency money figures are in: the one most of the account's reservations use.
    pub currency: Option<String>,
    /// Total price of inquiries and requests still open (created in the last 30 days).
    pub potential_sales: f64,
    pub open_inquiries: i64,
    /// The team's conversion (SPEC §4) over the report period.
    pub conversion_percent: Option<f64>,
    /// The agent with the most converted sales today, if anyone sold.
    pub top_seller_today: Option<AgentSales>,
    /// Converted sales this month, per agent, best first.
    pub sales_this_month_by_agent: Vec<AgentSales>,
}

/// One agent's sales.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AgentSales {
    pub agent_id: Option<UserId>,
    pub agent_name: Option<String>,
    pub sales: f64,
}

fn by_sales(report: &Report) -> Vec<AgentSales> {
    let mut out: Vec<AgentSales> = report
        .agents
        .iter()
        .filter(|r| r.sales > 0.0)
        .map(|r| AgentSales {
            agent_id: r.agent_id,
            agent_name: r.agent_name.clone(),
            sales: r.sales,
        })
        .collect();
    out.sort_by(|a, b| b.sales.total_cmp(&a.sales));
    out
}

/// The sales KPIs of an account, with the team conversion of `current`.
pub async fn sales_kpis(
    pool: &PgPool,
    account: &Account,
    current: &Report,
    now: DateTime<Utc>,
) -> Result<SalesKpis, sqlx::Error> {
    let tz = account.settings.timezone;
    let today = Period::today(tz, now);
    let month = Period::parse(None, None, tz, now).unwrap_or(today);
    let (today_report, month_report) = tokio::try_join!(
        build(pool, account, today, now),
        build(pool, account, month, now)
    )?;
    let (potential_cents, open_inquiries, currency) =
        store::reports::sales_kpis(pool, account.id).await?;
    Ok(SalesKpis {
        today_sales: today_report.team.sales,
        currency,
        potential_sales: potential_cents as f64 / 100.0,
        open_inquiries,
        conversion_percent: current.team.conversion_percent,
        top_seller_today: by_sales(&today_report).into_iter().next(),
        sales_this_month_by_agent: by_sales(&month_report),
    })
}

/// Renders rows as CSV with the SPEC §5 header (the csv writer quotes commas and quotes).
pub fn to_csv(rows: &[&ReportRow]) -> Result<String, Failure> {
    let internal = |e: csv::Error| Failure::Internal(Box::new(e));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER).map_err(internal)?;
    for row in rows {
        w.write_record(row.csv_record()).map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Failure::Internal(e.to_string().into()))?;
    String::from_utf8(bytes).map_err(|e| Failure::Internal(Box::new(e)))
}

/// The team CSV: one row per period, each named for its period in the account's timezone
/// ("Team, this period 2026-11-01 to 2026-11-30", then "Team, previous period …"), so two
/// rows both called "Team" never leave a reader guessing which is which.
pub fn team_csv(reported: &Reported) -> Result<String, Failure> {
    let tz = reported.account.settings.timezone;
    let labelled = |report: &Report, which: &str| {
        let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
        let through = day(report.period.to - chrono::Duration::seconds(1));
        ReportRow {
            agent_name: Some(format!(
                "Team, {which} period {} to {through}",
                day(report.period.from)
            )),
            ..report.team.clone()
        }
    };
    let mut rows = vec![labelled(&reported.current, "this")];
    rows.extend(reported.previous.as_ref().map(|p| labelled(p, "previous")));
    to_csv(&rows.iter().collect::<Vec<_>>())
}

/// A report with the account it is for, and optionally the previous period's.
pub struct Reported {
    pub account: Account,
    pub current: Report,
    pub previous: Option<Report>,
}

/// Builds reports for managers.
#[derive(Clone)]
pub struct Reports {
    pool: PgPool,
    share: Arc<AccountShare>,
}

impl Reports {
    pub fn new(pool: PgPool, share: Arc<AccountShare>) -> Reports {
        Reports { pool, share }
    }

    /// The report of the account for `from`..`to` (this month so far when absent), in the
    /// account's timezone, and the previous period of equal length when `compare`.
    #[tracing::instrument(skip(self), fields(account_id = %account_id))]
    pub async fn period(
        &self,
        account_id: AccountId,
        from: Option<&str>,
        to: Option<&str>,
        compare: bool,
    ) -> Result<Reported, ReportError> {
        let _place = self.share.enter(account_id).await;
        let account = store::accounts::get(&self.pool, account_id)
            .await?
            .ok_or(ReportError::AccountNotFound)?;
        let now = Utc::now();
        let period = Period::parse(from, to, account.settings.timezone, now)
            .map_err(ReportError::InvalidPeriod)?;
        let (current, previous) =
            tokio::try_join!(build(&self.pool, &account, period, now), async {
                match compare {
                    true => build(&self.pool, &account, period.previous(), now)
                        .await
                        .map(Some),
                    false => Ok(None),
                }
            })?;
        Ok(Reported {
            account,
            current,
            previous,
        })
    }

    /// The sales KPIs that go with a team report.
    pub async fn sales(&self, reported: &Reported) -> Result<SalesKpis, ReportError> {
        Ok(sales_kpis(&self.pool, &reported.account, &reported.current, Utc::now()).await?)
    }
}
