//! SQL of group-committed ingest: a batch of guest messages stored in one transaction with a
//! fixed number of set-based statements, whatever the batch's size.
//!
//! Order: repeats first (a message already stored touches nothing else), then guests,
//! listings, reservations (with their status history), threads, open-or-reuse tickets,
//! messages and events. Rows are locked in key order (see `domain::ingest_batch`), so batches
//! of several nodes cannot deadlock on them; a batch that meets another's insert of the same
//! key fails whole with [`BatchError::Contended`] and is written again.

use crate::domain::card::TicketTraits;
use crate::domain::ids::{
    AccountId, GroupId, GuestId, ListingId, MessageId, ReservationId, ThreadId, TicketId, UserId,
};
use crate::domain::ingest::InboundMessage;
use crate::domain::ingest_batch::{merge_rows, status_changes, StayRow};
use crate::domain::stage::{ReservationStatus, Stage};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::PgConnection;
use std::collections::HashMap;

mod conversations;
use conversations::ConversationColumns;

/// One message of a batch, validated, with the stage a ticket it opens starts in.
#[derive(Debug, Clone)]
pub struct Item {
    pub account_id: AccountId,
    pub message: InboundMessage,
    pub stage: Stage,
}

/// The ids a message is stored under (no ticket for a history message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    pub ticket_id: Option<TicketId>,
    pub message_id: MessageId,
    pub thread_id: ThreadId,
}

/// What became of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    New(Ids),
    /// Already stored (earlier, or earlier in this batch): its ids, nothing written.
    Repeat(Ids),
}

/// A ticket the batch opened.
#[derive(Debug, Clone)]
pub struct Opened {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub created_at: DateTime<Utc>,
    pub previous_agent: Option<UserId>,
    /// The item whose message opened it.
    pub item: usize,
    pub listing_group: Option<String>,
    /// The routing group it was routed to.
    pub group: Option<GroupId>,
}

/// A message stored on a ticket that was open before it (or opened by an earlier message of
/// the batch): its assignee must hear of it.
#[derive(Debug, Clone, Copy)]
pub struct Arrived {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub message_id: MessageId,
}

/// What a committed batch did, for the answers and the dispatchers.
#[derive(Debug, Default)]
pub struct Written {
    /// One per item, in the items' order.
    pub outcomes: Vec<Outcome>,
    pub opened: Vec<Opened>,
    pub arrived: Vec<Arrived>,
}

/// Why a batch wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Another transaction inserted one of the batch's keys meanwhile: write it again.
    #[error("another writer stored the same rows concurrently")]
    Contended,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

type MessageKey = (AccountId, String, String);

fn message_key(item: &Item) -> MessageKey {
    (
        item.account_id,
        item.message.channel.as_str().to_string(),
        item.message.message_external_id.clone(),
    )
}

/// Stores `items` inside the caller's transaction, on a connection whose session is
/// [`super::PROBING_SESSION`] (its statements are planned once per connection); the caller
/// commits.
pub async fn write(conn: &mut PgConnection, items: &[Item]) -> Result<Written, BatchError> {
    // The first item of each message key is written; later ones answer as its repeats.
    let mut first_of: HashMap<MessageKey, usize> = HashMap::new();
    let mut unique = Vec::new();
    for (i, item) in items.iter().enumerate() {
        first_of.entry(message_key(item)).or_insert_with(|| {
            unique.push(i);
            i
        });
    }
    let stored = stored_messages(conn, items, &unique).await?;
    let fresh: Vec<usize> = unique
        .iter()
        .copied()
        .filter(|i| !stored.contains_key(&message_key(&items[*i])))
        .collect();

    let mut outcome_of: HashMap<MessageKey, Outcome> = stored
        .into_iter()
        .map(|(key, ids)| (key, Outcome::Repeat(ids)))
        .collect();
    let mut written = Written::default();
    if !fresh.is_empty() {
        let new = write_fresh(conn, items, &fresh, &mut written).await?;
        outcome_of.extend(new);
    }
    for (i, item) in items.iter().enumerate() {
        let key = message_key(item);
        let outcome = outcome_of[&key];
        written.outcomes.push(match outcome {
            Outcome::New(ids) if first_of[&key] != i => Outcome::Repeat(ids),
            other => other,
        });
    }
    Ok(written)
}

