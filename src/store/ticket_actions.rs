//! Agents' and managers' actions on tickets (open, reply, pending, done), any number of them
//! as one SQL statement: the guarded state changes, the replies with their deliveries, the
//! events, and the tickets as they are afterwards, in one round trip. An action whose guard
//! holds no row (someone else's ticket, a state the action does not apply to, a repeated
//! open) gets the ticket as it is from a second query, so the caller can say why.
//!
//! One statement for a whole batch, rather than one per action, because under `target` the
//! per-statement costs (a round trip, PostgreSQL's executor start for a statement of a dozen
//! nodes) were most of an action's time.

use super::tickets::{self, record_from_row, MessageDelivery, MessageRecord, TicketRecord};
use crate::domain::delivery::DeliveryStatus;
use crate::domain::ids::{AccountId, TicketId, UserId};
use crate::domain::ticket::{Direction, TicketState};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use std::collections::HashMap;

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

/// The statement of a set of actions on distinct tickets, one array element per action:
/// `$1` accounts, `$2` tickets, `$3` actors, `$4` whether each is a manager, `$5` and `$6` the
/// states each applies to and the states they become (comma-separated, in pairs), `$7` the
/// events, `$8` the replies, `$9` the pending notes; with `reply` (the CTE that stores the
/// replies and queues their deliveries, or nothing), `reply_data` (the event's `data` for a
/// reply), `reply_join` (the join of the acted ticket `t` and its reply `rp`) and
/// `reply_columns`. A row for each action that applied.
///
/// `old` locks a ticket only when its action applies to it (`FOR UPDATE` re-checks the guard on
/// the newest row version after waiting), so a refused or repeated action locks and writes
/// nothing. The ticket is found by its key alone (the account is a filter no index serves), so
/// the generic plan of [`probing_plans!`] walks the primary key, action by action. A reply's
/// timings are taken from the ticket before the update, as SPEC §4 defines them. `UPDATE …
/// FROM` changes a row once whatever number of `old` rows match it: hence distinct tickets.
macro_rules! act_sql {
    (reply: $reply:expr, reply_data: $reply_data:expr, reply_join: $reply_join:expr,
     reply_columns: $reply_columns:expr) => {
        concat!(
            "WITH input AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bool[], \
               $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) \
               AS i(account_id, ticket_id, actor, is_manager, froms, tos, event, reply, note)), \
             old AS (SELECT t.id, t.account_id, t.thread_id, t.channel, t.stage, t.awaiting_reply_since, \
                 t.first_response_at, t.created_at, i.actor, i.event, i.reply, i.note, \
                 (string_to_array(i.tos, ','))[array_position(string_to_array(i.froms, ','), t.state)] AS next \
               FROM input i JOIN tickets t ON t.id = i.ticket_id AND t.account_id IS NOT DISTINCT FROM i.account_id \
               WHERE t.state = ANY (string_to_array(i.froms, ',')) AND (i.is_manager OR t.assignee_id = i.actor) \
               FOR UPDATE OF t), ",
            $reply,
            "acted AS (UPDATE tickets tk SET state = o.next, \
                 opened_at = CASE WHEN o.next IN ",
            state_sql!(Looked),
            " THEN COALESCE(tk.opened_at, now()) ELSE tk.opened_at END, \
                 closed_at = CASE WHEN o.next = ",
            state_sql!(Done),
            " THEN now() ELSE tk.closed_at END, \
                 assignee_id = CASE WHEN o.next = ",
            state_sql!(Done),
            " THEN COALESCE(tk.assignee_id, o.actor) ELSE tk.assignee_id END, \
                 pending_note = COALESCE(o.note, tk.pending_note), \
                 awaiting_reply_since = CASE WHEN o.reply IS NOT NULL THEN NULL ELSE tk.awaiting_reply_since END, \
                 last_activity_at = CASE WHEN o.reply IS NOT NULL THEN now() ELSE tk.last_activity_at END, \
                 first_response_at = CASE WHEN o.reply IS NOT NULL THEN COALESCE(tk.first_response_at, now()) \
                   ELSE tk.first_response_at END \
               FROM old o WHERE tk.id = o.id \
               RETURNING tk.*, o.actor AS acted_by, o.event AS acted_event, o.note AS acted_note), \
             logged AS (INSERT INTO events (account_id, kind, ticket_id, agent_id, actor_id, data) \
               SELECT t.account_id, t.acted_event, t.id, t.acted_by, t.acted_by, \
                 CASE ",
            $reply_data,
            "WHEN t.acted_note IS NOT NULL THEN jsonb_build_object('note', t.acted_note) ELSE '{}'::jsonb END \
               FROM acted t ",
            $reply_join,
            ") ",
            view_columns!(),
            ", ",
            $reply_columns,
            " FROM acted t ",
            $reply_join,
            view_joins!()
        )
    };
}

