//! SQL of ingest: guests, listings, reservations (with their status history), threads,
//! inbound messages and the tickets they open. Called inside one transaction, in this order
//! (guest, listing, reservation, thread), so concurrent deliveries lock rows in one order.

use crate::domain::ids::{
    AccountId, GuestId, ListingId, MessageId, ReservationId, ThreadId, TicketId, UserId,
};
use crate::domain::ingest::{Guest, InboundMessage, Stay};
use crate::domain::stage::ReservationStatus;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Inserts or refreshes a guest; answers its id.
///
/// A guest already stored as given is only read: an upsert would lock its row until the
/// transaction ends, making every message of the same guest wait for the one before.
pub async fn upsert_guest(
    conn: &mut PgConnection,
    account_id: AccountId,
    channel: &str,
    g: &Guest,
) -> Result<GuestId, sqlx::Error> {
    type Stored = (
        GuestId,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let stored: Option<Stored> = sqlx::query_as(
        "SELECT id, name, language, email, phone FROM guests \
         WHERE account_id = $1 AND channel = $2 AND external_id = $3",
    )
    .bind(account_id)
    .bind(channel)
    .bind(&g.external_id)
    .fetch_optional(&mut *conn)
    .await?;
    let kept = |new: &Option<String>, old: &Option<String>| new.is_none() || new == old;
    if let Some((id, name, language, email, phone)) = stored {
        if name == g.name
            && kept(&g.language, &language)
            && kept(&g.email, &email)
            && kept(&g.phone, &phone)
        {
            return Ok(id);
        }
    }
    sqlx::query_scalar(
        "INSERT INTO guests (account_id, channel, external_id, name, language, email, phone) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (account_id, channel, external_id) DO UPDATE SET name = EXCLUDED.name, \
           language = COALESCE(EXCLUDED.language, guests.language), email = COALESCE(EXCLUDED.email, guests.email), \
           phone = COALESCE(EXCLUDED.phone, guests.phone) RETURNING id",
    )
    .bind(account_id)
    .bind(channel)
    .bind(&g.external_id)
    .bind(&g.name)
    .bind(&g.language)
    .bind(&g.email)
    .bind(&g.phone)
    .fetch_one(conn)
    .await
}

/// Inserts a listing or renames it; answers (id, listing group). A listing already stored
/// under that name is only read (see [`upsert_guest`]): a few listings get most messages.
pub async fn upsert_listing(
    conn: &mut PgConnection,
    account_id: AccountId,
    external_id: &str,
    name: Option<&str>,
) -> Result<(ListingId, Option<String>), sqlx::Error> {
    let stored: Option<(ListingId, Option<String>, String)> = sqlx::query_as(
        "SELECT id, listing_group, name FROM listings WHERE account_id = $1 AND external_id = $2",
    )
    .bind(account_id)
    .bind(external_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id, group, stored_name)) = stored {
        if name.is_none_or(|n| n == stored_name) {
            return Ok((id, group));
        }
    }
    sqlx::query_as(
        "INSERT INTO listings (account_id, external_id, name) VALUES ($1, $2, COALESCE($3, $2)) \
         ON CONFLICT (account_id, external_id) DO UPDATE SET name = COALESCE($3, listings.name) \
         RETURNING id, listing_group",
    )
    .bind(account_id)
    .bind(external_id)
    .bind(name)
    .fetch_one(conn)
    .await
}

/// The outcome of storing a reservation.
#[derive(Debug, Clone, Copy)]
pub struct StoredStay {
    pub id: ReservationId,
    /// Anything differed from what was stored (a new reservation counts).
    pub changed: bool,
}

