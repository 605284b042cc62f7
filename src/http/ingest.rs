//! `POST /ingest/messages` and `/ingest/reservations` (account API key). A delivery is
//! answered 202 only after it is committed; the same delivery again answers 200 with the
//! same ids and changes nothing, so channels can retry freely.

use super::body::Body;
use super::error::ApiError;
use super::identity::IngestCaller;
use crate::app::ingest::Delivery;
use crate::app::Services;
use crate::domain::ingest::{
    InboundMessage, MessageBody, MessageRefusal, ReservationBody, Stay, LIVE_WINDOW_DAYS,
};
use crate::wire::Code;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    let counted = actix_web::middleware::from_fn(super::metrics::count_ingest);
    cfg.route("/ingest/messages", web::post().to(messages).wrap(counted))
        .route("/ingest/reservations", web::post().to(reservations));
}

async fn messages(
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

async fn reservations(
    services: web::Data<Services>,
    caller: IngestCaller,
    body: Body<ReservationBody>,
) -> Result<HttpResponse, ApiError> {
    let stay = Stay::parse(&body.parsed()?).map_err(|e| ApiError::new(Code::InvalidInput, e))?;
    let (id, changed) = services
        .ingest
        .receive_reservation(caller.0.account_id, &stay)
        .await?;
    let body = json!({ "reservation_id": id });
    Ok(match changed {
        true => HttpResponse::Accepted().json(body),
        false => HttpResponse::Ok().json(body),
    })
}