/// The ids of the items' messages already stored.
async fn stored_messages(
    conn: &mut PgConnection,
    items: &[Item],
    unique: &[usize],
) -> Result<HashMap<MessageKey, Ids>, sqlx::Error> {
    let (accounts, channels, externals) = unzip3(unique.iter().map(|i| message_key(&items[*i])));
    let rows: Vec<(AccountId, String, String, Option<TicketId>, MessageId, ThreadId)> =
        sqlx::query_as(
            "SELECT m.account_id, m.channel, m.external_id, m.ticket_id, m.id, m.thread_id \
             FROM UNNEST($1::bigint[], $2::text[], $3::text[]) AS k(account_id, channel, external_id) \
             JOIN messages m ON m.account_id = k.account_id AND m.channel = k.channel \
               AND m.external_id = k.external_id",
        )
        .bind(&accounts)
        .bind(&channels)
        .bind(&externals)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(a, c, e, ticket_id, message_id, thread_id)| {
            (
                (a, c, e),
                Ids {
                    ticket_id,
                    message_id,
                    thread_id,
                },
            )
        })
        .collect())
}

fn unzip3<A, B, C>(rows: impl Iterator<Item = (A, B, C)>) -> (Vec<A>, Vec<B>, Vec<C>) {
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for (x, y, z) in rows {
        a.push(x);
        b.push(y);
        c.push(z);
    }
    (a, b, c)
}

