//! The live queries of the wallboard: only open tickets, open intervals and today's replies,
//! each through an index, never the history.

use super::tickets::{record_from_row, TicketRecord, VIEW_SELECT};
use crate::domain::ids::{AccountId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Counts and ages of the open tickets.
#[derive(Debug, Default)]
pub struct Queue {
    pub queued: i64,
    pub oldest_queued: Option<DateTime<Utc>>,
    pub unanswered: i64,
    pub oldest_unanswered: Option<DateTime<Utc>>,
}

pub async fn queue(pool: &PgPool, account_id: AccountId) -> Result<Queue, sqlx::Error> {
    let (queued, oldest_queued): (i64, Option<DateTime<Utc>>) = sqlx::query_as(concat!(
        "SELECT count(*), min(created_at) FROM tickets WHERE account_id = $1 AND state = ",
        state_sql!(Queued)
    ))
    .bind(account_id)
    .fetch_one(pool)
    .await?;
    let (unanswered, oldest_unanswered): (i64, Option<DateTime<Utc>>) = sqlx::query_as(concat!(
        "SELECT count(*), min(awaiting_reply_since) FROM tickets WHERE account_id = $1 ",
        "AND awaiting_reply_since IS NOT NULL AND state <> ",
        state_sql!(Done)
    ))
    .bind(account_id)
    .fetch_one(pool)
    .await?;
    Ok(Queue {
        queued,
        oldest_queued,
        unanswered,
        oldest_unanswered,
    })
}

/// The queue of every account together: (queued tickets, the oldest one's creation). The one
/// query not scoped by account, for the node's operational figures; each account's queue is
/// still read through its `(account_id, state, created_at)` index, never the whole table.
pub async fn queue_of_every_account(
    conn: &mut sqlx::PgConnection,
) -> Result<(i64, Option<DateTime<Utc>>), sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT coalesce(sum(q.n), 0)::BIGINT, min(q.oldest) FROM accounts a CROSS JOIN LATERAL ",
        "(SELECT count(*) AS n, min(created_at) AS oldest FROM tickets t ",
        "WHERE t.account_id = a.id AND t.state = ",
        state_sql!(Queued),
        ") q"
    ))
    .fetch_one(conn)
    .await
}

/// Per agent: (agent, unanswered, active) over their assigned, opened and pending tickets.
pub async fn loads(
    pool: &PgPool,
    account_id: AccountId,
) -> Result<Vec<(UserId, i64, i64)>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT assignee_id, count(*) FILTER (WHERE awaiting_reply_since IS NOT NULL), count(*) FROM tickets ",
        "WHERE account_id = $1 AND state IN ",
        state_sql!(Active),
        " GROUP BY assignee_id"
    ))
    .bind(account_id)
    .fetch_all(pool)
    .await
}

/// When each working agent's timer started.
pub async fn working_since(
    pool: &PgPool,
    account_id: AccountId,
) -> Result<Vec<(UserId, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT user_id, started_at FROM work_intervals WHERE account_id = $1 AND ended_at IS NULL",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await
}

/// Open tickets matching `condition` (a fixed SQL fragment), oldest first, at most 50.
async fn tickets_where(
    pool: &PgPool,
    account_id: AccountId,
    condition: &str,
    bind: Option<DateTime<Utc>>,
) -> Result<Vec<TicketRecord>, sqlx::Error> {
    let sql = format!("{VIEW_SELECT} WHERE t.account_id = $1 AND {condition} ORDER BY t.created_at, t.id LIMIT 50");
    let mut q = sqlx::query(&sql).bind(account_id);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    q.fetch_all(pool)
        .await?
        .iter()
        .map(record_from_row)
        .collect()
}

/// Unanswered tickets whose guest has waited longer than the SLA.
pub async fn breaching(
    pool: &PgPool,
    account_id: AccountId,
    waiting_since_before: DateTime<Utc>,
) -> Result<Vec<TicketRecord>, sqlx::Error> {
    tickets_where(
        pool,
        account_id,
        concat!(
            "t.state <> ",
            state_sql!(Done),
            " AND t.awaiting_reply_since < $2"
        ),
        Some(waiting_since_before),
    )
    .await
}

/// How many open tickets have waited for a reply since before `cutoff` (every one, where
/// [`breaching`] lists at most 50).
pub async fn waiting_since_before(
    pool: &PgPool,
    account_id: AccountId,
    cutoff: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "SELECT count(*) FROM tickets WHERE account_id = $1 AND state <> ",
        state_sql!(Done),
        " AND awaiting_reply_since < $2"
    ))
    .bind(account_id)
    .bind(cutoff)
    .fetch_one(pool)
    .await
}

/// Tickets waiting for a manager.
pub async fn pending(
    pool: &PgPool,
    account_id: AccountId,
) -> Result<Vec<TicketRecord>, sqlx::Error> {
    tickets_where(
        pool,
        account_id,
        concat!("t.state = ", state_sql!(Pending)),
        None,
    )
    .await
}

/// Opened or pending tickets of these agents (the ones who left).
pub async fn held_by(
    pool: &PgPool,
    account_id: AccountId,
    agents: &[UserId],
) -> Result<Vec<TicketRecord>, sqlx::Error> {
    if agents.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{VIEW_SELECT} WHERE t.account_id = $1 AND t.state IN ({}, {}) AND t.assignee_id = ANY($2) ORDER BY t.created_at LIMIT 50",
        state_sql!(Opened),
        state_sql!(Pending)
    );
    sqlx::query(&sql)
        .bind(account_id)
        .bind(agents)
        .fetch_all(pool)
        .await?
        .iter()
        .map(record_from_row)
        .collect()
}

/// Tickets closed and assigned today.
pub async fn today_counts(
    pool: &PgPool,
    account_id: AccountId,
    since: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE kind = 'ticket.done'), count(*) FILTER (WHERE kind = 'ticket.assigned') FROM events \
         WHERE account_id = $1 AND kind IN ('ticket.done', 'ticket.assigned') AND at >= $2",
    )
    .bind(account_id)
    .bind(since)
    .fetch_one(pool)
    .await
}
