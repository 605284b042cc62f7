//! Receiving guest reviews from the channels (SPEC §9): stored once per channel review id,
//! only for a reservation the account has; a repeat answers the stored id and changes nothing.
//! Reports read them by submission time (`app::reports`).

use super::failure::{failure_from, Failure};
use crate::domain::ids::{AccountId, ReviewId};
use crate::domain::review::{Review, ReviewError};
use crate::store;
use crate::wire::{Code, ErrorCode};
use sqlx::PgPool;

/// Why a review was not stored.
#[derive(Debug, thiserror::Error)]
pub enum ReviewIngestError {
    #[error(transparent)]
    Invalid(#[from] ReviewError),
    #[error("no reservation `{0}` on this channel; send the reservation first")]
    UnknownReservation(String),
    /// The same review id arrived at once on two requests and neither can be read back yet.
    #[error("the review was stored concurrently; send it again")]
    Concurrent,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(ReviewIngestError);

impl ErrorCode for ReviewIngestError {
    fn code(&self) -> Code {
        match self {
            ReviewIngestError::Invalid(ReviewError::InvalidScore(_)) => Code::InvalidScore,
            ReviewIngestError::Invalid(ReviewError::TextTooLong) => Code::TextTooLong,
            ReviewIngestError::Invalid(ReviewError::Invalid(_)) => Code::InvalidInput,
            ReviewIngestError::UnknownReservation(_) => Code::UnknownReservation,
            ReviewIngestError::Concurrent => Code::Conflict,
            ReviewIngestError::Failure(f) => f.code(),
        }
    }
}

/// Whether a review was new or a repeat of one already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDelivery {
    New(ReviewId),
    Repeat(ReviewId),
}

/// Stores what channels deliver about stays.
#[derive(Clone)]
pub struct Reviews {
    pool: PgPool,
}

impl Reviews {
    pub fn new(pool: PgPool) -> Reviews {
        Reviews { pool }
    }

    /// Stores a review of one of the account's reservations, or answers the one stored under
    /// the same channel id (unchanged, whatever this delivery says).
    #[tracing::instrument(skip(self, review), fields(account_id = %account_id, channel = %review.channel))]
    pub async fn receive(
        &self,
        account_id: AccountId,
        review: &Review,
    ) -> Result<ReviewDelivery, ReviewIngestError> {
        let channel = review.channel.as_str();
        let stored = || store::reviews::find(&self.pool, account_id, channel, &review.external_id);
        if let Some(id) = stored().await? {
            return Ok(ReviewDelivery::Repeat(id));
        }
        let reservation = store::reviews::reservation(
            &self.pool,
            account_id,
            channel,
            &review.reservation_external_id,
        )
        .await?
        .ok_or_else(|| {
            ReviewIngestError::UnknownReservation(review.reservation_external_id.clone())
        })?;
        match store::reviews::insert(&self.pool, account_id, reservation, review).await? {
            Some(id) => Ok(ReviewDelivery::New(id)),
            // Stored at once by another request: that one wins.
            None => stored()
                .await?
                .map(ReviewDelivery::Repeat)
                .ok_or(ReviewIngestError::Concurrent),
        }
    }
}
