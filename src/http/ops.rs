//! Liveness and readiness for load balancers and orchestrators.

use crate::app::Services;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(super::metrics::scrape));
}

/// `GET /healthz`: the process answers.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: 503 unless PostgreSQL answers; Redis down is `degraded`, still 200.
async fn readyz(services: web::Data<Services>) -> HttpResponse {
    let ready = services.health.readiness().await;
    match ready.postgres {
        true => HttpResponse::Ok().json(ready),
        false => HttpResponse::ServiceUnavailable().json(ready),
    }
}
