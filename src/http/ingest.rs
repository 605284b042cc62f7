//! `POST /ingest/messages` and `/ingest/reservations` (account API key). A delivery is
//! answered 202 only after it is committed; the same delivery again answers 200 with the
//! same ids and changes nothing, so channels can retry freely.

use super::body::Body;
use super::error::ApiError;
use super::identity::IngestCaller;
use super::responses as doc;
use super::Routes;
use crate::app::ingest::{Delivery, StoredIds};
use crate::app::Services;
use crate::domain::ids::ReservationId;
use crate::domain::ingest::{
    InboundMessage, MessageBody, MessageRefusal, ReservationBody, Stay, LIVE_WINDOW_DAYS,
};
use crate::wire::Code;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::POST, "/ingest/messages", messages).add(
        Method::POST,
        "/ingest/reservations",
        reservations,
    );
}

#[utoipa::path(post, path = "/api/v1/ingest/messages", tag = "ingest", request_body = MessageBody,
    security(("ingest_key" = [])),
    responses(
        (status = 202, description = "Stored (durable before this answer).", body = StoredIds),
        (status = 200, description = "Already stored: the same ids, nothing changed.", body = StoredIds),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 429, response = doc::RateLimited),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn messages(
    services: web::Data<Services>,
    caller: IngestCaller,
    body: Body<MessageBody>,
) -> Result<HttpResponse, ApiError> {
    let message =
        InboundMessage::parse(&body.parsed()?, chrono::Utc::now()).map_err(|e| match e {
            MessageRefusal::Invalid(reason) => ApiError::new(Code::InvalidInput, reason),
            MessageRefusal::SentAtOutOfRange => ApiError::new(
                Code::SentAtOutOfRange,
                format!(
                    "`sent_at` is more than {LIVE_WINDOW_DAYS} days old; send backfilled messages with `history: true`"
                ),
            ),
        })?;
    Ok(
        match services
            .ingest
            .receive_message(caller.0.account_id, &message)
            .await?
        {
            Delivery::New(ids) => HttpResponse::Accepted().json(ids),
            Delivery::Repeat(ids) => HttpResponse::Ok().json(ids),
        },
    )
}

/// `POST /ingest/reservations` answer.
#[derive(Serialize, ToSchema)]
pub struct StoredReservation {
    reservation_id: ReservationId,
}

#[utoipa::path(post, path = "/api/v1/ingest/reservations", tag = "ingest",
    request_body = ReservationBody,
    security(("ingest_key" = [])),
    responses(
        (status = 202, description = "Stored or changed.", body = StoredReservation),
        (status = 200, description = "Already stored as sent: nothing changed.", body = StoredReservation),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 429, response = doc::RateLimited),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn reservations(
    services: web::Data<Services>,
    caller: IngestCaller,
    body: Body<ReservationBody>,
) -> Result<HttpResponse, ApiError> {
    let stay = Stay::parse(&body.parsed()?).map_err(|e| ApiError::new(Code::InvalidInput, e))?;
    let (reservation_id, changed) = services
        .ingest
        .receive_reservation(caller.0.account_id, &stay)
        .await?;
    let body = StoredReservation { reservation_id };
    Ok(match changed {
        true => HttpResponse::Accepted().json(body),
        false => HttpResponse::Ok().json(body),
    })
}
