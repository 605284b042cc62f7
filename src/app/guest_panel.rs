//! The guest panel (issue 14): who the guest is across channels, their earlier tickets and
//! stays, their languages and their latest review score (`GET /guests/{id}`). Any user of the
//! account may read it; another account's guest is not found. Guests of the account whose
//! e-mail or phone matches (`domain::guest_match`) count as the same person.

use super::failure::{failure_from, Failure};
use crate::domain::guest_match::{email_key, phone_key};
use crate::domain::ids::{GuestId, ReservationId, TicketId};
use crate::store::{self, guest_panel::GuestRow, sessions::Identity};
use crate::wire::{Code, ErrorCode};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// Why a panel was not shown.
#[derive(Debug, thiserror::Error)]
pub enum GuestPanelError {
    #[error("guest not found")]
    NotFound,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(GuestPanelError);

impl ErrorCode for GuestPanelError {
    fn code(&self) -> Code {
        match self {
            GuestPanelError::NotFound => Code::NotFound,
            GuestPanelError::Failure(f) => f.code(),
        }
    }
}

/// One guest record (a channel identity) and how to reach them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GuestContact {
    pub id: GuestId,
    pub channel: String,
    pub name: String,
    pub language: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl From<GuestRow> for GuestContact {
    fn from(g: GuestRow) -> GuestContact {
        GuestContact {
            id: g.id,
            channel: g.channel,
            name: g.name,
            language: g.language,
            email: g.email,
            phone: g.phone,
        }
    }
}

/// A ticket of the guest (any of their records).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GuestTicket {
    pub id: TicketId,
    pub state: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A reservation of the guest.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GuestStay {
    pub reservation_id: ReservationId,
    pub external_id: String,
    pub status: String,
    pub listing: String,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
}

/// The guest's latest review.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LatestReview {
    /// 1–5.
    pub overall: i16,
    pub submitted_at: DateTime<Utc>,
}

/// `GET /guests/{id}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GuestPanel {
    pub guest: GuestContact,
    /// The account's other guest records with the same e-mail address or phone number.
    pub matched: Vec<GuestContact>,
    /// Every language the guest's records name, without repeats.
    pub languages: Vec<String>,
    /// The newest 20 tickets of all these records, newest first (this one included).
    pub tickets: Vec<GuestTicket>,
    /// The newest 20 reservations, latest check-in first.
    pub stays: Vec<GuestStay>,
    pub latest_review: Option<LatestReview>,
}

/// Reads guest panels.
#[derive(Clone)]
pub struct GuestPanels {
    pool: PgPool,
}

impl GuestPanels {
    pub fn new(pool: PgPool) -> GuestPanels {
        GuestPanels { pool }
    }

    /// The guest's panel.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn panel(&self, who: &Identity, id: GuestId) -> Result<GuestPanel, GuestPanelError> {
        let account_id = who.account_id;
        let guest = store::guest_panel::guest(&self.pool, account_id, id)
            .await?
            .ok_or(GuestPanelError::NotFound)?;
        let email = guest.email.as_deref().and_then(email_key);
        let phone = guest.phone.as_deref().and_then(phone_key);
        let matched = store::guest_panel::matched(
            &self.pool,
            account_id,
            id,
            email.as_deref(),
            phone.as_deref(),
        )
        .await?;
        let ids: Vec<GuestId> = std::iter::once(id)
            .chain(matched.iter().map(|g| g.id))
            .collect();
        let mut languages: Vec<String> = Vec::new();
        for l in std::iter::once(&guest)
            .chain(&matched)
            .filter_map(|g| g.language.clone())
        {
            if !languages.contains(&l) {
                languages.push(l);
            }
        }
        let tickets = store::guest_panel::tickets(&self.pool, account_id, &ids).await?;
        let stays = store::guest_panel::stays(&self.pool, account_id, &ids).await?;
        let review = store::guest_panel::latest_review(&self.pool, account_id, &ids).await?;
        Ok(GuestPanel {
            guest: guest.into(),
            matched: matched.into_iter().map(GuestContact::from).collect(),
            languages,
            tickets: tickets
                .into_iter()
                .map(|t| GuestTicket {
                    id: t.id,
                    state: t.state,
                    channel: t.channel,
                    created_at: t.created_at,
                    closed_at: t.closed_at,
                })
                .collect(),
            stays: stays
                .into_iter()
                .map(|s| GuestStay {
                    reservation_id: s.reservation_id,
                    external_id: s.external_id,
                    status: s.status,
                    listing: s.listing,
                    check_in: s.check_in,
                    check_out: s.check_out,
                })
                .collect(),
            latest_review: review.map(|r| LatestReview {
                overall: r.overall,
                submitted_at: r.submitted_at,
            }),
        })
    }
}
