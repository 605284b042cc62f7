//! Channel connections, the outbox of webhook deliveries, and each reply's delivery status
//! (issue 17). SQL only. A reply's deliveries are written by the reply's own statement
//! ([`crate::store::ticket_actions`], with [`enqueue_deliveries`]). The worker claims due
//! deliveries with `FOR UPDATE SKIP LOCKED` and leases them ([`claim_due`]), so two nodes never
//! send one delivery at the same time, and a thread's later delivery waits for its earlier one.

/// The INSERT that queues a delivery of each message of `$messages` (a table or CTE with `id`,
/// `account_id`, `thread_id` and `channel`, aliased `m`) to every connection of its account
/// that serves its channel. Shared by a reply's own statement and a manual retry.
macro_rules! enqueue_deliveries {
    ($messages:literal) => {
        concat!(
            "INSERT INTO deliveries (account_id, connection_id, event, message_id, thread_id, status) \
             SELECT m.account_id, c.id, 'message.created', m.id, m.thread_id, 'pending' FROM ",
            $messages,
            " m JOIN connections c ON c.account_id = m.account_id \
               AND (c.channels = '{}' OR m.channel = ANY (c.channels))"
        )
    };
}

/// The CTE `locked`, which locks the replies that meet `$which` (a condition on `messages`) in
/// id order, as an `UPDATE` of them would; materialised, since inlined it would lock nothing
/// before the `UPDATE` meets the rows. The outcomes' writer and the reports' writer both
/// change replies, often the same ones at the same moment (a bridge reports a reply as soon
/// as its webhook arrives). An `UPDATE … FROM` locks rows in
/// whatever order its plan meets them, which the order of its input does not fix: two such
/// batches, both sorted by reply, deadlocked under load, each waiting a second for
/// PostgreSQL's deadlock check. Taking every lock first, in one order, leaves no circle.
macro_rules! replies_locked_in_order {
    ($which:literal) => {
        concat!(
            "locked AS MATERIALIZED (SELECT id FROM messages WHERE ",
            $which,
            " ORDER BY id FOR NO KEY UPDATE), "
        )
    };
}

/// The condition that makes an `UPDATE` wait for the `locked` CTE
/// ([`replies_locked_in_order!`]) before it writes its first row: an uncorrelated subquery is
/// computed once, before the rows it filters, and counting reads the CTE to its end. It is
/// always true.
macro_rules! replies_locked_first {
    () => {
        "(SELECT count(*) FROM locked) IS NOT NULL"
    };
}

use super::tickets::MessageRecord;
use crate::domain::channel::Channel;
use crate::domain::delivery::{DeliveryStatus, Step};
use crate::domain::ids::{
    AccountId, ConnectionId, DeliveryId, MessageId, ThreadId, TicketId, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgExecutor, Row};

fn decode(e: String) -> sqlx::Error {
    sqlx::Error::Decode(e.into())
}

/// A channel connection, its secret included (the wire view leaves it out).
#[derive(Debug, Clone)]
pub struct ConnectionRecord {
    pub id: ConnectionId,
    pub name: String,
    /// Empty: every channel.
    pub channels: Vec<Channel>,
    pub url: String,
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

const CONNECTION_COLUMNS: &str = "id, name, channels, url, secret, created_at";

fn connection_from_row(r: &PgRow) -> Result<ConnectionRecord, sqlx::Error> {
    let channels: Vec<String> = r.try_get("channels")?;
    Ok(ConnectionRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        channels: channels
            .iter()
            .map(|c| Channel::parse(c))
            .collect::<Result<_, _>>()
            .map_err(decode)?,
        url: r.try_get("url")?,
        secret: r.try_get("secret")?,
        created_at: r.try_get("created_at")?,
    })
}

fn channel_names(channels: &[Channel]) -> Vec<String> {
    channels.iter().map(|c| c.as_str().to_string()).collect()
}