/// Writes the items at `fresh` (each a message not stored yet); answers their outcomes.
async fn write_fresh(
    conn: &mut PgConnection,
    items: &[Item],
    fresh: &[usize],
    written: &mut Written,
) -> Result<HashMap<MessageKey, Outcome>, BatchError> {
    let rows = merge_rows(
        fresh
            .iter()
            .map(|i| (items[*i].account_id, &items[*i].message)),
    );
    let guests = upsert_guests(conn, &rows.guests).await?;
    let listings = upsert_listings(conn, &rows.listings).await?;
    let stays = upsert_stays(conn, &rows.stays, &guests, &listings).await?;
    let threads = upsert_threads(conn, &rows.threads, &guests, &stays).await?;

    // Tickets: every thread with a live message has one open, opened now or before.
    let thread_of = |i: usize| {
        let m = &items[i].message;
        threads[&(
            items[i].account_id,
            m.channel.as_str().to_string(),
            m.thread_external_id.clone(),
        )]
    };
    let live: Vec<usize> = fresh
        .iter()
        .copied()
        .filter(|i| !items[*i].message.history)
        .collect();
    let mut live_threads: Vec<ThreadId> = live.iter().map(|i| thread_of(*i)).collect();
    live_threads.sort_unstable();
    live_threads.dedup();
    let (open, previous) = open_or_previous(conn, &live_threads).await?;
    let mut opens: Vec<(ThreadId, usize)> = Vec::new();
    for i in &live {
        let thread = thread_of(*i);
        if !open.contains_key(&thread) && !opens.iter().any(|(t, _)| *t == thread) {
            opens.push((thread, *i));
        }
    }
    let listing_of = |i: usize| {
        items[i]
            .message
            .reservation
            .as_ref()
            .map(|s| listings[&(items[i].account_id, s.listing_external_id.clone())].clone())
    };
    let stay_of = |i: usize| {
        let m = &items[i].message;
        m.reservation.as_ref().map(|s| {
            stays[&(
                items[i].account_id,
                m.channel.as_str().to_string(),
                s.external_id.clone(),
            )]
        })
    };
    // The oldest live message of each thread: unanswered since then.
    let mut awaiting_since: HashMap<ThreadId, DateTime<Utc>> = HashMap::new();
    for i in &live {
        let sent_at = items[*i].message.sent_at;
        awaiting_since
            .entry(thread_of(*i))
            .and_modify(|at| *at = (*at).min(sent_at))
            .or_insert(sent_at);
    }
    let awaiting = |thread: ThreadId| awaiting_since[&thread];
    // The newest live message of each thread: the open ticket's latest activity.
    let mut newest_sent: HashMap<ThreadId, DateTime<Utc>> = HashMap::new();
    for i in &live {
        let sent_at = items[*i].message.sent_at;
        newest_sent
            .entry(thread_of(*i))
            .and_modify(|at| *at = (*at).max(sent_at))
            .or_insert(sent_at);
    }

    let mut rows = ConversationColumns::default();
    for (thread, ticket) in &open {
        rows.reopened
            .push((*ticket, awaiting(*thread), newest_sent[thread]));
    }
    // The item that opens a ticket: (its previous agent, its routing group).
    let mut opener: HashMap<usize, (Option<UserId>, Option<GroupId>)> = HashMap::new();
    if !opens.is_empty() {
        let mut accounts: Vec<AccountId> =
            opens.iter().map(|(_, i)| items[*i].account_id).collect();
        accounts.sort_unstable();
        accounts.dedup();
        let groups = super::groups::routing_of(&mut *conn, &accounts).await?;
        let q = &mut rows.tickets;
        for (thread, i) in &opens {
            let item = &items[*i];
            let listing = listing_of(*i);
            let traits = TicketTraits {
                stage: item.stage,
                channel: item.message.channel.clone(),
                language: item.message.guest.language.clone(),
                listing_group: listing.as_ref().and_then(|(_, g)| g.clone()),
                entry_point: item.message.entry_point.clone(),
                group: None,
            };
            let group = crate::domain::routing::group_for(
                groups.get(&item.account_id).into_iter().flatten(),
                &traits,
            );
            opener.insert(*i, (previous.get(thread).copied().flatten(), group));
            q.entry_points.push(traits.entry_point.clone());
            q.group_ids.push(group);
            q.accounts.push(item.account_id);
            q.threads.push(*thread);
            q.stages.push(item.stage.as_str());
            q.channels.push(item.message.channel.as_str().to_string());
            q.languages.push(item.message.guest.language.clone());
            q.groups.push(listing.as_ref().and_then(|(_, g)| g.clone()));
            q.guests.push(
                guests[&guest_key(
                    item.account_id,
                    item.message.channel.as_str(),
                    &item.message.guest.external_id,
                )],
            );
            q.reservations.push(stay_of(*i));
            q.listings.push(listing.map(|(id, _)| id));
            q.awaiting.push(awaiting(*thread));
        }
    }
    // Messages, each live one with its events: `ticket.created` for the one that opens a
    // ticket, then `message.received`.
    for (n, i) in fresh.iter().enumerate() {
        let item = &items[*i];
        let thread = thread_of(*i);
        let live = !item.message.history;
        rows.messages
            .push(item, thread, open.get(&thread).copied(), live);
        if !live {
            continue;
        }
        if let Some((previous_agent, group)) = opener.get(i) {
            rows.events.push(
                "ticket.created",
                Some(
                    json!({"stage": item.stage, "channel": item.message.channel.as_str(),
                            "previous_agent_id": previous_agent, "group_id": group}),
                ),
                None,
                n,
            );
        }
        rows.events
            .push("message.received", None, Some(item.message.sent_at), n);
    }
    let stored = rows.store(conn).await.map_err(contended_on_unique)?;
    if stored.len() != fresh.len() {
        return Err(BatchError::Contended);
    }

    let mut outcomes = HashMap::new();
    for i in fresh {
        let item = &items[*i];
        let key = message_key(item);
        let (message_id, ticket_id, opened_at) = stored[&key];
        outcomes.insert(
            key,
            Outcome::New(Ids {
                ticket_id,
                message_id,
                thread_id: thread_of(*i),
            }),
        );
        let Some(ticket_id) = ticket_id else { continue };
        match (opener.get(i), opened_at) {
            (Some((previous_agent, group)), Some(created_at)) => written.opened.push(Opened {
                account_id: item.account_id,
                ticket_id,
                created_at,
                previous_agent: *previous_agent,
                item: *i,
                listing_group: listing_of(*i).and_then(|(_, g)| g),
                group: *group,
            }),
            _ => written.arrived.push(Arrived {
                account_id: item.account_id,
                ticket_id,
                message_id,
            }),
        }
    }
    Ok(outcomes)
}

