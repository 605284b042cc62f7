//! The last statement of an ingest batch: the conversations' own rows, written together once
//! the guests, listings, reservations and threads they hang on are stored. It marks the
//! tickets already open as unanswered, opens the new tickets, stores the messages on them and
//! logs the events, in one round trip: under `target` a batch was some sixteen round trips,
//! and its time went on them rather than on PostgreSQL's work.

use super::{Item, MessageKey};
use crate::domain::ids::{
    AccountId, GroupId, GuestId, ListingId, MessageId, ReservationId, ThreadId, TicketId,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;

/// `$1`–`$3` the tickets already open (id, unanswered since, newest message); `$4`–`$15` the
/// tickets to open; `$16`–`$23` the messages (`tk` the open ticket, if any; a live message on
/// a thread without one goes on the ticket opened for its thread); `$24`–`$27` the events,
/// each naming its message by position (`msg`), whose ticket it is about and, without data
/// of its own, whose id it records. Answers each stored message with its ticket and, when
/// the statement opened that ticket, its creation time; a message stored meanwhile by
/// another writer is skipped (the caller sees it missing).
const STORE: &str = concat!(
    "WITH marked AS (UPDATE tickets t SET \
         awaiting_reply_since = LEAST(COALESCE(t.awaiting_reply_since, u.s), u.s), \
         last_activity_at = GREATEST(t.last_activity_at, u.n) \
       FROM UNNEST($1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS u(id, s, n) WHERE t.id = u.id), \
     opened AS (INSERT INTO tickets (account_id, thread_id, state, stage, channel, language, listing_group, \
         guest_id, reservation_id, listing_id, awaiting_reply_since, entry_point, group_id) \
       SELECT a, t, ",
    state_sql!(Queued),
    ", s, c, l, g, gu, r, li, aw, ep, gr FROM UNNEST($4::bigint[], $5::bigint[], $6::text[], $7::text[], \
         $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::timestamptz[], $14::text[], \
         $15::bigint[]) AS u(a, t, s, c, l, g, gu, r, li, aw, ep, gr) \
       RETURNING thread_id, id, created_at), \
     input AS (SELECT * FROM UNNEST($16::bigint[], $17::bigint[], $18::bigint[], $19::bool[], $20::text[], \
         $21::text[], $22::text[], $23::timestamptz[]) WITH ORDINALITY AS u(a, th, tk, live, c, e, b, s, n)), \
     stored AS (INSERT INTO messages (account_id, thread_id, ticket_id, channel, external_id, direction, body, sent_at) \
       SELECT i.a, i.th, CASE WHEN i.live THEN COALESCE(i.tk, o.id) END, i.c, i.e, 'inbound', i.b, i.s \
       FROM input i LEFT JOIN opened o ON o.thread_id = i.th ORDER BY i.n \
       ON CONFLICT (account_id, channel, external_id) DO NOTHING \
       RETURNING account_id, channel, external_id, id, ticket_id), \
     logged AS (INSERT INTO events (account_id, kind, ticket_id, data, at) \
       SELECT m.account_id, v.k, m.ticket_id, COALESCE(v.d, jsonb_build_object('message_id', m.id)), \
         COALESCE(v.at, now()) \
       FROM UNNEST($24::text[], $25::jsonb[], $26::timestamptz[], $27::bigint[]) WITH ORDINALITY AS v(k, d, at, msg, n) \
       JOIN input i ON i.n = v.msg \
       JOIN stored m ON m.account_id = i.a AND m.channel = i.c AND m.external_id = i.e \
       ORDER BY v.n) \
     SELECT m.account_id, m.channel, m.external_id, m.id, m.ticket_id, o.created_at \
     FROM stored m LEFT JOIN opened o ON o.id = m.ticket_id"
);

/// What [`ConversationColumns::store`] answers for each stored message: its id, its ticket,
/// and the ticket's creation time when the statement opened it.
pub(super) type StoredMessage = (MessageId, Option<TicketId>, Option<DateTime<Utc>>);

/// A row [`STORE`] answers: the message's key, then what [`StoredMessage`] holds.
type StoredRow = (
    AccountId,
    String,
    String,
    MessageId,
    Option<TicketId>,
    Option<DateTime<Utc>>,
);

/// The rows of the statement, as its array parameters.
#[derive(Default)]
pub(super) struct ConversationColumns {
    /// Open tickets with new messages: (ticket, oldest and newest of them).
    pub reopened: Vec<(TicketId, DateTime<Utc>, DateTime<Utc>)>,
    pub tickets: TicketColumns,
    pub messages: MessageColumns,
    pub events: EventColumns,
}

impl ConversationColumns {
    /// Runs the statement; answers the messages it stored, by key.
    pub async fn store(
        self,
        conn: &mut PgConnection,
    ) -> Result<HashMap<MessageKey, StoredMessage>, sqlx::Error> {
        let (ids, since, newest) = super::unzip3(self.reopened.into_iter());
        let (q, m, e) = (self.tickets, self.messages, self.events);
        let rows: Vec<StoredRow> = sqlx::query_as(STORE)
            .bind(&ids)
            .bind(&since)
            .bind(&newest)
            .bind(&q.accounts)
            .bind(&q.threads)
            .bind(&q.stages)
            .bind(&q.channels)
            .bind(&q.languages)
            .bind(&q.groups)
            .bind(&q.guests)
            .bind(&q.reservations)
            .bind(&q.listings)
            .bind(&q.awaiting)
            .bind(&q.entry_points)
            .bind(&q.group_ids)
            .bind(&m.accounts)
            .bind(&m.threads)
            .bind(&m.tickets)
            .bind(&m.live)
            .bind(&m.channels)
            .bind(&m.externals)
            .bind(&m.bodies)
            .bind(&m.sent)
            .bind(&e.kinds)
            .bind(&e.data)
            .bind(&e.at)
            .bind(&e.messages)
            .fetch_all(conn)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(a, c, x, id, ticket, opened_at)| ((a, c, x), (id, ticket, opened_at)))
            .collect())
    }
}