/// Actions of which one or more is a reply: the replies stored, their deliveries queued, their
/// ids in the events.
const ACT_REPLY: &str = act_sql!(
    reply: concat!(
        "reply AS (INSERT INTO messages (account_id, thread_id, ticket_id, channel, direction, author_id, body, \
             sent_at, response_seconds, first_response_seconds, stage, delivery_status) \
           SELECT o.account_id, o.thread_id, o.id, o.channel, 'outbound', o.actor, o.reply, now(), \
             CASE WHEN o.awaiting_reply_since IS NOT NULL THEN GREATEST(0, EXTRACT(EPOCH FROM now() - o.awaiting_reply_since)) END, \
             CASE WHEN o.first_response_at IS NULL THEN GREATEST(0, EXTRACT(EPOCH FROM now() - o.created_at)) END, \
             o.stage, 'queued' \
           FROM old o WHERE o.reply IS NOT NULL \
           RETURNING id, account_id, thread_id, ticket_id, channel, sent_at), \
         queued AS (",
        enqueue_deliveries!("reply"),
        "), "
    ),
    reply_data: "WHEN rp.id IS NOT NULL THEN jsonb_build_object('message_id', rp.id) ",
    reply_join: "LEFT JOIN reply rp ON rp.ticket_id = t.id ",
    reply_columns: "rp.id AS reply_id, rp.sent_at AS reply_sent_at"
);

/// Actions without a reply (open, pending, done): without the replies' parts, whose nodes
/// PostgreSQL would start for every statement whether they ran or not. `$8` holds NULLs.
const ACT: &str = act_sql!(
    reply: "",
    reply_data: "",
    reply_join: "",
    reply_columns: "NULL::bigint AS reply_id, NULL::timestamptz AS reply_sent_at"
);
/// The session of an action writer's own connection: the plans of [`probing_plans!`], and at
/// most 200 ms waiting for a ticket another transaction holds (`lock_timeout`), for every
/// statement. With them in the session rather than in a `BEGIN`, a batch that is one
/// statement ([`in_one_statement`]) is sent as its own transaction: one round trip instead of
/// three.
pub const WRITER_SESSION: &str = concat!(probing_plans!(session), "; SET lock_timeout = '200ms'");

