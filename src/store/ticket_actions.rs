//! An agent's or manager's action on a ticket (open, reply, pending, done) as one SQL statement:
//! the guarded state change, the reply with its deliveries, the event, and the ticket as it is
//! afterwards, in one round trip. When the guard holds no row (someone else's ticket, a state
//! the action does not apply to, a repeated open) a second query reads the ticket as it is,
//! so the caller can say why.

use super::tickets::{self, record_from_row, MessageDelivery, MessageRecord, TicketRecord};
use crate::domain::delivery::DeliveryStatus;
use crate::domain::ids::{AccountId, TicketId, UserId};
use crate::domain::ticket::{Direction, TicketState};
use sqlx::{PgConnection, Row};

/// What the action is, as the statement needs it.
pub struct ActionSql<'a> {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub actor: UserId,
    /// Managers may act on any ticket of the account; agents only on their own.
    pub is_manager: bool,
    /// The (from, to) states the action applies to; any other state changes nothing.
    pub transitions: &'a [(TicketState, TicketState)],
    /// The event written when the action applies (`ticket.opened`, …).
    pub event: &'a str,
    /// A reply to store (and queue for every matching channel connection).
    pub reply: Option<&'a str>,
    /// A pending note to keep on the ticket.
    pub note: Option<&'a str>,
}

/// What the action did.
#[derive(Debug)]
pub struct Acted {
    /// The ticket after the action (or as it is, when it did not apply).
    pub record: TicketRecord,
    /// Whether the action applied (false: the ticket is as it was).
    pub applied: bool,
    /// The reply it stored.
    pub reply: Option<MessageRecord>,
}

/// The statement of an action, with `reply` (the CTEs that store a reply and queue its
/// deliveries, or nothing), the event's `data`, and the reply's id and time. No row when the
/// action does not apply. `old` locks the ticket only when the action applies to it (`FOR
/// UPDATE` re-checks the guard on the newest row version after waiting), so a refused or
/// repeated action locks and writes nothing. The reply's timings are taken from the ticket
/// before the update, as SPEC §4 defines them.
macro_rules! act_sql {
    (reply: $reply:expr, data: $data:expr, reply_columns: $reply_columns:expr) => {
        concat!(
            "WITH old AS (SELECT id, state, thread_id, channel, stage, awaiting_reply_since, first_response_at, created_at \
               FROM tickets WHERE ",
            by_own_id!(),
            " AND state = ANY($5::text[]) AND ($4 OR assignee_id = $3) FOR UPDATE), ",
            $reply,
            "acted AS (UPDATE tickets tk SET state = n.next, \
                 opened_at = CASE WHEN n.next IN ",
            state_sql!(Looked),
            " THEN COALESCE(tk.opened_at, now()) ELSE tk.opened_at END, \
                 closed_at = CASE WHEN n.next = ",
            state_sql!(Done),
            " THEN now() ELSE tk.closed_at END, \
                 assignee_id = CASE WHEN n.next = ",
            state_sql!(Done),
            " THEN COALESCE(tk.assignee_id, $3) ELSE tk.assignee_id END, \
                 pending_note = COALESCE($9, tk.pending_note), \
                 awaiting_reply_since = CASE WHEN $8::text IS NOT NULL THEN NULL ELSE tk.awaiting_reply_since END, \
                 last_activity_at = CASE WHEN $8::text IS NOT NULL THEN now() ELSE tk.last_activity_at END, \
                 first_response_at = CASE WHEN $8::text IS NOT NULL THEN COALESCE(tk.first_response_at, now()) \
                   ELSE tk.first_response_at END \
               FROM (SELECT id, ($6::text[])[array_position($5::text[], state)] AS next FROM old) n \
               WHERE tk.id = n.id RETURNING tk.*), \
             logged AS (INSERT INTO events (account_id, kind, ticket_id, agent_id, actor_id, data) \
               SELECT $1, $7, id, $3, $3, ",
            $data,
            " FROM acted) ",
            view_columns!(),
            ", ",
            $reply_columns,
            " FROM acted t ",
            view_joins!()
        )
    };
}