/// Stores a new connection.
pub async fn insert_connection(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    name: &str,
    channels: &[Channel],
    url: &str,
    secret: &str,
) -> Result<ConnectionRecord, sqlx::Error> {
    let sql = format!(
        "INSERT INTO connections (account_id, name, channels, url, secret) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {CONNECTION_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(name)
        .bind(channel_names(channels))
        .bind(url)
        .bind(secret)
        .fetch_one(db)
        .await?;
    connection_from_row(&row)
}

/// The account's connections, oldest first.
pub async fn connections(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Vec<ConnectionRecord>, sqlx::Error> {
    let sql =
        format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE account_id = $1 ORDER BY id");
    let rows = sqlx::query(&sql).bind(account_id).fetch_all(db).await?;
    rows.iter().map(connection_from_row).collect()
}

/// One connection of the account.
pub async fn connection(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: ConnectionId,
) -> Result<Option<ConnectionRecord>, sqlx::Error> {
    let sql =
        format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(connection_from_row).transpose()
}

/// Changes what is given of a connection; `None` when it is not the account's.
pub async fn update_connection(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: ConnectionId,
    name: Option<&str>,
    channels: Option<&[Channel]>,
    url: Option<&str>,
) -> Result<Option<ConnectionRecord>, sqlx::Error> {
    let sql = format!(
        "UPDATE connections SET name = COALESCE($3, name), channels = COALESCE($4, channels), \
         url = COALESCE($5, url) WHERE account_id = $1 AND id = $2 RETURNING {CONNECTION_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .bind(name)
        .bind(channels.map(channel_names))
        .bind(url)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(connection_from_row).transpose()
}

/// Deletes a connection and its deliveries; a reply that was waiting only for it is marked
/// failed, so no message stays `queued` for a bridge that is gone. False when it is not the
/// account's.
pub async fn delete_connection(
    conn: &mut PgConnection,
    account_id: AccountId,
    id: ConnectionId,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE messages m SET delivery_status = 'failed', \
           delivery_error = 'the connection it was waiting for was deleted' \
         WHERE m.id IN (SELECT d.message_id FROM deliveries d \
             WHERE d.connection_id = $2 AND d.account_id = $1 AND d.status = 'pending') \
           AND m.delivery_status = 'queued' \
           AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.message_id = m.id \
             AND o.connection_id <> $2 AND o.status IN ('pending', 'sent'))",
    )
    .bind(account_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let deleted = sqlx::query("DELETE FROM connections WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(deleted.rows_affected() == 1)
}

/// One delivery as the connections page lists it.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub id: DeliveryId,
    pub event: String,
    pub message_id: Option<MessageId>,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

const DELIVERY_COLUMNS: &str = "id, event, message_id, status, attempts, last_status_code, \
    last_error, created_at, updated_at, \
    CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at";

fn delivery_from_row(r: &PgRow) -> Result<DeliveryRecord, sqlx::Error> {
    Ok(DeliveryRecord {
        id: r.try_get("id")?,
        event: r.try_get("event")?,
        message_id: r.try_get("message_id")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        last_status_code: r.try_get("last_status_code")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
    })
}

/// A connection's latest deliveries, newest first.
pub async fn recent_deliveries(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    connection_id: ConnectionId,
    limit: i64,
) -> Result<Vec<DeliveryRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE connection_id = $2 AND account_id = $1 \
         ORDER BY id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(connection_id)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.iter().map(delivery_from_row).collect()
}

/// Records a test event that was sent at once (no retries): `sent` or `failed`.
pub async fn insert_test_delivery(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    connection_id: ConnectionId,
    sent: bool,
    status_code: Option<u16>,
    error: Option<&str>,
) -> Result<DeliveryRecord, sqlx::Error> {
    let sql = format!(
        "INSERT INTO deliveries (account_id, connection_id, event, status, attempts, \
           last_status_code, last_error) \
         VALUES ($1, $2, 'connection.test', $3, 1, $4, $5) RETURNING {DELIVERY_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(connection_id)
        .bind(if sent { "sent" } else { "failed" })
        .bind(status_code.map(i32::from))
        .bind(error)
        .fetch_one(db)
        .await?;
    delivery_from_row(&row)
}

/// Queues a stored reply for every connection of the account that serves its channel; runs in
/// the reply's transaction. Answers how many deliveries were queued.
pub async fn enqueue_reply(
    conn: &mut PgConnection,
    account_id: AccountId,
    message_id: MessageId,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(concat!(
        enqueue_deliveries!("messages"),
        " WHERE m.account_id = $1 AND m.id = $2"
    ))
    .bind(account_id)
    .bind(message_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// A delivery the worker claimed: nobody else claims it until its lease ends.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: DeliveryId,
    pub account_id: AccountId,
    pub message_id: MessageId,
    /// Attempts made before this one.
    pub attempts: i32,
    pub window_from: DateTime<Utc>,
    /// When this claim's lease ends. Recording the outcome checks the row still says so: a
    /// claim whose lease ran out and was claimed again records nothing.
    pub leased_until: DateTime<Utc>,
    pub url: String,
    pub secret: String,
    /// The webhook facts of its reply, read by the claim; `None` once the reply is gone.
    pub reply: Option<ReplyEventRecord>,
}

/// The columns of a reply's webhook facts, read by [`reply_event_from_row`], from the messages
/// `m` joined by [`reply_event_joins!`].
macro_rules! reply_event_columns {
    () => {
        "m.id, m.ticket_id, m.thread_id, m.channel, th.external_id AS thread_external_id, \
         g.external_id AS guest_external_id, r.external_id AS reservation_external_id, m.body, \
         m.author_id, m.sent_at"
    };
}

/// The thread, guest and reservation a reply's webhook names, joined to its message `m`.
macro_rules! reply_event_joins {
    () => {
        "JOIN threads th ON th.id = m.thread_id JOIN tickets t ON t.id = m.ticket_id \
         JOIN guests g ON g.id = th.guest_id \
         LEFT JOIN reservations r ON r.id = COALESCE(t.reservation_id, th.reservation_id)"
    };
}

/// Claims up to `limit` due deliveries no other worker holds, skipping any whose thread has an
/// earlier delivery to the same connection still pending (replies go out in order), and leases
/// them for `lease`: their next attempt moves that far ahead, so no other slot or node sends
/// them meanwhile, and one whose worker died is sent again once the lease ends. Commit at
/// once: no connection is held while the webhooks are sent.
///
/// "First pending of its thread" is a probe of `deliveries_thread_pending` per candidate (the
/// `LIMIT 1` keeps it one): written as `NOT EXISTS`, a plan made while the table was small
/// compared every candidate with every pending delivery, which grew with the backlog.
/// One statement, its own transaction, so the claim is committed at once: the worker sends it
/// on its own connection, whose session is [`super::UNFLUSHED_PROBING_SESSION`], which plans it once.
/// That commit does not wait for the disk either: a claim lost in a crash leaves the delivery
/// due, so it is sent again with the same `webhook-id`, as when its outcome is lost.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<DueDelivery>, sqlx::Error> {
    let rows = sqlx::query(concat!(
        "WITH due AS (SELECT d.id FROM deliveries d \
           WHERE d.status = 'pending' AND d.next_attempt_at <= now() \
             AND (d.thread_id IS NULL OR d.id = (SELECT e.id FROM deliveries e \
               WHERE e.status = 'pending' AND e.connection_id = d.connection_id \
                 AND e.thread_id = d.thread_id ORDER BY e.id LIMIT 1)) \
           ORDER BY d.next_attempt_at, d.id LIMIT $1 FOR UPDATE OF d SKIP LOCKED), \
         claimed AS (UPDATE deliveries d SET next_attempt_at = now() + $2 * interval '1 millisecond' \
           FROM due WHERE d.id = due.id \
           RETURNING d.id, d.account_id, d.message_id, d.attempts, d.window_from, d.next_attempt_at, \
             d.connection_id) \
         SELECT cl.id AS delivery_id, cl.account_id, cl.message_id, cl.attempts, \
           cl.window_from, cl.next_attempt_at AS leased_until, c.url, c.secret, ",
        reply_event_columns!(),
        " FROM claimed cl JOIN connections c ON c.id = cl.connection_id \
         LEFT JOIN (messages m ",
        reply_event_joins!(),
        ") ON m.id = cl.message_id AND m.account_id = cl.account_id ORDER BY cl.id"
    ))
    .bind(limit)
    .bind(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let reply = match r.try_get::<Option<MessageId>, _>("id")? {
                Some(_) => Some(reply_event_from_row(r)?),
                None => None,
            };
            Ok(DueDelivery {
                id: r.try_get("delivery_id")?,
                account_id: r.try_get("account_id")?,
                message_id: r.try_get("message_id")?,
                attempts: r.try_get("attempts")?,
                window_from: r.try_get("window_from")?,
                leased_until: r.try_get("leased_until")?,
                url: r.try_get("url")?,
                secret: r.try_get("secret")?,
                reply,
            })
        })
        .collect()
}

/// When the earliest pending delivery comes due (the worker sleeps until then at most).
pub async fn next_due(db: impl PgExecutor<'_>) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'")
        .fetch_one(db)
        .await
}

/// An attempt's outcome, as [`record_attempts`] writes it.
pub struct AttemptRow<'a> {
    pub delivery_id: DeliveryId,
    /// The claim's lease ([`DueDelivery::leased_until`]).
    pub leased_until: DateTime<Utc>,
    pub step: &'a Step,
    pub status_code: Option<u16>,
}

/// An outcome as written: the delivery, its reply as it now is, the reply's ticket and who
/// hears of it.
pub type Attempted = (DeliveryId, MessageRecord, TicketId, Vec<UserId>);

/// Writes attempts' outcomes on their deliveries and on their messages' statuses, in one
/// statement (its own transaction): `sent` on acceptance (a `delivered` message stays
/// delivered), the reason on a retry, and `failed` on giving up unless another connection
/// still has the message pending or sent it. A claim whose lease ran out (and was claimed
/// again) writes nothing and has no row in the answer. Give each message at most once
/// (which of two rows `UPDATE … FROM` would take is not defined). The replies are locked
/// first, in id order ([`replies_locked_in_order!`]), as the reports' writer locks them. Send
/// it on a connection whose session is [`super::UNFLUSHED_PROBING_SESSION`].
///
/// The commit does not wait for the disk (`synchronous_commit = off`): an outcome lost in a
/// crash leaves the delivery pending with its lease run out, so it is sent again with the
/// same `webhook-id`, which is what a failed write here already means. One flush per
/// delivery was the busiest wait of the database under load.
pub async fn record_attempts(
    conn: &mut PgConnection,
    attempts: &[AttemptRow<'_>],
) -> Result<Vec<Attempted>, sqlx::Error> {
    let mut ids = Vec::with_capacity(attempts.len());
    let mut leases = Vec::with_capacity(attempts.len());
    let mut statuses = Vec::with_capacity(attempts.len());
    let mut retries = Vec::with_capacity(attempts.len());
    let mut codes = Vec::with_capacity(attempts.len());
    let mut errors = Vec::with_capacity(attempts.len());
    for a in attempts {
        let (status, next, error) = match a.step {
            Step::Sent => ("sent", None, None),
            Step::RetryAt { at, reason } => ("pending", Some(*at), Some(reason.as_str())),
            Step::Failed { reason } => ("failed", None, Some(reason.as_str())),
        };
        ids.push(a.delivery_id);
        leases.push(a.leased_until);
        statuses.push(status);
        retries.push(next);
        codes.push(a.status_code.map(i32::from));
        errors.push(error);
    }
    let rows = sqlx::query(concat!(
        "WITH i AS (SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], \
             $4::timestamptz[], $5::int[], $6::text[]) AS i(id, leased_until, status, next_at, code, error)), \
         ", replies_locked_in_order!("id IN (SELECT d.message_id FROM deliveries d JOIN i ON d.id = i.id)"), "\
         attempt AS (UPDATE deliveries d SET status = i.status, attempts = d.attempts + 1, \
           next_attempt_at = COALESCE(i.next_at, d.next_attempt_at), last_status_code = i.code, \
           last_error = i.error, updated_at = now() \
           FROM i WHERE d.id = i.id AND d.status = 'pending' AND d.next_attempt_at = i.leased_until \
             AND ", replies_locked_first!(), " \
           RETURNING d.id, d.message_id, i.status, i.error), \
         m AS (UPDATE messages m SET delivery_attempts = m.delivery_attempts + 1, \
           delivery_error = a.error, \
           delivery_status = CASE \
             WHEN m.delivery_status = 'delivered' THEN m.delivery_status \
             WHEN a.status = 'sent' THEN 'sent' \
             WHEN a.status = 'failed' AND m.delivery_status = 'queued' AND NOT EXISTS ( \
               SELECT 1 FROM deliveries o WHERE o.message_id = m.id AND o.id <> a.id \
                 AND o.status IN ('pending', 'sent')) THEN 'failed' \
             ELSE m.delivery_status END \
           FROM attempt a WHERE m.id = a.message_id RETURNING m.*, a.id AS delivery_id) \
         SELECT m.delivery_id, m.id, m.ticket_id, m.direction, m.body, m.sent_at, m.author_id, \
           m.delivery_status, m.delivery_attempts, m.delivery_error, t.assignee_id \
         FROM m JOIN tickets t ON t.id = m.ticket_id"
    ))
    .bind(&ids)
    .bind(&leases)
    .bind(&statuses)
    .bind(&retries)
    .bind(&codes)
    .bind(&errors)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let (message, ticket_id, audience) = announced_from_row(r)?;
            Ok((r.try_get("delivery_id")?, message, ticket_id, audience))
        })
        .collect()
}

