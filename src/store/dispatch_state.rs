//! What a dispatcher loads when it (re)starts: every ticket of the account that is not done,
//! with what dispatching needs to know of it.

use super::leases::Held;
use super::tickets::{record_from_row, TicketRecord};
use crate::domain::card::TicketTraits;
use crate::domain::channel::Channel;
use crate::domain::dispatch::Reason;
use crate::domain::ids::{AccountId, TicketId, UserId};
use crate::domain::stage::Stage;
use crate::domain::ticket::TicketState;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Row};

/// An open ticket as the dispatcher sees it.
#[derive(Debug, Clone)]
pub struct OpenTicket {
    pub id: TicketId,
    pub state: TicketState,
    pub assignee_id: Option<UserId>,
    pub unanswered: bool,
    pub traits: TicketTraits,
    pub created_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    /// Who closed the thread's previous ticket.
    pub previous_agent: Option<UserId>,
    /// A manager gave it to its assignee (no automatic move takes it).
    pub pinned: bool,
    /// Agents who let it lapse under the return timer.
    pub lapsed_with: Vec<UserId>,
}

/// Every queued, assigned, opened or pending ticket of the account that is not parked until
/// a follow-up, oldest first.
pub async fn open_tickets(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Vec<OpenTicket>, sqlx::Error> {
    let rows = sqlx::query(concat!(
        "SELECT t.id, t.state, t.assignee_id, t.awaiting_reply_since IS NOT NULL AS unanswered, t.stage, t.channel, \
                t.language, t.listing_group, t.entry_point, t.group_id, t.created_at, t.assigned_at, t.pinned, prev.assignee_id AS previous_agent, \
                ARRAY(SELECT e.agent_id FROM events e WHERE e.ticket_id = t.id AND e.kind = 'ticket.unassigned' \
                      AND e.reason = $2 AND e.agent_id IS NOT NULL) AS lapsed_with \
         FROM tickets t \
         LEFT JOIN LATERAL (SELECT p.assignee_id FROM tickets p WHERE p.thread_id = t.thread_id AND p.state = ",
        state_sql!(Done),
        " ORDER BY p.closed_at DESC NULLS LAST, p.id DESC LIMIT 1) prev ON true \
         WHERE t.account_id = $1 AND t.follow_up_at IS NULL AND t.state <> ",
        state_sql!(Done),
        " ORDER BY t.created_at, t.id"
    ))
    .bind(account_id)
    .bind(Reason::ReturnTimer.as_str())
    .fetch_all(db)
    .await?;
    rows.iter().map(open_ticket).collect()
}

/// One ticket of the account as the dispatcher sees it, whatever its state.
pub async fn ticket(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ticket_id: TicketId,
) -> Result<Option<OpenTicket>, sqlx::Error> {
    let row = sqlx::query(concat!(
        "SELECT t.id, t.state, t.assignee_id, t.awaiting_reply_since IS NOT NULL AS unanswered, t.stage, t.channel, \
                t.language, t.listing_group, t.entry_point, t.group_id, t.created_at, t.assigned_at, t.pinned, NULL::bigint AS previous_agent, \
                ARRAY(SELECT e.agent_id FROM events e WHERE e.ticket_id = t.id AND e.kind = 'ticket.unassigned' \
                      AND e.reason = $3 AND e.agent_id IS NOT NULL) AS lapsed_with \
         FROM tickets t WHERE t.",
        by_own_id!()
    ))
    .bind(account_id)
    .bind(ticket_id)
    .bind(Reason::ReturnTimer.as_str())
    .fetch_optional(db)
    .await?;
    row.as_ref().map(open_ticket).transpose()
}

fn open_ticket(r: &sqlx::postgres::PgRow) -> Result<OpenTicket, sqlx::Error> {
    let decode = |e: String| sqlx::Error::Decode(e.into());
    let state: String = r.try_get("state")?;
    let stage: String = r.try_get("stage")?;
    let channel: String = r.try_get("channel")?;
    Ok(OpenTicket {
        id: r.try_get("id")?,
        state: TicketState::parse(&state).map_err(decode)?,
        assignee_id: r.try_get("assignee_id")?,
        unanswered: r.try_get("unanswered")?,
        traits: TicketTraits {
            stage: Stage::parse(&stage).map_err(decode)?,
            channel: Channel::parse(&channel).map_err(decode)?,
            language: r.try_get("language")?,
            listing_group: r.try_get("listing_group")?,
            entry_point: r.try_get("entry_point")?,
            group: r.try_get("group_id")?,
        },
        created_at: r.try_get("created_at")?,
        assigned_at: r.try_get("assigned_at")?,
        previous_agent: r.try_get("previous_agent")?,
        pinned: r.try_get("pinned")?,
        lapsed_with: r
            .try_get::<Vec<i64>, _>("lapsed_with")?
            .into_iter()
            .map(UserId)
            .collect(),
    })
}

/// Gives a queued ticket to `agent`. `None` when the ticket is no longer queued. The state is
/// a test no index serves (see [`assign_queued_many`]), so the key finds the ticket.
pub async fn assign_queued(
    conn: &mut PgConnection,
    account_id: AccountId,
    ticket_id: TicketId,
    agent: UserId,
) -> Result<Option<()>, sqlx::Error> {
    let done = sqlx::query(concat!(
        "UPDATE tickets SET state = ",
        state_sql!(Assigned),
        ", assignee_id = $3, assigned_at = now() WHERE ",
        by_own_id!(),
        " AND state IS NOT DISTINCT FROM ",
        state_sql!(Queued)
    ))
    .bind(account_id)
    .bind(ticket_id)
    .bind(agent)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(()))
}

