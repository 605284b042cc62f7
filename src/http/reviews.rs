//! `POST /ingest/reviews` (account API key): a guest's review of a stay. Answered 202 with
//! `{review_id}` once stored; the same review again answers 200 with the same id.

use super::body::Body;
use super::error::ApiError;
use super::identity::IngestCaller;
use super::responses as doc;
use super::Routes;
use crate::app::reviews::{ReviewDelivery, ReviewIngestError};
use crate::app::Services;
use crate::domain::ids::ReviewId;
use crate::domain::review::{Review, ReviewBody};
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::POST, "/ingest/reviews", receive);
}

/// The id a review is stored under.
#[derive(Serialize, ToSchema)]
pub struct StoredReview {
    review_id: ReviewId,
}

/// `POST /ingest/reviews`: a guest's review of a stay.
#[utoipa::path(post, path = "/api/v1/ingest/reviews", tag = "ingest", request_body = ReviewBody,
    security(("ingest_key" = [])),
    responses(
        (status = 202, description = "Stored.", body = StoredReview),
        (status = 200, description = "Already stored: the same id, nothing changed.", body = StoredReview),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 429, response = doc::RateLimited),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn receive(
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
            ReviewDelivery::New(review_id) => {
                HttpResponse::Accepted().json(StoredReview { review_id })
            }
            ReviewDelivery::Repeat(review_id) => {
                HttpResponse::Ok().json(StoredReview { review_id })
            }
        },
    )
}