/// A reply as changed, its ticket and who hears of it (its ticket's assignee and its
/// author), from a row of the reply's columns and `assignee_id`.
fn announced_from_row(r: &PgRow) -> Result<(MessageRecord, TicketId, Vec<UserId>), sqlx::Error> {
    let message = super::tickets::message_from_row(r)?;
    let ticket_id = message
        .ticket_id
        .ok_or_else(|| decode("a reply without its ticket".into()))?;
    let audience = audience_of(r.try_get("assignee_id")?, message.author_id);
    Ok((message, ticket_id, audience))
}

/// A bridge's report on a reply (`POST /ingest/deliveries`), as it is stored.
#[derive(Debug, Clone)]
pub struct ReceiptRow<'a> {
    pub account_id: AccountId,
    pub message_id: MessageId,
    pub status: DeliveryStatus,
    pub error: Option<&'a str>,
}

/// A reply as a receipt left it: its account, the reply, its ticket and who hears of it.
pub type Receipted = (AccountId, MessageRecord, TicketId, Vec<UserId>);

/// Stores bridges' reports on replies in one statement, locking the replies first in id order
/// ([`replies_locked_in_order!`], as the outcomes' writer does). A report whose account has
/// no such outbound message changes nothing and has no row in the answer; give each reply at
/// most once (which of two rows `UPDATE … FROM` would take is not defined). One statement,
/// its own transaction; send it on a connection whose session is [`super::PROBING_SESSION`].
pub async fn report_deliveries(
    conn: &mut PgConnection,
    receipts: &[ReceiptRow<'_>],
) -> Result<Vec<Receipted>, sqlx::Error> {
    let accounts: Vec<AccountId> = receipts.iter().map(|r| r.account_id).collect();
    let messages: Vec<MessageId> = receipts.iter().map(|r| r.message_id).collect();
    let statuses: Vec<&str> = receipts.iter().map(|r| r.status.as_str()).collect();
    let errors: Vec<Option<&str>> = receipts.iter().map(|r| r.error).collect();
    let rows = sqlx::query(concat!(
        "WITH r AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) \
           AS r(account_id, id, status, error)), \
         ",
        replies_locked_in_order!("(account_id, id) IN (SELECT account_id, id FROM r)"),
        "m AS (UPDATE messages SET delivery_status = r.status, delivery_error = r.error \
           FROM r WHERE messages.account_id = r.account_id AND messages.id = r.id \
             AND messages.delivery_status IS NOT NULL AND ",
        replies_locked_first!(),
        " \
           RETURNING messages.*) \
         SELECT m.account_id, m.id, m.ticket_id, m.direction, m.body, m.sent_at, m.author_id, \
           m.delivery_status, m.delivery_attempts, m.delivery_error, t.assignee_id \
         FROM m JOIN tickets t ON t.id = m.ticket_id"
    ))
    .bind(&accounts)
    .bind(&messages)
    .bind(&statuses)
    .bind(&errors)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let (message, ticket_id, audience) = announced_from_row(r)?;
            Ok((r.try_get("account_id")?, message, ticket_id, audience))
        })
        .collect()
}

