//! `POST /ingest/messages` and `/ingest/reservations` (account API key). A delivery is
//! answered 202 only after it is committed; the same delivery again answers 200 with the
//! same ids and changes nothing, so channels can retry freely.

use super::body::Body;
use super::error::ApiError;
use super::identity::IngestCaller;
use crate::domain::ingest::{InboundMessage, MessageBody, ReservationBody, Stay};
use crate::ingest::{self, Delivery};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ingest/messages", web::post().to(messages))
        .route("/ingest/reservations", web::post().to(reservations));
}

async fn messages(
    state: web::Data<AppState>,
    caller: IngestCaller,
    body: Body<MessageBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    let message = InboundMessage::parse(&body, chrono::Utc::now()).map_err(ApiError::invalid)?;
    Ok(
        match ingest::receive_message(&state.realtime, caller.account_id, &message).await? {
            Delivery::New(ids) => HttpResponse::Accepted().json(ids),
            Delivery::Repeat(ids) => HttpResponse::Ok().json(ids),
        },
    )
}

async fn reservations(
    state: web::Data<AppState>,
    caller: IngestCaller,
    body: Body<ReservationBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    let stay = Stay::parse(&body).map_err(ApiError::invalid)?;
    let (id, changed) =
        ingest::receive_reservation(&state.realtime, caller.account_id, &stay).await?;
    let body = json!({"reservation_id": id.to_string()});
    Ok(if changed {
        HttpResponse::Accepted().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}
