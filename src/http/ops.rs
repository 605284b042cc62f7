//! Liveness and readiness for load balancers and orchestrators.

use super::Routes;
use crate::app::health::Readiness;
use crate::app::Services;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/healthz", healthz)
        .add(Method::GET, "/readyz", readyz)
        .add(Method::GET, "/metrics", super::metrics::scrape);
}

/// `GET /healthz` answer.
#[derive(Serialize, ToSchema)]
pub struct Alive {
    /// Always `ok`.
    status: &'static str,
}

/// `GET /healthz`: the process answers.
#[utoipa::path(get, path = "/api/v1/healthz", tag = "ops",
    responses((status = 200, description = "The process answers.", body = Alive)))]
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Alive { status: "ok" })
}

/// `GET /readyz`: 503 unless PostgreSQL answers; Redis down is `degraded`, still 200.
#[utoipa::path(get, path = "/api/v1/readyz", tag = "ops", responses(
    (status = 200, description = "Ready, or `degraded` without Redis.", body = Readiness),
    (status = 503, description = "PostgreSQL does not answer.", body = Readiness),
))]
pub(super) async fn readyz(services: web::Data<Services>) -> HttpResponse {
    let ready = services.health.readiness().await;
    match ready.postgres {
        true => HttpResponse::Ok().json(ready),
        false => HttpResponse::ServiceUnavailable().json(ready),
    }
}
