//! Follow-ups (issue 14) as rows: parking a ticket until a time, and taking back the parked
//! tickets whose time came (or whose guest wrote again) into the queue. The sweeper of every
//! node may run [`take_due`] at once: each ticket is taken by exactly one of them (the rows
//! are locked and skipped by the others).

use super::dispatch_state::{self, OpenTicket};
use crate::domain::ids::{AccountId, TicketId, UserId};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

/// A follow-up to store.
pub struct Park<'a> {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub at: DateTime<Utc>,
    pub note: &'a str,
    /// Who parks it.
    pub by: UserId,
    pub now: DateTime<Utc>,
}

/// Parks the ticket unless it is done (`false`: done, or not the account's); a ticket
/// parked already gets the new time and note. It comes back to its assignee as of now (to
/// nobody in particular while it is queued). The event `ticket.follow_up` is written with it.
pub async fn park(conn: &mut PgConnection, p: &Park<'_>) -> Result<bool, sqlx::Error> {
    let parked = sqlx::query(concat!(
        "UPDATE tickets SET follow_up_at = $3, follow_up_note = $4, follow_up_by = $5, \
         follow_up_set_at = $6, follow_up_agent = CASE WHEN follow_up_at IS NULL \
         THEN assignee_id ELSE follow_up_agent END \
         WHERE ",
        by_own_id!(),
        " AND state <> ",
        state_sql!(Done),
        " RETURNING follow_up_agent"
    ))
    .bind(p.account_id)
    .bind(p.ticket_id)
    .bind(p.at)
    .bind(p.note)
    .bind(p.by)
    .bind(p.now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = parked else {
        return Ok(false);
    };
    let agent: Option<UserId> = row.try_get("follow_up_agent")?;
    sqlx::query(
        "INSERT INTO events (account_id, ticket_id, kind, agent_id, actor_id, reason, at, data) \
         VALUES ($1, $2, 'ticket.follow_up', $3, $4, NULL, $5, jsonb_build_object('at', $6::timestamptz))",
    )
    .bind(p.account_id)
    .bind(p.ticket_id)
    .bind(agent)
    .bind(p.by)
    .bind(p.now)
    .bind(p.at)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// A parked ticket taken back into the queue.
#[derive(Debug, Clone)]
pub struct Returned {
    pub account_id: AccountId,
    /// As the dispatcher sees it (queued, nobody's).
    pub ticket: OpenTicket,
    /// Who parked it, to get it back.
    pub agent: Option<UserId>,
}

/// Takes up to `limit` parked tickets that come back at `now` (their time came, or their guest
/// wrote after they were parked; `domain::follow_up::comes_back`) and puts them back in the
/// queue, nobody's, their follow-up cleared. A done ticket's follow-up is only cleared.
pub async fn take_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Returned>, sqlx::Error> {
    sqlx::query(concat!(
        "UPDATE tickets SET follow_up_at = NULL, follow_up_note = NULL, follow_up_agent = NULL, \
         follow_up_by = NULL, follow_up_set_at = NULL \
         WHERE follow_up_at IS NOT NULL AND state = ",
        state_sql!(Done)
    ))
    .execute(&mut *conn)
    .await?;
    let rows = sqlx::query(concat!(
        "WITH due AS (SELECT id FROM tickets WHERE follow_up_at IS NOT NULL AND (follow_up_at <= $1 \
           OR awaiting_reply_since > follow_up_set_at) ORDER BY follow_up_at LIMIT $2 \
           FOR UPDATE SKIP LOCKED) \
         UPDATE tickets t SET state = ",
        state_sql!(Queued),
        ", assignee_id = NULL, assigned_at = NULL, pinned = false, follow_up_at = NULL, \
           follow_up_note = NULL, follow_up_by = NULL, follow_up_set_at = NULL, follow_up_agent = NULL \
         FROM due, tickets old WHERE t.id = due.id AND old.id = due.id \
         RETURNING t.account_id, t.id, old.follow_up_agent"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let account_id: AccountId = row.try_get("account_id")?;
        let id: TicketId = row.try_get("id")?;
        let agent: Option<UserId> = row.try_get("follow_up_agent")?;
        if let Some(ticket) = dispatch_state::ticket(&mut *conn, account_id, id).await? {
            out.push(Returned {
                account_id,
                ticket,
                agent,
            });
        }
    }
    Ok(out)
}