/// A reply: stored, its deliveries queued, its id in the event.
const ACT_REPLY: &str = act_sql!(
    reply: concat!(
        "reply AS (INSERT INTO messages (account_id, thread_id, ticket_id, channel, direction, author_id, body, sent_at, \
             response_seconds, first_response_seconds, stage, delivery_status) \
           SELECT $1, o.thread_id, o.id, o.channel, 'outbound', $3, $8, now(), \
             CASE WHEN o.awaiting_reply_since IS NOT NULL THEN GREATEST(0, EXTRACT(EPOCH FROM now() - o.awaiting_reply_since)) END, \
             CASE WHEN o.first_response_at IS NULL THEN GREATEST(0, EXTRACT(EPOCH FROM now() - o.created_at)) END, \
             o.stage, 'queued' \
           FROM old o \
           RETURNING id, account_id, thread_id, channel, sent_at), \
         queued AS (",
        enqueue_deliveries!("reply"),
        "), "
    ),
    data: "jsonb_build_object('message_id', (SELECT id FROM reply))",
    reply_columns: "(SELECT id FROM reply) AS reply_id, (SELECT sent_at FROM reply) AS reply_sent_at"
);

/// Any other action (open, pending, done): without the reply's parts, whose nodes PostgreSQL
/// would start for every action whether they ran or not. `$8` (the reply) is NULL.
const ACT: &str = act_sql!(
    reply: "",
    data: "CASE WHEN $9::text IS NOT NULL THEN jsonb_build_object('note', $9::text) ELSE '{}'::jsonb END",
    reply_columns: "NULL::bigint AS reply_id, NULL::timestamptz AS reply_sent_at"
);

/// Applies the action; `None` when the account has no such ticket. An action that does not
/// apply reads the ticket as it is with a second query: refusals and repeated opens are rare,
/// and a fallback branch inside the statement cost every applied action a third of its
/// time (PostgreSQL starts the executor for the branch whether it runs or not).
pub async fn act(
    conn: &mut PgConnection,
    action: ActionSql<'_>,
) -> Result<Option<Acted>, sqlx::Error> {
    let (from, to): (Vec<&str>, Vec<&str>) = action
        .transitions
        .iter()
        .map(|(from, to)| (from.as_str(), to.as_str()))
        .unzip();
    let sql = if action.reply.is_some() {
        ACT_REPLY
    } else {
        ACT
    };
    let row = sqlx::query(sql)
        .bind(action.account_id)
        .bind(action.ticket_id)
        .bind(action.actor)
        .bind(action.is_manager)
        .bind(&from)
        .bind(&to)
        .bind(action.event)
        .bind(action.reply)
        .bind(action.note)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(r) = row else {
        let record = tickets::record(&mut *conn, action.account_id, action.ticket_id).await?;
        return Ok(record.map(|record| Acted {
            record,
            applied: false,
            reply: None,
        }));
    };
    let mut record = record_from_row(&r)?;
    let reply = match (r.try_get("reply_id")?, action.reply) {
        (Some(id), Some(body)) => {
            // The statement's snapshot predates the reply, so its preview is set here.
            record.last_message = Some((Direction::Outbound, body.chars().take(140).collect()));
            Some(MessageRecord {
                id,
                ticket_id: Some(record.id),
                direction: Direction::Outbound,
                body: body.to_string(),
                sent_at: r.try_get("reply_sent_at")?,
                author_id: Some(action.actor),
                delivery: Some(MessageDelivery {
                    status: DeliveryStatus::Queued,
                    attempts: 0,
                    last_error: None,
                }),
            })
        }
        _ => None,
    };
    Ok(Some(Acted {
        record,
        applied: true,
        reply,
    }))
}