/// A unique violation means another writer got there first.
fn contended_on_unique(e: sqlx::Error) -> BatchError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => BatchError::Contended,
        _ => BatchError::Database(e),
    }
}

fn guest_key(
    account_id: AccountId,
    channel: &str,
    external_id: &str,
) -> (AccountId, String, String) {
    (account_id, channel.to_string(), external_id.to_string())
}

/// Inserts new guests and updates those whose details changed; answers every guest's id by
/// (account, channel, external id). Only rows that change are locked: an unchanged guest
/// written by several nodes' batches at once holds none of them up.
async fn upsert_guests(
    conn: &mut PgConnection,
    rows: &[crate::domain::ingest_batch::GuestRow],
) -> Result<HashMap<(AccountId, String, String), GuestId>, BatchError> {
    let accounts: Vec<AccountId> = rows.iter().map(|r| r.account_id).collect();
    let channels: Vec<&str> = rows.iter().map(|r| r.channel.as_str()).collect();
    let externals: Vec<&str> = rows.iter().map(|r| r.guest.external_id.as_str()).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.guest.name.as_str()).collect();
    let languages: Vec<Option<&str>> = rows.iter().map(|r| r.guest.language.as_deref()).collect();
    let emails: Vec<Option<&str>> = rows.iter().map(|r| r.guest.email.as_deref()).collect();
    let phones: Vec<Option<&str>> = rows.iter().map(|r| r.guest.phone.as_deref()).collect();
    let stored: Vec<(AccountId, String, String, GuestId)> = sqlx::query_as(
        "WITH input AS (SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
           $6::text[], $7::text[]) AS u(a, c, e, n, l, m, p)), \
         stored AS (SELECT g.*, i.n, i.l, i.m, i.p FROM guests g JOIN input i \
           ON g.account_id = i.a AND g.channel = i.c AND g.external_id = i.e), \
         changing AS (SELECT g.id, s.n, s.l, s.m, s.p FROM guests g JOIN stored s ON g.id = s.id \
           WHERE s.n IS DISTINCT FROM s.name OR (s.l IS NOT NULL AND s.l IS DISTINCT FROM s.language) \
             OR (s.m IS NOT NULL AND s.m IS DISTINCT FROM s.email) OR (s.p IS NOT NULL AND s.p IS DISTINCT FROM s.phone) \
           ORDER BY g.id FOR UPDATE OF g), \
         changed AS (UPDATE guests g SET name = c.n, language = COALESCE(c.l, g.language), \
           email = COALESCE(c.m, g.email), phone = COALESCE(c.p, g.phone) FROM changing c WHERE g.id = c.id), \
         added AS (INSERT INTO guests (account_id, channel, external_id, name, language, email, phone) \
           SELECT a, c, e, n, l, m, p FROM input i \
           WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.account_id = i.a AND s.channel = i.c AND s.external_id = i.e) \
           ORDER BY a, c, e ON CONFLICT (account_id, channel, external_id) DO NOTHING \
           RETURNING account_id, channel, external_id, id) \
         SELECT account_id, channel, external_id, id FROM stored UNION ALL SELECT * FROM added",
    )
    .bind(&accounts)
    .bind(&channels)
    .bind(&externals)
    .bind(&names)
    .bind(&languages)
    .bind(&emails)
    .bind(&phones)
    .fetch_all(conn)
    .await?;
    every_key(
        rows.len(),
        stored.into_iter().map(|(a, c, e, id)| ((a, c, e), id)),
    )
}

/// The ids of a set-based upsert by key, or [`BatchError::Contended`] when some key came
/// back from neither the rows stored before the statement nor its inserts: another writer
/// inserted it meanwhile, and the batch is written again.
fn every_key<K: std::hash::Hash + Eq, V>(
    expected: usize,
    stored: impl Iterator<Item = (K, V)>,
) -> Result<HashMap<K, V>, BatchError> {
    let ids: HashMap<K, V> = stored.collect();
    match ids.len() == expected {
        true => Ok(ids),
        false => Err(BatchError::Contended),
    }
}

