//! The append-only event log: every state change with its time, actor and reason. The
//! metrics are computed from it, so every write path that changes a ticket or a work state
//! appends here in the same transaction.

use crate::domain::ids::{AccountId, TicketId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// One entry of the log.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    pub account_id: AccountId,
    pub kind: &'a str,
    pub ticket_id: Option<TicketId>,
    /// The agent the event is about.
    pub agent_id: Option<UserId>,
    /// Who caused it; `None` for the system.
    pub actor_id: Option<UserId>,
    pub reason: Option<&'a str>,
    pub data: Option<serde_json::Value>,
    /// When it happened; `None` is the transaction's `now()`.
    pub at: Option<DateTime<Utc>>,
}

/// Appends one event.
pub async fn append(db: impl PgExecutor<'_>, e: NewEvent<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO events (account_id, kind, ticket_id, agent_id, actor_id, reason, data, at) \
         VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '{}'::jsonb), COALESCE($8, now()))",
    )
    .bind(e.account_id)
    .bind(e.kind)
    .bind(e.ticket_id)
    .bind(e.agent_id)
    .bind(e.actor_id)
    .bind(e.reason)
    .bind(e.data)
    .bind(e.at)
    .execute(db)
    .await?;
    Ok(())
}

/// One entry of a ticket's activity log, with the names of whom it is about and who did it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub reason: Option<String>,
    pub agent_id: Option<UserId>,
    pub agent_name: Option<String>,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
}

/// The `ticket.*` events of a ticket of the account, oldest first (at most 500).
pub async fn of_ticket(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ticket_id: TicketId,
) -> Result<Vec<TicketEvent>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.at, e.kind, e.reason, e.agent_id, ag.name AS agent_name, e.actor_id, \
         ac.name AS actor_name FROM events e \
         LEFT JOIN users ag ON ag.id = e.agent_id LEFT JOIN users ac ON ac.id = e.actor_id \
         WHERE e.ticket_id = $2 AND e.account_id = $1 AND e.kind LIKE 'ticket.%' \
         ORDER BY e.at, e.id LIMIT 500",
    )
    .bind(account_id)
    .bind(ticket_id)
    .fetch_all(db)
    .await
}
