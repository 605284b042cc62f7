//! `/tickets`: lists by view, one ticket with its conversation, and the actions
//! (`app::inbox`, `app::tickets`).

use super::body::Body;
use super::error::ApiError;
use super::identity::{Caller, ManagerCaller};
use super::responses as doc;
use super::Routes;
use crate::app::inbox::{ListQuery, Page, TicketDetail, ViewCounts};
use crate::app::tickets::Assigned;
use crate::app::Services;
use crate::domain::ids::{TicketId, UserId};
use crate::wire::{ActivityLog, TicketView};
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/tickets", list)
        .add(Method::GET, "/tickets/counts", counts)
        .add(Method::GET, "/tickets/{id}", get)
        .add(Method::GET, "/tickets/{id}/activity", activity)
        .add(Method::POST, "/tickets/{id}/open", open)
        .add(Method::POST, "/tickets/{id}/reply", reply)
        .add(Method::POST, "/tickets/{id}/pending", pending)
        .add(Method::POST, "/tickets/{id}/done", done)
        .add(Method::POST, "/tickets/{id}/claim", claim)
        .add(Method::POST, "/tickets/{id}/assign", assign);
}

type Answer = Result<HttpResponse, ApiError>;

/// A page of tickets of one inbox view, newest first.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(ListQuery),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of tickets.", body = Page),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn list(
    services: web::Data<Services>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.inbox.list(&caller.0, &query).await?))
}

/// How many tickets each guest view (to-dos, refunds, awaiting payment, staying unhappy…)
/// holds for the caller, each capped: the inbox tabs' counts, without the lists.
#[utoipa::path(get, path = "/api/v1/tickets/counts", tag = "tickets",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Each guest view's count.", body = ViewCounts),
        (status = 401, response = doc::Unauthorized),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn counts(services: web::Data<Services>, caller: Caller) -> Answer {
    Ok(HttpResponse::Ok().json(services.inbox.counts(&caller.0).await?))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket with its messages and reservation.",
            body = TicketDetail),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn get(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.inbox.ticket(&caller.0, *id).await?))
}

/// What happened to the ticket (created, assigned and why, opened, replied, pending, done),
/// with who and when, oldest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/activity", tag = "tickets",
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket's activity log.", body = ActivityLog),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn activity(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.tickets.activity(&caller.0, *id).await?))
}

/// The assignee (or a manager) looks at the ticket: the dispatcher no longer moves it.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/open", tag = "tickets",
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket as changed.", body = TicketView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::InvalidState),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn open(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.tickets.open(&caller.0, *id).await?))
}

/// `POST /tickets/{id}/reply` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    body: String,
}

/// Sends a reply to the guest (opening the ticket if it was not).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/reply", tag = "tickets",
    request_body = ReplyBody,
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket as changed.", body = TicketView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 422, response = doc::InvalidState),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn reply(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
    body: Body<ReplyBody>,
) -> Answer {
    let text = body.parsed()?.body;
    Ok(HttpResponse::Ok().json(services.tickets.reply(&caller.0, *id, &text).await?))
}

/// `POST /tickets/{id}/pending` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingBody {
    note: String,
}

/// Flags the ticket for a manager, with a note.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/pending", tag = "tickets",
    request_body = PendingBody,
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket as changed.", body = TicketView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 422, response = doc::InvalidState),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn pending(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
    body: Body<PendingBody>,
) -> Answer {
    let note = body.parsed()?.note;
    Ok(HttpResponse::Ok().json(services.tickets.mark_pending(&caller.0, *id, &note).await?))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/done", tag = "tickets",
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket as changed.", body = TicketView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::InvalidState),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn done(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.tickets.mark_done(&caller.0, *id).await?))
}

/// Takes a ticket offered to the caller (the `broadcast` strategy).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/claim", tag = "tickets",
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket, now the caller's.", body = TicketView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::InvalidState),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn claim(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.tickets.claim(&caller.0, *id).await?))
}

/// `POST /tickets/{id}/assign` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    agent_id: UserId,
    /// Assign even when the agent's card does not take the ticket.
    #[serde(default)]
    force: bool,
}

/// A manager gives the ticket to an agent (any state but done) and pins it there.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/assign", tag = "tickets",
    request_body = AssignBody,
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket as assigned, and whether the agent is working.",
            body = Assigned),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 422, response = doc::InvalidState),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn assign(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<TicketId>,
    body: Body<AssignBody>,
) -> Answer {
    let AssignBody { agent_id, force } = body.parsed()?;
    let assigned = services
        .tickets
        .assign(&caller.0, *id, agent_id, force)
        .await?;
    Ok(HttpResponse::Ok().json(assigned))
}