/// Inserts or updates a reservation, recording a status change with its time whenever the
/// status is new or different, and `confirmed_at` the first time it is confirmed.
pub async fn upsert_reservation(
    conn: &mut PgConnection,
    account_id: AccountId,
    stay: &Stay,
    listing_id: ListingId,
    guest_id: Option<GuestId>,
) -> Result<StoredStay, sqlx::Error> {
    type Row = (
        ReservationId,
        String,
        ListingId,
        Option<GuestId>,
        Option<chrono::NaiveDate>,
        Option<chrono::NaiveDate>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let select = "SELECT id, status, listing_id, guest_id, check_in, check_out, total_price_cents, currency, payment_status \
                  FROM reservations WHERE account_id = $1 AND channel = $2 AND external_id = $3 FOR UPDATE";
    let find = sqlx::query_as::<_, Row>(select)
        .bind(account_id)
        .bind(stay.channel.as_str())
        .bind(stay.external_id.clone());
    let mut existing = find.fetch_optional(&mut *conn).await?;
    if existing.is_none() {
        let inserted: Option<ReservationId> = sqlx::query_scalar(
            "INSERT INTO reservations (account_id, channel, external_id, guest_id, listing_id, status, check_in, check_out, \
               total_price_cents, currency, payment_status, confirmed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $6 = 'confirmed' THEN now() END) \
             ON CONFLICT (account_id, channel, external_id) DO NOTHING RETURNING id",
        )
        .bind(account_id)
        .bind(stay.channel.as_str())
        .bind(&stay.external_id)
        .bind(guest_id)
        .bind(listing_id)
        .bind(stay.status.as_str())
        .bind(stay.check_in)
        .bind(stay.check_out)
        .bind(stay.total_price_cents)
        .bind(&stay.currency)
        .bind(&stay.payment_status)
        .fetch_optional(&mut *conn)
        .await?;
        match inserted {
            Some(id) => {
                record_status(conn, account_id, id, stay.status).await?;
                return Ok(StoredStay { id, changed: true });
            }
            None => {
                existing = sqlx::query_as::<_, Row>(select)
                    .bind(account_id)
                    .bind(stay.channel.as_str())
                    .bind(stay.external_id.clone())
                    .fetch_optional(&mut *conn)
                    .await?
            }
        }
    }
    let Some((id, status, old_listing, old_guest, check_in, check_out, price, currency, payment)) =
        existing
    else {
        return Err(sqlx::Error::RowNotFound);
    };
    let next = (
        stay.status.as_str().to_string(),
        listing_id,
        guest_id.or(old_guest),
        stay.check_in.or(check_in),
        stay.check_out.or(check_out),
        stay.total_price_cents.or(price),
        stay.currency.clone().or(currency.clone()),
        stay.payment_status.clone().or(payment.clone()),
    );
    let before = (
        status.clone(),
        old_listing,
        old_guest,
        check_in,
        check_out,
        price,
        currency,
        payment,
    );
    if next == before {
        return Ok(StoredStay { id, changed: false });
    }
    sqlx::query(
        "UPDATE reservations SET status = $2, listing_id = $3, guest_id = $4, check_in = $5, check_out = $6, \
           total_price_cents = $7, currency = $8, payment_status = $9, updated_at = now(), \
           confirmed_at = COALESCE(confirmed_at, CASE WHEN $2 = 'confirmed' THEN now() END) WHERE id = $1",
    )
    .bind(id)
    .bind(&next.0)
    .bind(next.1)
    .bind(next.2)
    .bind(next.3)
    .bind(next.4)
    .bind(next.5)
    .bind(&next.6)
    .bind(&next.7)
    .execute(&mut *conn)
    .await?;
    if status != stay.status.as_str() {
        record_status(conn, account_id, id, stay.status).await?;
    }
    Ok(StoredStay { id, changed: true })
}

async fn record_status(
    conn: &mut PgConnection,
    account_id: AccountId,
    reservation_id: ReservationId,
    status: ReservationStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO reservation_status_changes (account_id, reservation_id, status) VALUES ($1, $2, $3)")
        .bind(account_id)
        .bind(reservation_id)
        .bind(status.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts a thread or links it to the latest reservation; answers its id. Locks the row, so
/// deliveries on one thread are serialized until the transaction ends.
pub async fn upsert_thread(
    conn: &mut PgConnection,
    account_id: AccountId,
    channel: &str,
    external_id: &str,
    guest_id: GuestId,
    reservation_id: Option<ReservationId>,
) -> Result<ThreadId, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO threads (account_id, channel, external_id, guest_id, reservation_id) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (account_id, channel, external_id) DO UPDATE SET \
           reservation_id = COALESCE(EXCLUDED.reservation_id, threads.reservation_id) RETURNING id",
    )
    .bind(account_id)
    .bind(channel)
    .bind(external_id)
    .bind(guest_id)
    .bind(reservation_id)
    .fetch_one(conn)
    .await
}

/// The ids a message was stored with: (ticket, message, thread); a history message has no
/// ticket.
pub async fn find_message(
    conn: &mut PgConnection,
    account_id: AccountId,
    channel: &str,
    external_id: &str,
) -> Result<Option<(Option<TicketId>, MessageId, ThreadId)>, sqlx::Error> {
    sqlx::query_as("SELECT ticket_id, id, thread_id FROM messages WHERE account_id = $1 AND channel = $2 AND external_id = $3")
        .bind(account_id)
        .bind(channel)
        .bind(external_id)
        .fetch_optional(conn)
        .await
}

/// The thread's ticket that is not done, if any.
pub async fn open_ticket_of_thread(
    conn: &mut PgConnection,
    thread_id: ThreadId,
) -> Result<Option<TicketId>, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "SELECT id FROM tickets WHERE thread_id = $1 AND state <> ",
        state_sql!(Done),
        " FOR UPDATE"
    ))
    .bind(thread_id)
    .fetch_optional(conn)
    .await
}

