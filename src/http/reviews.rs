//! `POST /ingest/reviews` (account API key): a guest's review of a stay. Answered 202 with
//! `{review_id}` once stored; the same review again answers 200 with the same id.

use super::body::Body;
use super::error::ApiError;
use super::identity::IngestCaller;
use crate::app::reviews::{ReviewDelivery, ReviewIngestError};
use crate::app::Services;
use crate::domain::review::{Review, ReviewBody};
use actix_web::{web, HttpResponse};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ingest/reviews", web::post().to(receive));
}

async fn receive(
    services: web::Data<Services>,
    caller: IngestCaller,
    body: Body<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let review =
        Review::parse(&body.parsed()?, chrono::Utc::now()).map_err(ReviewIngestError::from)?;
    Ok(
        match services
            .reviews
            .receive(caller.0.account_id, &review)
            .await?
        {
            ReviewDelivery::New(id) => HttpResponse::Accepted().json(json!({ "review_id": id })),
            ReviewDelivery::Repeat(id) => HttpResponse::Ok().json(json!({ "review_id": id })),
        },
    )
}
