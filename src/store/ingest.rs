//! SQL of reservation ingest, one delivery at a time: the guest, the listing and the
//! reservation (with its status history), called inside one transaction in that order, so
//! concurrent deliveries lock rows in one order. Guest messages are stored in batches
//! (`store::ingest_batch`).

use crate::domain::ids::{AccountId, GuestId, ListingId, ReservationId};
use crate::domain::ingest::{Guest, Stay};
use crate::domain::stage::ReservationStatus;
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
