//! SQL of guest reviews: storing one (idempotent on the channel's review id) and finding the
//! reservation it is about. What reports read of them is in `store::reports`.

use crate::domain::ids::{AccountId, ReservationId, ReviewId};
use crate::domain::review::Review;
use sqlx::PgExecutor;

/// The stored reservation a review names (same account and channel).
pub async fn reservation(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    channel: &str,
    external_id: &str,
) -> Result<Option<ReservationId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM reservations WHERE account_id = $1 AND channel = $2 AND external_id = $3",
    )
    .bind(account_id)
    .bind(channel)
    .bind(external_id)
    .fetch_optional(db)
    .await
}

/// The review stored under the channel's id, if any.
pub async fn find(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    channel: &str,
    external_id: &str,
) -> Result<Option<ReviewId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM reviews WHERE account_id = $1 AND channel = $2 AND external_id = $3",
    )
    .bind(account_id)
    .bind(channel)
    .bind(external_id)
    .fetch_optional(db)
    .await
}

/// Stores a review; `None` when one with the same channel id is already stored (the stored
/// one is kept as it is).
pub async fn insert(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    reservation_id: ReservationId,
    r: &Review,
) -> Result<Option<ReviewId>, sqlx::Error> {
    let score = |s: Option<crate::domain::review::Score>| s.map(|s| s.get());
    let c = &r.categories;
    sqlx::query_scalar(
        "INSERT INTO reviews (account_id, channel, external_id, reservation_id, overall, communication, \
           cleanliness, accuracy, location, value, text, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (account_id, channel, external_id) DO NOTHING RETURNING id",
    )
    .bind(account_id)
    .bind(r.channel.as_str())
    .bind(&r.external_id)
    .bind(reservation_id)
    .bind(r.overall.get())
    .bind(score(c.communication))
    .bind(score(c.cleanliness))
    .bind(score(c.accuracy))
    .bind(score(c.location))
    .bind(score(c.value))
    .bind(&r.text)
    .bind(r.submitted_at)
    .fetch_optional(db)
    .await
}
