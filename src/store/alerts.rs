//! SQL of alerts: raising every due alert of every account in one statement (at most once per
//! kind and ticket, whichever node gets there first), listing and acknowledging them.

use crate::domain::alert::{AlertKind, QUEUE_WAIT_SHARE, SLA_WARNING_SHARE};
use crate::domain::dispatch::Reason;
use crate::domain::ids::{AccountId, AlertId, GroupId, TicketId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, Row};

/// An alert as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Alert {
    pub id: AlertId,
    pub kind: AlertKind,
    pub ticket_id: Option<TicketId>,
    /// The routing group of its ticket, when the ticket was routed to one.
    pub group_id: Option<GroupId>,
    pub created_at: DateTime<Utc>,
    pub acked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, account_id, kind, ticket_id, group_id, created_at, acked_at";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<(AccountId, Alert), sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok((
        row.try_get("account_id")?,
        Alert {
            id: row.try_get("id")?,
            kind: AlertKind::parse(&kind).map_err(|e| sqlx::Error::Decode(e.into()))?,
            ticket_id: row.try_get("ticket_id")?,
            group_id: row.try_get("group_id")?,
            created_at: row.try_get("created_at")?,
            acked_at: row.try_get("acked_at")?,
        },
    ))
}

/// Raises every alert that has come due in any account and was not raised before; answers
/// the new ones with their account. Run by every node: the unique index keeps each once.
pub async fn raise_due(db: impl PgExecutor<'_>) -> Result<Vec<(AccountId, Alert)>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        concat!(
            "WITH due (account_id, kind, ticket_id) AS ( ",
            "SELECT t.account_id, 'sla_warning', t.id FROM accounts a JOIN tickets t ON t.account_id = a.id ",
            "WHERE t.awaiting_reply_since IS NOT NULL AND t.state <> ", state_sql!(Done),
            " AND t.awaiting_reply_since <= now() - make_interval(secs => a.response_sla_seconds * $1) ",
            "UNION ALL SELECT t.account_id, 'sla_breach', t.id FROM accounts a JOIN tickets t ON t.account_id = a.id ",
            "WHERE t.awaiting_reply_since IS NOT NULL AND t.state <> ", state_sql!(Done),
            " AND t.awaiting_reply_since <= now() - make_interval(secs => a.response_sla_seconds) ",
            "UNION ALL SELECT t.account_id, 'queue_wait', t.id FROM accounts a JOIN tickets t ON t.account_id = a.id ",
            "WHERE t.state = ", state_sql!(Queued),
            " AND (t.created_at <= now() - make_interval(secs => a.response_sla_seconds * $2) ",
            "OR EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'ticket.unassigned' AND e.reason = $3)) ",
            "UNION ALL SELECT t.account_id, 'pending_waiting', t.id FROM accounts a JOIN tickets t ON t.account_id = a.id ",
            "WHERE t.state = ", state_sql!(Pending),
            " UNION ALL SELECT t.account_id, 'agent_left', t.id FROM accounts a JOIN tickets t ON t.account_id = a.id ",
            "JOIN users u ON u.id = t.assignee_id WHERE t.state = ", state_sql!(Opened),
            " AND (NOT u.active OR NOT EXISTS (SELECT 1 FROM work_intervals w WHERE w.user_id = u.id AND w.ended_at IS NULL))",
            ") INSERT INTO alerts (account_id, kind, ticket_id, group_id) ",
            "SELECT due.account_id, due.kind, due.ticket_id, (SELECT t.group_id FROM tickets t WHERE t.id = due.ticket_id) FROM due ",
            "ON CONFLICT (account_id, kind, ticket_id) DO NOTHING RETURNING {}"
        ),
        COLUMNS
    ))
    .bind(SLA_WARNING_SHARE)
    .bind(QUEUE_WAIT_SHARE)
    .bind(Reason::ReturnTimer.as_str())
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The account's alerts, newest first: only the unacknowledged ones when `open_only`.
pub async fn list(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    open_only: bool,
    limit: i64,
) -> Result<Vec<Alert>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE account_id = $1 AND ($2 = false OR acked_at IS NULL) \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(account_id)
    .bind(open_only)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| from_row(r).map(|(_, a)| a)).collect()
}

/// Acknowledges one of the account's alerts (a second acknowledgement keeps the first);
/// `None` when the account has no such alert.
pub async fn ack(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: AlertId,
    by: UserId,
) -> Result<Option<Alert>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "UPDATE alerts SET acked_at = coalesce(acked_at, now()), acked_by = coalesce(acked_by, $3) \
         WHERE account_id = $1 AND id = $2 RETURNING {COLUMNS}"
    ))
    .bind(account_id)
    .bind(id)
    .bind(by)
    .fetch_optional(db)
    .await?;
    row.as_ref()
        .map(|r| from_row(r).map(|(_, a)| a))
        .transpose()
}