/// Inserts new listings and renames those whose name changed; answers (id, listing group)
/// by (account, external id). Only renamed rows are locked: the few listings that most
/// messages name would otherwise queue every node's batches behind each other.
async fn upsert_listings(
    conn: &mut PgConnection,
    rows: &[crate::domain::ingest_batch::ListingRow],
) -> Result<HashMap<(AccountId, String), (ListingId, Option<String>)>, BatchError> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let accounts: Vec<AccountId> = rows.iter().map(|r| r.account_id).collect();
    let externals: Vec<&str> = rows.iter().map(|r| r.external_id.as_str()).collect();
    let names: Vec<Option<&str>> = rows.iter().map(|r| r.name.as_deref()).collect();
    let stored: Vec<(AccountId, String, ListingId, Option<String>)> = sqlx::query_as(
        "WITH input AS (SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[]) AS u(a, e, n)), \
         stored AS (SELECT l.*, i.n FROM listings l JOIN input i ON l.account_id = i.a AND l.external_id = i.e), \
         renaming AS (SELECT l.id, s.n FROM listings l JOIN stored s ON l.id = s.id \
           WHERE s.n IS NOT NULL AND s.n IS DISTINCT FROM s.name ORDER BY l.id FOR UPDATE OF l), \
         renamed AS (UPDATE listings l SET name = r.n FROM renaming r WHERE l.id = r.id), \
         added AS (INSERT INTO listings (account_id, external_id, name) \
           SELECT a, e, COALESCE(n, e) FROM input i \
           WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.account_id = i.a AND s.external_id = i.e) \
           ORDER BY a, e ON CONFLICT (account_id, external_id) DO NOTHING \
           RETURNING account_id, external_id, id, listing_group) \
         SELECT account_id, external_id, id, listing_group FROM stored UNION ALL SELECT * FROM added",
    )
    .bind(&accounts)
    .bind(&externals)
    .bind(&names)
    .fetch_all(conn)
    .await?;
    every_key(
        rows.len(),
        stored
            .into_iter()
            .map(|(a, e, id, group)| ((a, e), (id, group))),
    )
}