/// Queues a failed reply again: its failed deliveries start over (a new retry window), and
/// when none failed (the bridge reported the failure) it is queued afresh for every connection
/// that serves its channel. The message is `queued` again. False when the account has no such
/// failed reply.
pub async fn requeue_failed(
    conn: &mut PgConnection,
    account_id: AccountId,
    message_id: MessageId,
) -> Result<bool, sqlx::Error> {
    let marked = sqlx::query(
        "UPDATE messages SET delivery_status = 'queued', delivery_error = NULL \
         WHERE account_id = $1 AND id = $2 AND delivery_status = 'failed'",
    )
    .bind(account_id)
    .bind(message_id)
    .execute(&mut *conn)
    .await?;
    if marked.rows_affected() == 0 {
        return Ok(false);
    }
    let restarted = sqlx::query(
        "UPDATE deliveries SET status = 'pending', next_attempt_at = now(), window_from = now(), \
           updated_at = now() WHERE account_id = $1 AND message_id = $2 AND status = 'failed'",
    )
    .bind(account_id)
    .bind(message_id)
    .execute(&mut *conn)
    .await?;
    if restarted.rows_affected() == 0 {
        enqueue_reply(conn, account_id, message_id).await?;
    }
    Ok(true)
}

/// Who sees a reply's status change: its ticket's assignee and its author.
pub async fn audience(
    db: impl PgExecutor<'_>,
    message_id: MessageId,
) -> Result<Option<(TicketId, Vec<UserId>)>, sqlx::Error> {
    let row: Option<(TicketId, Option<UserId>, Option<UserId>)> = sqlx::query_as(
        "SELECT t.id, t.assignee_id, m.author_id FROM messages m \
         JOIN tickets t ON t.id = m.ticket_id WHERE m.id = $1",
    )
    .bind(message_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(ticket, assignee, author)| (ticket, audience_of(assignee, author))))
}

