//! `GET /api/v1/metrics` (Prometheus text), and the middleware that counts what the API
//! answers: every request by method, route pattern and status with its latency, and each
//! ingest delivery by outcome.

use super::error::ApiError;
use super::identity::bearer;
use crate::app::Services;
use crate::metrics::{IngestOutcome, Method, CONTENT_TYPE};
use crate::wire::Code;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpRequest, HttpResponse};
use std::time::Instant;

/// `GET /metrics`: the node's figures, to anyone when no metrics token is configured, else
/// only with `Authorization: Bearer <SWITCHBOARD_METRICS_TOKEN>`.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "ops",
    responses(
        (status = 200, description = "The node's figures in the Prometheus text format 0.0.4.",
            content_type = "text/plain", body = String),
        (status = 401, response = super::responses::Unauthorized),
    ))]
pub async fn scrape(
    services: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if !services.metrics.may_read(bearer(&req).as_deref()) {
        return Err(ApiError::new(
            Code::Unauthorized,
            "metrics need the bearer token the server was configured with",
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(services.metrics.render().await))
}

/// Counts each request under the route pattern it matched (`/api/v1/tickets/{id}`, never the
/// raw path), with its status and how long the answer took.
pub async fn record_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let services = req.app_data::<web::Data<Services>>().cloned();
    let method = Method::parse(req.method().as_str());
    let route = req.match_pattern();
    let answered = next.call(req).await;
    if let Some(services) = services {
        let status = status_of(&answered);
        let recorder = services.metrics.recorder();
        recorder.http_request(method, route.as_deref(), status, started.elapsed());
        // Each delivery to ingest by what its answer says (stored, repeated, refused,
        // failed), whichever layer answered: the key, the body or the store.
        if route.as_deref() == Some(INGEST_MESSAGES) {
            recorder.ingest(IngestOutcome::of_status(status));
        }
    }
    answered
}

/// The route whose answers are ingest outcomes.
const INGEST_MESSAGES: &str = "/api/v1/ingest/messages";

fn status_of<B>(answered: &Result<ServiceResponse<B>, Error>) -> u16 {
    match answered {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    }
}