/// The assignee of the thread's most recently closed ticket.
pub async fn previous_agent(
    conn: &mut PgConnection,
    thread_id: ThreadId,
) -> Result<Option<UserId>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<UserId>>(concat!(
        "SELECT assignee_id FROM tickets WHERE thread_id = $1 AND state = ",
        state_sql!(Done),
        " ORDER BY closed_at DESC NULLS LAST, id DESC LIMIT 1"
    ))
    .bind(thread_id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// What a new ticket is made of.
pub struct NewTicket<'a> {
    pub account_id: AccountId,
    pub thread_id: ThreadId,
    pub stage: &'a str,
    pub channel: &'a str,
    pub language: Option<&'a str>,
    pub listing_group: Option<&'a str>,
    pub guest_id: GuestId,
    pub reservation_id: Option<ReservationId>,
    pub listing_id: Option<ListingId>,
    pub awaiting_since: DateTime<Utc>,
}

/// Creates a queued ticket; answers (id, created_at).
pub async fn insert_ticket(
    conn: &mut PgConnection,
    t: NewTicket<'_>,
) -> Result<(TicketId, DateTime<Utc>), sqlx::Error> {
    sqlx::query_as(concat!(
        "INSERT INTO tickets (account_id, thread_id, state, stage, channel, language, listing_group, guest_id, reservation_id, \
           listing_id, awaiting_reply_since) VALUES ($1, $2, ",
        state_sql!(Queued),
        ", $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id, created_at"
    ))
    .bind(t.account_id)
    .bind(t.thread_id)
    .bind(t.stage)
    .bind(t.channel)
    .bind(t.language)
    .bind(t.listing_group)
    .bind(t.guest_id)
    .bind(t.reservation_id)
    .bind(t.listing_id)
    .bind(t.awaiting_since)
    .fetch_one(conn)
    .await
}

/// A new guest message on an open ticket: unanswered since the oldest unanswered message.
pub async fn mark_unanswered(
    conn: &mut PgConnection,
    ticket_id: TicketId,
    sent_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tickets SET awaiting_reply_since = LEAST(COALESCE(awaiting_reply_since, $2), $2) WHERE id = $1")
        .bind(ticket_id)
        .bind(sent_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores an inbound message in its thread, on `ticket_id` (none for a history message);
/// `None` if that external id is already stored.
pub async fn insert_inbound(
    conn: &mut PgConnection,
    account_id: AccountId,
    thread_id: ThreadId,
    ticket_id: Option<TicketId>,
    msg: &InboundMessage,
) -> Result<Option<MessageId>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO messages (account_id, thread_id, ticket_id, channel, external_id, direction, body, sent_at) \
         VALUES ($1, $2, $3, $4, $5, 'inbound', $6, $7) ON CONFLICT (account_id, channel, external_id) DO NOTHING RETURNING id",
    )
    .bind(account_id)
    .bind(thread_id)
    .bind(ticket_id)
    .bind(msg.channel.as_str())
    .bind(&msg.message_external_id)
    .bind(&msg.body)
    .bind(msg.sent_at)
    .fetch_optional(conn)
    .await
}