/// Applies the actions in order, each to the ticket as the ones before it left it; `None` for
/// an action whose account has no such ticket. Run it where [`probing_plans!`] hold (its
/// statement's plan is made for them): in a transaction begun with [`super::BEGIN_PROBING`],
/// or on a connection whose session is [`WRITER_SESSION`], where actions
/// [`in_one_statement`] need no transaction block (the read that explains a refused action
/// needs none either).
///
/// Actions on distinct tickets go in one statement; a ticket's second action in the batch goes
/// in the next statement, and so on (a batch rarely holds two actions of one ticket).
pub async fn act_all(
    conn: &mut PgConnection,
    actions: &[ActionSql<'_>],
) -> Result<Vec<Option<Acted>>, sqlx::Error> {
    let mut acted: Vec<Option<Acted>> = actions.iter().map(|_| None).collect();
    for round in rounds(actions) {
        let mut rows = applied_rows(conn, actions, &round).await?;
        for i in round {
            let action = &actions[i];
            acted[i] = match rows.remove(&action.ticket_id) {
                Some(row) => Some(applied(&row, action)?),
                None => tickets::record(&mut *conn, action.account_id, action.ticket_id)
                    .await?
                    .map(|record| Acted {
                        record,
                        applied: false,
                        reply: None,
                    }),
            };
        }
    }
    Ok(acted)
}

/// Whether [`act_all`] applies `actions` with one statement (no ticket has two of them), which
/// is then atomic without a transaction block.
pub fn in_one_statement(actions: &[ActionSql<'_>]) -> bool {
    rounds(actions).len() <= 1
}

/// The actions' indexes in statements of distinct tickets: each action in the first statement
/// that holds no action of its ticket yet, so a ticket's actions keep their order.
fn rounds(actions: &[ActionSql<'_>]) -> Vec<Vec<usize>> {
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    let mut seen: HashMap<TicketId, usize> = HashMap::new();
    for (i, action) in actions.iter().enumerate() {
        let n = seen.entry(action.ticket_id).or_insert(0);
        if *n == rounds.len() {
            rounds.push(Vec::new());
        }
        rounds[*n].push(i);
        *n += 1;
    }
    rounds
}

/// Runs [`ACT`] or [`ACT_REPLY`] for the actions at `round`; answers the rows of those that applied, by ticket.
async fn applied_rows(
    conn: &mut PgConnection,
    actions: &[ActionSql<'_>],
    round: &[usize],
) -> Result<HashMap<TicketId, PgRow>, sqlx::Error> {
    let mut columns = Columns::default();
    for &i in round {
        columns.push(&actions[i]);
    }
    let sql = if columns.replies.iter().any(Option::is_some) {
        ACT_REPLY
    } else {
        ACT
    };
    let rows = sqlx::query(sql)
        .bind(columns.accounts)
        .bind(columns.tickets)
        .bind(columns.actors)
        .bind(columns.managers)
        .bind(columns.froms)
        .bind(columns.tos)
        .bind(columns.events)
        .bind(columns.replies)
        .bind(columns.notes)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|row| Ok((row.try_get("id")?, row)))
        .collect()
}

/// The actions of a statement as its array parameters.
#[derive(Default)]
struct Columns<'a> {
    accounts: Vec<AccountId>,
    tickets: Vec<TicketId>,
    actors: Vec<UserId>,
    managers: Vec<bool>,
    froms: Vec<String>,
    tos: Vec<String>,
    events: Vec<&'a str>,
    replies: Vec<Option<&'a str>>,
    notes: Vec<Option<&'a str>>,
}

impl<'a> Columns<'a> {
    fn push(&mut self, action: &ActionSql<'a>) {
        let states = |pick: fn(&(TicketState, TicketState)) -> TicketState| {
            action
                .transitions
                .iter()
                .map(|t| pick(t).as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        self.accounts.push(action.account_id);
        self.tickets.push(action.ticket_id);
        self.actors.push(action.actor);
        self.managers.push(action.is_manager);
        self.froms.push(states(|t| t.0));
        self.tos.push(states(|t| t.1));
        self.events.push(action.event);
        self.replies.push(action.reply);
        self.notes.push(action.note);
    }
}

/// What an applied action's row says.
fn applied(row: &PgRow, action: &ActionSql<'_>) -> Result<Acted, sqlx::Error> {
    let mut record = record_from_row(row)?;
    let reply = match (row.try_get("reply_id")?, action.reply) {
        (Some(id), Some(body)) => {
            // The statement's snapshot predates the reply, so its preview is set here.
            record.last_message = Some((Direction::Outbound, body.chars().take(140).collect()));
            Some(MessageRecord {
                id,
                ticket_id: Some(record.id),
                direction: Direction::Outbound,
                body: body.to_string(),
                sent_at: row.try_get("reply_sent_at")?,
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
    Ok(Acted {
        record,
        applied: true,
        reply,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(ticket: i64) -> ActionSql<'static> {
        ActionSql {
            account_id: AccountId(1),
            ticket_id: TicketId(ticket),
            actor: UserId(1),
            is_manager: false,
            transitions: &[],
            event: "ticket.opened",
            reply: None,
            note: None,
        }
    }

    #[test]
    fn a_tickets_later_actions_go_in_later_statements_in_their_order() {
        let actions = [on(1), on(2), on(1), on(3), on(1), on(2)];
        assert_eq!(rounds(&actions), vec![vec![0, 1, 3], vec![2, 5], vec![4]]);
    }

    #[test]
    fn actions_on_distinct_tickets_share_one_statement() {
        let actions = [on(5), on(3), on(9)];
        assert_eq!(rounds(&actions), vec![vec![0, 1, 2]]);
        assert!(in_one_statement(&actions));
        assert!(rounds(&[]).is_empty());
        assert!(!in_one_statement(&[on(5), on(3), on(5)]));
    }
}