/// Who hears of a reply's delivery: the ticket's assignee and the reply's author, once each.
fn audience_of(assignee: Option<UserId>, author: Option<UserId>) -> Vec<UserId> {
    let mut to: Vec<UserId> = assignee.into_iter().chain(author).collect();
    to.dedup();
    to
}

/// What a `message.created` webhook says about a reply.
#[derive(Debug, Clone)]
pub struct ReplyEventRecord {
    pub message_id: MessageId,
    pub ticket_id: TicketId,
    pub thread_id: ThreadId,
    pub channel: Channel,
    pub thread_external_id: String,
    pub guest_external_id: String,
    pub reservation_external_id: Option<String>,
    pub body: String,
    pub author_id: Option<UserId>,
    pub sent_at: DateTime<Utc>,
}

fn reply_event_from_row(r: &PgRow) -> Result<ReplyEventRecord, sqlx::Error> {
    Ok(ReplyEventRecord {
        message_id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        thread_id: r.try_get("thread_id")?,
        channel: Channel::parse(r.try_get("channel")?).map_err(decode)?,
        thread_external_id: r.try_get("thread_external_id")?,
        guest_external_id: r.try_get("guest_external_id")?,
        reservation_external_id: r.try_get("reservation_external_id")?,
        body: r.try_get("body")?,
        author_id: r.try_get("author_id")?,
        sent_at: r.try_get("sent_at")?,
    })
}

/// The account's replies after `after`, oldest first (the pull feed).
pub async fn reply_events_after(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    after: MessageId,
    limit: i64,
) -> Result<Vec<ReplyEventRecord>, sqlx::Error> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        reply_event_columns!(),
        " FROM messages m ",
        reply_event_joins!(),
        " WHERE m.account_id = $1 AND m.id > $2 AND m.direction = 'outbound' \
         AND m.delivery_status IS NOT NULL ORDER BY m.id LIMIT $3"
    ))
    .bind(account_id)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(reply_event_from_row).collect()
}
