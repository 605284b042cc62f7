//! The guest panel's rows (issue 14): a guest, the guests of the account matched to them by
//! e-mail or phone (`domain::guest_match`), and their tickets, stays and latest review.
//! Every query is scoped by the account. The match reads the account's guests without an
//! index on e-mail or phone: one panel at a time, not a hot path.

use crate::domain::ids::{AccountId, GuestId, ReservationId, TicketId};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

/// The most tickets and stays a panel lists.
pub const PANEL_ROWS: i64 = 20;

/// A guest record (one per channel identity).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GuestRow {
    pub id: GuestId,
    pub channel: String,
    pub name: String,
    pub language: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A ticket of the guest.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GuestTicketRow {
    pub id: TicketId,
    pub state: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A reservation of the guest.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GuestStayRow {
    pub reservation_id: ReservationId,
    pub external_id: String,
    pub status: String,
    pub listing: String,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
}

/// The latest review the guest left.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReviewRow {
    pub overall: i16,
    pub submitted_at: DateTime<Utc>,
}

const GUEST_COLUMNS: &str = "SELECT id, channel, name, language, email, phone FROM guests";

/// The guest, if the account has it.
pub async fn guest(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: GuestId,
) -> Result<Option<GuestRow>, sqlx::Error> {
    let sql = format!("{GUEST_COLUMNS} WHERE account_id = $1 AND id = $2");
    sqlx::query_as(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The account's other guests with this e-mail key or phone key (either may be absent).
pub async fn matched(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: GuestId,
    email_key: Option<&str>,
    phone_key: Option<&str>,
) -> Result<Vec<GuestRow>, sqlx::Error> {
    if email_key.is_none() && phone_key.is_none() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{GUEST_COLUMNS} WHERE account_id = $1 AND id <> $2 AND \
         (lower(btrim(email)) = $3 OR regexp_replace(phone, '[^0-9]', '', 'g') = $4) \
         ORDER BY id LIMIT {PANEL_ROWS}"
    );
    sqlx::query_as(&sql)
        .bind(account_id)
        .bind(id)
        .bind(email_key)
        .bind(phone_key)
        .fetch_all(db)
        .await
}

/// The newest tickets of these guests (their threads'), newest first.
pub async fn tickets(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    guests: &[GuestId],
) -> Result<Vec<GuestTicketRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.id, t.state, t.channel, t.created_at, t.closed_at FROM tickets t \
         WHERE t.account_id = $1 AND t.guest_id = ANY($2) ORDER BY t.created_at DESC, t.id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(guests)
    .bind(PANEL_ROWS)
    .fetch_all(db)
    .await
}

/// The newest reservations of these guests, latest check-in first.
pub async fn stays(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    guests: &[GuestId],
) -> Result<Vec<GuestStayRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id AS reservation_id, r.external_id, r.status, l.name AS listing, r.check_in, r.check_out \
         FROM reservations r JOIN listings l ON l.id = r.listing_id \
         WHERE r.account_id = $1 AND r.guest_id = ANY($2) \
         ORDER BY r.check_in DESC NULLS LAST, r.id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(guests)
    .bind(PANEL_ROWS)
    .fetch_all(db)
    .await
}

/// The latest review left on a reservation of these guests.
pub async fn latest_review(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    guests: &[GuestId],
) -> Result<Option<ReviewRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.overall, v.submitted_at FROM reviews v JOIN reservations r ON r.id = v.reservation_id \
         WHERE v.account_id = $1 AND r.account_id = $1 AND r.guest_id = ANY($2) \
         ORDER BY v.submitted_at DESC, v.id DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(guests)
    .fetch_optional(db)
    .await
}
