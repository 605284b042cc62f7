//! A listing's stays as rows: the booking calendar between two dates, and the reservations
//! that share a night with one reservation (its overbooking). Cancelled reservations and
//! reservations without both dates hold no nights and are left out. Every query is scoped by
//! the account.

use crate::domain::ids::{AccountId, ListingId, ReservationId, TicketId};
use crate::domain::stage::ReservationStatus;
use chrono::NaiveDate;
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};

/// The most stays one calendar lists.
pub const MAX_STAYS: i64 = 500;

/// A listing of the account.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingRecord {
    pub id: ListingId,
    pub external_id: String,
    pub name: String,
}

/// A reservation holding nights of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct StayRecord {
    pub reservation_id: ReservationId,
    pub external_id: String,
    pub status: ReservationStatus,
    pub channel: String,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub guest_name: Option<String>,
    /// The reservation's newest ticket, if any.
    pub ticket_id: Option<TicketId>,
}

/// The columns of a [`StayRecord`]; `s` is the reservation.
const STAY_COLUMNS: &str = "SELECT s.id, s.external_id, s.status, s.channel, s.check_in, s.check_out, \
     (SELECT g.name FROM guests g WHERE g.id = s.guest_id) AS guest_name, \
     (SELECT max(k.id) FROM tickets k WHERE k.account_id = s.account_id AND k.reservation_id = s.id) AS ticket_id \
     FROM reservations s";

fn stay(r: &PgRow) -> Result<StayRecord, sqlx::Error> {
    let status: String = r.try_get("status")?;
    Ok(StayRecord {
        reservation_id: r.try_get("id")?,
        external_id: r.try_get("external_id")?,
        status: ReservationStatus::parse(&status).map_err(|e| sqlx::Error::Decode(e.into()))?,
        channel: r.try_get("channel")?,
        check_in: r.try_get("check_in")?,
        check_out: r.try_get("check_out")?,
        guest_name: r.try_get("guest_name")?,
        ticket_id: r.try_get("ticket_id")?,
    })
}

/// The listing, if the account has it.
pub async fn listing(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: ListingId,
) -> Result<Option<ListingRecord>, sqlx::Error> {
    let row =
        sqlx::query("SELECT id, external_id, name FROM listings WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(|r| {
        Ok(ListingRecord {
            id: r.try_get("id")?,
            external_id: r.try_get("external_id")?,
            name: r.try_get("name")?,
        })
    })
    .transpose()
}

/// The listing's stays with a night in [from, to), by check-in (at most [`MAX_STAYS`]).
pub async fn stays(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    listing_id: ListingId,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<StayRecord>, sqlx::Error> {
    let sql = format!(
        "{STAY_COLUMNS} WHERE s.account_id = $1 AND s.listing_id = $2 AND s.status <> 'cancelled' \
         AND s.check_in IS NOT NULL AND s.check_out IS NOT NULL AND s.check_in < $4 AND s.check_out > $3 \
         ORDER BY s.check_in, s.id LIMIT $5"
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(listing_id)
        .bind(from)
        .bind(to)
        .bind(MAX_STAYS)
        .fetch_all(db)
        .await?;
    rows.iter().map(stay).collect()
}

/// The other stays of the same listing sharing a night with the reservation (none when it is
/// cancelled or has no dates), by check-in.
pub async fn overlapping(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    reservation_id: ReservationId,
) -> Result<Vec<StayRecord>, sqlx::Error> {
    let sql = format!(
        "{STAY_COLUMNS} JOIN reservations me ON me.account_id = s.account_id AND me.listing_id = s.listing_id \
         WHERE me.account_id = $1 AND me.id = $2 AND s.id <> me.id AND me.status <> 'cancelled' \
         AND s.status <> 'cancelled' AND s.check_in < me.check_out AND me.check_in < s.check_out \
         ORDER BY s.check_in, s.id LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(reservation_id)
        .bind(MAX_STAYS)
        .fetch_all(db)
        .await?;
    rows.iter().map(stay).collect()
}