/// A manager gives a ticket that is not done to `agent`, whatever its state: a queued ticket
/// becomes assigned, an opened or pending one keeps its state; `pinned` when it is the
/// manager's own choice (not a move that followed from it). Answers the previous assignee, or
/// `None` when the ticket is done or missing.
pub async fn assign_any(
    conn: &mut PgConnection,
    account_id: AccountId,
    ticket_id: TicketId,
    agent: UserId,
    pinned: bool,
) -> Result<Option<Option<UserId>>, sqlx::Error> {
    sqlx::query_scalar(
        concat!(
            "UPDATE tickets t SET assignee_id = $3, assigned_at = now(), pinned = $4, state = CASE WHEN t.state = ",
            state_sql!(Queued),
            " THEN ",
            state_sql!(Assigned),
            " ELSE t.state END \
             FROM (SELECT id, assignee_id FROM tickets WHERE ",
            by_own_id!(),
            " AND state <> ",
            state_sql!(Done),
            " FOR UPDATE) old WHERE t.id = old.id RETURNING old.assignee_id"
        ),
    )
    .bind(account_id)
    .bind(ticket_id)
    .bind(agent)
    .bind(pinned)
    .fetch_optional(conn)
    .await
}

/// Takes an unopened ticket back from `agent` into the queue. False when it is no longer
/// `agent`'s or has been opened meanwhile (an opened ticket is never moved automatically).
pub async fn release_unopened(
    conn: &mut PgConnection,
    account_id: AccountId,
    ticket_id: TicketId,
    agent: UserId,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(concat!(
        "UPDATE tickets SET state = ",
        state_sql!(Queued),
        ", assignee_id = NULL, assigned_at = NULL, pinned = false \
             WHERE ",
        by_own_id!(),
        " AND assignee_id = $3 AND state = ",
        state_sql!(Assigned)
    ))
    .bind(account_id)
    .bind(ticket_id)
    .bind(agent)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives queued tickets to agents and logs a `ticket.assigned` event for each, all of them or
/// none, in one statement that returns the tickets it moved as their frames show them (so
/// nothing is read back to push them). It is its own transaction: send it on a connection
/// whose session is [`super::UNFLUSHED_PROBING_SESSION`] (see `dispatch::persist`), whose
/// plans it needs: planned for its own arrays at every commit, it cost as much planning as
/// running.
///
/// `locked` locks every ticket still queued, in id order, before anything is written (`FOR
/// NO KEY UPDATE` waits for a concurrent change and then tests the newest version), and the
/// update writes only when it locked them all: a ticket that changed meanwhile leaves every
/// ticket of the batch as it was, which a transaction's rollback did before.
///
/// The statement carries the dispatcher's fence ([`lease_held!`]): it moves nothing unless
/// `holder` still holds `lease`, and the lease row stays share-locked until the commit, as
/// with [`super::leases::still_held`], whose round trip it saves. A caller that got no
/// tickets asks `still_held` which of the two it was.
///
/// Each ticket is found by its key alone (the account and the state are tests no index
/// serves, as in [`by_own_id!`]): with `account_id = $1 AND state = 'queued'` the generic plan
/// read every queued ticket of the account through `tickets_queued_by_group` at each commit,
/// cheap while the queue is short and statistics say so, but the whole backlog at every
/// commit once agents come back to a long queue.
pub async fn assign_queued_many(
    conn: &mut PgConnection,
    (holder, lease): (&str, Held),
    assignments: &[(TicketId, UserId, Reason)],
) -> Result<Vec<TicketRecord>, sqlx::Error> {
    const SQL: &str = concat!(
        "WITH fence AS (",
        lease_held!("$1", "$5", "$6"),
        "), v AS (SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS v(id, agent, reason)), \
           locked AS MATERIALIZED (SELECT tk.id FROM v JOIN tickets tk ON tk.id = v.id \
             WHERE tk.account_id IS NOT DISTINCT FROM $1 AND tk.state IS NOT DISTINCT FROM ",
        state_sql!(Queued),
        " AND EXISTS (SELECT 1 FROM fence) ORDER BY tk.id FOR NO KEY UPDATE OF tk), \
           moved AS (UPDATE tickets tk SET state = ",
        state_sql!(Assigned),
        ", assignee_id = v.agent, assigned_at = now() FROM v \
             WHERE tk.id = v.id AND (SELECT count(*) FROM locked) = cardinality($2::bigint[]) \
             RETURNING tk.*, v.reason AS assigned_for), \
           logged AS (INSERT INTO events (account_id, kind, ticket_id, agent_id, reason) \
             SELECT $1, 'ticket.assigned', id, assignee_id, assigned_for FROM moved) ",
        view_columns!(),
        " FROM moved t ",
        view_joins!(),
        " ORDER BY t.id"
    );
    let tickets: Vec<TicketId> = assignments.iter().map(|a| a.0).collect();
    let agents: Vec<UserId> = assignments.iter().map(|a| a.1).collect();
    let reasons: Vec<&str> = assignments.iter().map(|a| a.2.as_str()).collect();
    let rows = sqlx::query(SQL)
        .bind(lease.account_id)
        .bind(&tickets)
        .bind(&agents)
        .bind(&reasons)
        .bind(holder)
        .bind(lease.epoch)
        .fetch_all(conn)
        .await?;
    rows.iter().map(record_from_row).collect()
}
