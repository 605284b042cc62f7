//! The caller's own work state: start/stop the timer, pause/resume intake (SPEC §3). Each
//! call is idempotent and answers the caller's user object.

use super::error::ApiError;
use super::identity::Caller;
use crate::app::Services;
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
    services: web::Data<Services>,
    caller: Caller,
    change: WorkChange,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.work.change(&caller.0, change).await?))
}
