//! Liveness and readiness for load balancers and orchestrators.

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// `GET /healthz`: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: 503 unless PostgreSQL answers. Redis being down does not make the node
/// unready (it keeps dispatching with in-process presence, SPEC §8) but is reported as
/// `degraded`, with `redis: false`.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let postgres = sqlx::query("SELECT 1").execute(&state.pool).await.is_ok();
    let presence = &state.realtime.presence;
    let redis = match presence.kind() {
        "redis" => Some(presence.ping().await.unwrap_or(false)),
        _ => None,
    };
    let status = match (postgres, redis) {
        (false, _) => "unavailable",
        (true, Some(false)) => "degraded",
        _ => "ready",
    };
    let body = json!({"status": status, "postgres": postgres, "redis": redis, "presence": presence.kind()});
    if postgres {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