/// The tickets to open.
#[derive(Default)]
pub(super) struct TicketColumns {
    pub accounts: Vec<AccountId>,
    pub threads: Vec<ThreadId>,
    pub stages: Vec<&'static str>,
    pub channels: Vec<String>,
    pub languages: Vec<Option<String>>,
    pub groups: Vec<Option<String>>,
    pub guests: Vec<GuestId>,
    pub reservations: Vec<Option<ReservationId>>,
    pub listings: Vec<Option<ListingId>>,
    pub awaiting: Vec<DateTime<Utc>>,
    pub entry_points: Vec<Option<String>>,
    pub group_ids: Vec<Option<GroupId>>,
}

/// The messages, in the batch's order.
#[derive(Default)]
pub(super) struct MessageColumns {
    accounts: Vec<AccountId>,
    threads: Vec<ThreadId>,
    tickets: Vec<Option<TicketId>>,
    live: Vec<bool>,
    channels: Vec<String>,
    externals: Vec<String>,
    bodies: Vec<String>,
    sent: Vec<DateTime<Utc>>,
}

impl MessageColumns {
    /// Adds `item`'s message on `thread`; `open` is the thread's ticket open before the batch.
    pub fn push(&mut self, item: &Item, thread: ThreadId, open: Option<TicketId>, live: bool) {
        self.accounts.push(item.account_id);
        self.threads.push(thread);
        self.tickets.push(open);
        self.live.push(live);
        self.channels
            .push(item.message.channel.as_str().to_string());
        self.externals
            .push(item.message.message_external_id.clone());
        self.bodies.push(item.message.body.clone());
        self.sent.push(item.message.sent_at);
    }
}

/// The events, in the order they are logged.
#[derive(Default)]
pub(super) struct EventColumns {
    kinds: Vec<&'static str>,
    data: Vec<Option<serde_json::Value>>,
    at: Vec<Option<DateTime<Utc>>>,
    /// The position of the event's message among the messages, from 1.
    messages: Vec<i64>,
}

impl EventColumns {
    /// Adds an event about the `message`th message (from 0); without `data`, it records the
    /// message's id.
    pub fn push(
        &mut self,
        kind: &'static str,
        data: Option<serde_json::Value>,
        at: Option<DateTime<Utc>>,
        message: usize,
    ) {
        self.kinds.push(kind);
        self.data.push(data);
        self.at.push(at);
        self.messages.push(message as i64 + 1);
    }
}
