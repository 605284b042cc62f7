//! The caller's own work state: start/stop the timer, pause/resume intake (SPEC §3).
//!
//! Each call is idempotent (starting a running timer answers 200 and changes nothing) and
//! answers the caller's user object. A change is committed, then the dispatcher is told, so
//! tickets flow to or away from the agent at once.

use super::error::ApiError;
use super::identity::Caller;
use crate::state::AppState;
use crate::store::work::WorkChange;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/me/timer/start",
        web::post().to(|s, c| change(s, c, WorkChange::StartTimer)),
    )
    .route(
        "/me/timer/stop",
        web::post().to(|s, c| change(s, c, WorkChange::StopTimer)),
    )
    .route(
        "/me/intake/pause",
        web::post().to(|s, c| change(s, c, WorkChange::PauseIntake)),
    )
    .route(
        "/me/intake/resume",
        web::post().to(|s, c| change(s, c, WorkChange::ResumeIntake)),
    );
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    change: WorkChange,
) -> Result<HttpResponse, ApiError> {
    let user = state.realtime.change_work_state(&caller.0, change).await?;
    Ok(HttpResponse::Ok().json(user))
}
