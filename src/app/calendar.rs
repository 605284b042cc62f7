//! A listing's booking calendar (issue 14, SPEC §9 `GET /listings/{id}/calendar?from=&to=`):
//! any user of the account may read it; another account's listing is not found.

use super::failure::{failure_from, Failure};
use crate::domain::calendar::{range, RangeError};
use crate::domain::ids::ListingId;
use crate::store::{self, sessions::Identity};
use crate::wire::calendar::CalendarView;
use crate::wire::{Code, ErrorCode};
use sqlx::PgPool;

/// Why a calendar was not shown.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("listing not found")]
    NotFound,
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(CalendarError);

impl ErrorCode for CalendarError {
    fn code(&self) -> Code {
        match self {
            CalendarError::NotFound => Code::NotFound,
            CalendarError::Range(_) => Code::InvalidQuery,
            CalendarError::Failure(f) => f.code(),
        }
    }
}

/// Reads calendars.
#[derive(Clone)]
pub struct Calendars {
    pool: PgPool,
}

impl Calendars {
    pub fn new(pool: PgPool) -> Calendars {
        Calendars { pool }
    }

    /// The listing's stays with a night between `from` and `to` (dates, `to` not shown).
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn of_listing(
        &self,
        who: &Identity,
        listing_id: ListingId,
        from: &str,
        to: &str,
    ) -> Result<CalendarView, CalendarError> {
        let days = range(from, to)?;
        let listing = store::calendar::listing(&self.pool, who.account_id, listing_id)
            .await?
            .ok_or(CalendarError::NotFound)?;
        let stays = store::calendar::stays(&self.pool, who.account_id, listing_id, days).await?;
        Ok(CalendarView::new(listing, days, stays))
    }
}