/// A reservation as stored before the batch.
type StoredStay = (
    ReservationId,
    AccountId,
    String,
    String,
    String,
    ListingId,
    Option<GuestId>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// Inserts or updates reservations, recording every status change; answers their ids by
/// (account, channel, external id). Two statements: the reservations stored before, locked,
/// then every insert, update and status change at once.
async fn upsert_stays(
    conn: &mut PgConnection,
    rows: &[StayRow],
    guests: &HashMap<(AccountId, String, String), GuestId>,
    listings: &HashMap<(AccountId, String), (ListingId, Option<String>)>,
) -> Result<HashMap<(AccountId, String, String), ReservationId>, BatchError> {
    let mut ids = HashMap::new();
    if rows.is_empty() {
        return Ok(ids);
    }
    let (accounts, channels, externals) = unzip3(
        rows.iter()
            .map(|r| (r.account_id, r.channel.as_str(), r.external_id.as_str())),
    );
    let before: Vec<StoredStay> = sqlx::query_as(
        "SELECT r.id, r.account_id, r.channel, r.external_id, r.status, r.listing_id, r.guest_id, r.check_in, \
           r.check_out, r.total_price_cents, r.currency, r.payment_status \
         FROM reservations r JOIN UNNEST($1::bigint[], $2::text[], $3::text[]) AS k(a, c, e) \
           ON r.account_id = k.a AND r.channel = k.c AND r.external_id = k.e \
         ORDER BY r.id FOR UPDATE OF r",
    )
    .bind(&accounts)
    .bind(&channels)
    .bind(&externals)
    .fetch_all(&mut *conn)
    .await?;
    let before: HashMap<(AccountId, String, String), StoredStay> = before
        .into_iter()
        .map(|s| ((s.1, s.2.clone(), s.3.clone()), s))
        .collect();

    let mut inserts = StayColumns::default();
    let mut updates = StayColumns::default();
    let mut changes: Vec<(AccountId, Option<ReservationId>, usize, ReservationStatus)> = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        let key = (row.account_id, row.channel.clone(), row.external_id.clone());
        let listing_id = listings[&(row.account_id, row.listing_external_id.clone())].0;
        let guest_id = guests[&guest_key(row.account_id, &row.channel, &row.guest_external_id)];
        let confirmed = row.statuses().any(|s| s == ReservationStatus::Confirmed);
        match before.get(&key) {
            None => {
                inserts.push(None, row, listing_id, Some(guest_id), confirmed);
                for status in status_changes(None, row) {
                    changes.push((row.account_id, None, n, status));
                }
            }
            Some(s) => {
                ids.insert(key, s.0);
                let next = (
                    row.status.as_str(),
                    listing_id,
                    Some(guest_id),
                    row.check_in.or(s.7),
                    row.check_out.or(s.8),
                    row.total_price_cents.or(s.9),
                    row.currency.as_deref().or(s.10.as_deref()),
                    row.payment_status.as_deref().or(s.11.as_deref()),
                );
                let was = (
                    s.4.as_str(),
                    s.5,
                    s.6,
                    s.7,
                    s.8,
                    s.9,
                    s.10.as_deref(),
                    s.11.as_deref(),
                );
                if next == was {
                    continue;
                }
                let merged = StayRow {
                    check_in: next.3,
                    check_out: next.4,
                    total_price_cents: next.5,
                    currency: next.6.map(Into::into),
                    payment_status: next.7.map(Into::into),
                    ..row.clone()
                };
                updates.push(Some(s.0), &merged, listing_id, Some(guest_id), confirmed);
                let stored_status = ReservationStatus::parse(&s.4).ok();
                for status in status_changes(stored_status, row) {
                    changes.push((row.account_id, Some(s.0), n, status));
                }
            }
        }
    }
    if inserts.accounts.is_empty() && updates.accounts.is_empty() && changes.is_empty() {
        return Ok(ids);
    }
    let mut change = StatusChangeColumns::default();
    for (account, id, n, status) in &changes {
        // A reservation this statement inserts has no id yet: its key names it.
        let inserted = id.is_none().then(|| &rows[*n]);
        change.accounts.push(*account);
        change.reservations.push(*id);
        change.channels.push(inserted.map(|r| r.channel.as_str()));
        change
            .externals
            .push(inserted.map(|r| r.external_id.as_str()));
        change.statuses.push(status.as_str());
    }
    let inserted: Vec<(AccountId, String, String, ReservationId)> = sqlx::query_as(
        "WITH ins AS (INSERT INTO reservations (account_id, channel, external_id, guest_id, listing_id, status, \
             check_in, check_out, total_price_cents, currency, payment_status, confirmed_at) \
           SELECT a, c, e, g, l, s, ci, co, p, cu, ps, CASE WHEN cf THEN now() END \
           FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::date[], \
             $8::date[], $9::bigint[], $10::text[], $11::text[], $12::bool[]) \
             AS u(a, c, e, g, l, s, ci, co, p, cu, ps, cf) \
           ON CONFLICT (account_id, channel, external_id) DO NOTHING \
           RETURNING account_id, channel, external_id, id), \
         upd AS (UPDATE reservations r SET status = u.s, listing_id = u.l, guest_id = u.g, check_in = u.ci, \
             check_out = u.co, total_price_cents = u.p, currency = u.cu, payment_status = u.ps, updated_at = now(), \
             confirmed_at = COALESCE(r.confirmed_at, CASE WHEN u.cf THEN now() END) \
           FROM UNNEST($13::bigint[], $14::bigint[], $15::bigint[], $16::text[], $17::date[], $18::date[], \
             $19::bigint[], $20::text[], $21::text[], $22::bool[]) AS u(id, g, l, s, ci, co, p, cu, ps, cf) \
           WHERE r.id = u.id), \
         changed AS (INSERT INTO reservation_status_changes (account_id, reservation_id, status) \
           SELECT c.a, COALESCE(c.r, ins.id), c.s \
           FROM UNNEST($23::bigint[], $24::bigint[], $25::text[], $26::text[], $27::text[]) WITH ORDINALITY \
             AS c(a, r, ch, e, s, n) \
           LEFT JOIN ins ON c.r IS NULL AND ins.account_id = c.a AND ins.channel = c.ch AND ins.external_id = c.e \
           WHERE COALESCE(c.r, ins.id) IS NOT NULL ORDER BY c.n) \
         SELECT account_id, channel, external_id, id FROM ins",
    )
    .bind(&inserts.accounts)
    .bind(&inserts.channels)
    .bind(&inserts.externals)
    .bind(&inserts.guests)
    .bind(&inserts.listings)
    .bind(&inserts.statuses)
    .bind(&inserts.check_ins)
    .bind(&inserts.check_outs)
    .bind(&inserts.prices)
    .bind(&inserts.currencies)
    .bind(&inserts.payments)
    .bind(&inserts.confirmed)
    .bind(&updates.ids)
    .bind(&updates.guests)
    .bind(&updates.listings)
    .bind(&updates.statuses)
    .bind(&updates.check_ins)
    .bind(&updates.check_outs)
    .bind(&updates.prices)
    .bind(&updates.currencies)
    .bind(&updates.payments)
    .bind(&updates.confirmed)
    .bind(&change.accounts)
    .bind(&change.reservations)
    .bind(&change.channels)
    .bind(&change.externals)
    .bind(&change.statuses)
    .fetch_all(&mut *conn)
    .await?;
    if inserted.len() != inserts.accounts.len() {
        // Another writer inserted one of them meanwhile; its status changes were left out,
        // and the batch is written again.
        return Err(BatchError::Contended);
    }
    ids.extend(inserted.into_iter().map(|(a, c, e, id)| ((a, c, e), id)));
    Ok(ids)
}

