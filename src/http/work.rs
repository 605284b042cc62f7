//! The caller's own work state: start/stop the timer, pause/resume intake (SPEC §3). Each
//! call is idempotent and answers the caller's user object.

use super::error::ApiError;
use super::identity::Caller;
use super::responses as doc;
use super::Routes;
use crate::app::Services;
use crate::domain::work::WorkChange;
use crate::wire::UserView;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::POST, "/me/timer/start", start_timer)
        .add(Method::POST, "/me/timer/stop", stop_timer)
        .add(Method::POST, "/me/intake/pause", pause_intake)
        .add(Method::POST, "/me/intake/resume", resume_intake);
}

type Answer = Result<HttpResponse, ApiError>;

async fn change(services: web::Data<Services>, caller: Caller, change: WorkChange) -> Answer {
    Ok(HttpResponse::Ok().json(services.work.change(&caller.0, change).await?))
}

#[utoipa::path(post, path = "/api/v1/me/timer/start", tag = "work",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller, working.", body = UserView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn start_timer(services: web::Data<Services>, caller: Caller) -> Answer {
    change(services, caller, WorkChange::StartTimer).await
}

/// Stopping also ends a pause; the caller's unopened tickets go back to dispatching. An
/// agent whose routing group would be left below its `min_agents` is refused (409
/// `coverage_floor`, naming the group); a manager may stop anyway.
#[utoipa::path(post, path = "/api/v1/me/timer/stop", tag = "work",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller, not working.", body = UserView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn stop_timer(services: web::Data<Services>, caller: Caller) -> Answer {
    change(services, caller, WorkChange::StopTimer).await
}

#[utoipa::path(post, path = "/api/v1/me/intake/pause", tag = "work",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller, taking no new tickets.", body = UserView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn pause_intake(services: web::Data<Services>, caller: Caller) -> Answer {
    change(services, caller, WorkChange::PauseIntake).await
}

#[utoipa::path(post, path = "/api/v1/me/intake/resume", tag = "work",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller, taking tickets again.", body = UserView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn resume_intake(services: web::Data<Services>, caller: Caller) -> Answer {
    change(services, caller, WorkChange::ResumeIntake).await
}
