//! Agents (managers only): list, create, read, update (`app::agents`).

use super::body::Body;
use super::error::ApiError;
use super::identity::ManagerCaller;
use super::responses as doc;
use super::Routes;
use crate::app::agents::{AgentPatch, NewAgent};
use crate::app::Services;
use crate::domain::ids::UserId;
use crate::domain::work::WorkChange;
use crate::wire::UserView;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/agents", list)
        .add(Method::POST, "/agents", create)
        .add(Method::GET, "/agents/{id}", get)
        .add(Method::PATCH, "/agents/{id}", update)
        .add(Method::POST, "/agents/{id}/timer/stop", stop_timer)
        .add(Method::POST, "/agents/{id}/intake/pause", pause_intake);
}

/// `GET /agents` answer: every user of the account, in one page.
#[derive(Serialize, ToSchema)]
pub struct AgentList {
    items: Vec<UserView>,
    /// Always `null`: the list is not paged.
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/agents", tag = "agents",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Every user of the account.", body = AgentList),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn list(
    services: web::Data<Services>,
    caller: ManagerCaller,
) -> Result<HttpResponse, ApiError> {
    let items = services.agents.list(caller.0.account_id).await?;
    Ok(HttpResponse::Ok().json(AgentList {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", request_body = NewAgent,
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The new user.", body = UserView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn create(
    services: web::Data<Services>,
    caller: ManagerCaller,
    body: Body<NewAgent>,
) -> Result<HttpResponse, ApiError> {
    let new = body.parsed()?;
    Ok(HttpResponse::Created().json(services.agents.create(&caller.0, &new).await?))
}

#[utoipa::path(get, path = "/api/v1/agents/{id}", tag = "agents",
    params(("id" = UserId, Path, description = "The user's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The user.", body = UserView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn get(
    services: web::Data<Services>,
    caller: ManagerCaller,
    path: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.agents.get(caller.0.account_id, *path).await?))
}

/// Deactivation and a new password end the user's other sessions; the last active manager
/// stays one (422).
#[utoipa::path(patch, path = "/api/v1/agents/{id}", tag = "agents", request_body = AgentPatch,
    params(("id" = UserId, Path, description = "The user's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The user as changed.", body = UserView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 422, response = doc::InvalidState),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn update(
    services: web::Data<Services>,
    caller: ManagerCaller,
    path: web::Path<UserId>,
    body: Body<AgentPatch>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.parsed()?;
    Ok(HttpResponse::Ok().json(services.agents.update(&caller.0, *path, &patch).await?))
}

/// A manager stops an agent's work timer: the routing groups' coverage floor does not hold a
/// manager back (this is how one lets an agent go when their group would be left short).
#[utoipa::path(post, path = "/api/v1/agents/{id}/timer/stop", tag = "agents",
    params(("id" = UserId, Path, description = "The user's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The user, not working.", body = UserView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn stop_timer(
    services: web::Data<Services>,
    caller: ManagerCaller,
    path: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    change_for(services, caller, *path, WorkChange::StopTimer).await
}

/// A manager pauses an agent's intake, past the routing groups' coverage floor.
#[utoipa::path(post, path = "/api/v1/agents/{id}/intake/pause", tag = "agents",
    params(("id" = UserId, Path, description = "The user's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The user, taking no new tickets.", body = UserView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn pause_intake(
    services: web::Data<Services>,
    caller: ManagerCaller,
    path: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    change_for(services, caller, *path, WorkChange::PauseIntake).await
}

/// A manager's change to an agent's work state, answered with the user as they are after it.
async fn change_for(
    services: web::Data<Services>,
    caller: ManagerCaller,
    agent: UserId,
    change: WorkChange,
) -> Result<HttpResponse, ApiError> {
    let view = services.work.change_for(&caller.0, agent, change).await?;
    Ok(HttpResponse::Ok().json(view))
}