/// Inserts threads or links them to their latest reservation; answers their ids. Only
/// threads whose reservation changes are locked.
async fn upsert_threads(
    conn: &mut PgConnection,
    rows: &[crate::domain::ingest_batch::ThreadRow],
    guests: &HashMap<(AccountId, String, String), GuestId>,
    stays: &HashMap<(AccountId, String, String), ReservationId>,
) -> Result<HashMap<(AccountId, String, String), ThreadId>, BatchError> {
    let accounts: Vec<AccountId> = rows.iter().map(|r| r.account_id).collect();
    let channels: Vec<&str> = rows.iter().map(|r| r.channel.as_str()).collect();
    let externals: Vec<&str> = rows.iter().map(|r| r.external_id.as_str()).collect();
    let guest_ids: Vec<GuestId> = rows
        .iter()
        .map(|r| guests[&guest_key(r.account_id, &r.channel, &r.guest_external_id)])
        .collect();
    let stay_ids: Vec<Option<ReservationId>> = rows
        .iter()
        .map(|r| {
            r.stay_external_id
                .as_ref()
                .map(|e| stays[&(r.account_id, r.channel.clone(), e.clone())])
        })
        .collect();
    let stored: Vec<(AccountId, String, String, ThreadId)> = sqlx::query_as(
        "WITH input AS (SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) \
           AS u(a, c, e, g, r)), \
         stored AS (SELECT t.*, i.r FROM threads t JOIN input i \
           ON t.account_id = i.a AND t.channel = i.c AND t.external_id = i.e), \
         linking AS (SELECT t.id, s.r FROM threads t JOIN stored s ON t.id = s.id \
           WHERE s.r IS NOT NULL AND s.r IS DISTINCT FROM s.reservation_id ORDER BY t.id FOR UPDATE OF t), \
         linked AS (UPDATE threads t SET reservation_id = l.r FROM linking l WHERE t.id = l.id), \
         added AS (INSERT INTO threads (account_id, channel, external_id, guest_id, reservation_id) \
           SELECT a, c, e, g, r FROM input i \
           WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.account_id = i.a AND s.channel = i.c AND s.external_id = i.e) \
           ORDER BY a, c, e ON CONFLICT (account_id, channel, external_id) DO NOTHING \
           RETURNING account_id, channel, external_id, id) \
         SELECT account_id, channel, external_id, id FROM stored UNION ALL SELECT * FROM added",
    )
    .bind(&accounts)
    .bind(&channels)
    .bind(&externals)
    .bind(&guest_ids)
    .bind(&stay_ids)
    .fetch_all(conn)
    .await?;
    every_key(
        rows.len(),
        stored.into_iter().map(|(a, c, e, id)| ((a, c, e), id)),
    )
}

