//! Liveness and readiness for load balancers and orchestrators.

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// `GET /healthz`: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: PostgreSQL answers (and Redis, once configured). 503 otherwise.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let postgres = sqlx::query("SELECT 1").execute(&state.pool).await.is_ok();
    let body =
        json!({"status": if postgres { "ready" } else { "unavailable" }, "postgres": postgres});
    if postgres {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