/// For each of `threads` that has an open (not done) ticket, that ticket, locked; for each of
/// the others, the assignee of its most recently closed ticket (`None` when it had none).
/// One statement: the second is only needed when the first finds no open ticket.
async fn open_or_previous(
    conn: &mut PgConnection,
    threads: &[ThreadId],
) -> Result<
    (
        HashMap<ThreadId, TicketId>,
        HashMap<ThreadId, Option<UserId>>,
    ),
    sqlx::Error,
> {
    let rows: Vec<(ThreadId, Option<TicketId>, Option<UserId>)> = sqlx::query_as(concat!(
        "WITH open AS (SELECT thread_id, id FROM tickets WHERE thread_id = ANY($1) AND state <> ",
        state_sql!(Done),
        " ORDER BY id FOR UPDATE) \
         SELECT thread_id, id, NULL::bigint FROM open \
         UNION ALL (SELECT DISTINCT ON (thread_id) thread_id, NULL::bigint, assignee_id FROM tickets \
           WHERE thread_id = ANY($1) AND state = ",
        state_sql!(Done),
        " AND thread_id NOT IN (SELECT thread_id FROM open) \
           ORDER BY thread_id, closed_at DESC NULLS LAST, id DESC)"
    ))
    .bind(threads)
    .fetch_all(conn)
    .await?;
    let (mut open, mut previous) = (HashMap::new(), HashMap::new());
    for (thread, ticket, assignee) in rows {
        match ticket {
            Some(ticket) => {
                open.insert(thread, ticket);
            }
            None => {
                previous.insert(thread, assignee);
            }
        }
    }
    Ok((open, previous))
}

/// The status changes of a batch's reservations, a column each: a reservation the batch
/// inserts has no id yet and is named by its channel and external id.
#[derive(Default)]
struct StatusChangeColumns<'a> {
    accounts: Vec<AccountId>,
    reservations: Vec<Option<ReservationId>>,
    channels: Vec<Option<&'a str>>,
    externals: Vec<Option<&'a str>>,
    statuses: Vec<&'static str>,
}

#[derive(Default)]
struct StayColumns {
    ids: Vec<Option<ReservationId>>,
    accounts: Vec<AccountId>,
    channels: Vec<String>,
    externals: Vec<String>,
    guests: Vec<Option<GuestId>>,
    listings: Vec<ListingId>,
    statuses: Vec<&'static str>,
    check_ins: Vec<Option<NaiveDate>>,
    check_outs: Vec<Option<NaiveDate>>,
    prices: Vec<Option<i64>>,
    currencies: Vec<Option<String>>,
    payments: Vec<Option<String>>,
    confirmed: Vec<bool>,
}

impl StayColumns {
    fn push(
        &mut self,
        id: Option<ReservationId>,
        row: &StayRow,
        listing_id: ListingId,
        guest_id: Option<GuestId>,
        confirmed: bool,
    ) {
        self.ids.push(id);
        self.accounts.push(row.account_id);
        self.channels.push(row.channel.clone());
        self.externals.push(row.external_id.clone());
        self.guests.push(guest_id);
        self.listings.push(listing_id);
        self.statuses.push(row.status.as_str());
        self.check_ins.push(row.check_in);
        self.check_outs.push(row.check_out);
        self.prices.push(row.total_price_cents);
        self.currencies.push(row.currency.clone());
        self.payments.push(row.payment_status.clone());
        self.confirmed.push(confirmed);
    }
}
