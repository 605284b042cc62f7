//! `/tickets`: lists by view, one ticket with its conversation, and the actions
//! (`app::inbox`, `app::tickets`).

use super::body::Body;
use super::error::ApiError;
use super::identity::{Caller, ManagerCaller};
use crate::app::inbox::ListQuery;
use crate::app::Services;
use crate::domain::ids::{TicketId, UserId};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tickets", web::get().to(list))
        .route("/tickets/{id}", web::get().to(get))
        .route("/tickets/{id}/open", web::post().to(open))
        .route("/tickets/{id}/reply", web::post().to(reply))
        .route("/tickets/{id}/pending", web::post().to(pending))
        .route("/tickets/{id}/done", web::post().to(done))
        .route("/tickets/{id}/claim", web::post().to(claim))
        .route("/tickets/{id}/assign", web::post().to(assign));
}

type Answer = Result<HttpResponse, ApiError>;

async fn list(
    services: web::Data<Services>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.inbox.list(&caller.0, &query).await?))
}

async fn get(services: web::Data<Services>, caller: Caller, id: web::Path<TicketId>) -> Answer {
    Ok(HttpResponse::Ok().json(services.inbox.ticket(&caller.0, *id).await?))
}

async fn open(services: web::Data<Services>, caller: Caller, id: web::Path<TicketId>) -> Answer {
    Ok(HttpResponse::Ok().json(services.tickets.open(&caller.0, *id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    body: String,
}

async fn reply(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
    body: Body<ReplyBody>,
) -> Answer {
    let text = body.parsed()?.body;
    Ok(HttpResponse::Ok().json(services.tickets.reply(&caller.0, *id, &text).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingBody {
    note: String,
}

async fn pending(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
    body: Body<PendingBody>,
) -> Answer {
    let note = body.parsed()?.note;
    Ok(HttpResponse::Ok().json(services.tickets.mark_pending(&caller.0, *id, &note).await?))
}

async fn done(services: web::Data<Services>, caller: Caller, id: web::Path<TicketId>) -> Answer {
    Ok(HttpResponse::Ok().json(services.tickets.mark_done(&caller.0, *id).await?))
}

async fn claim(services: web::Data<Services>, caller: Caller, id: web::Path<TicketId>) -> Answer {
    Ok(HttpResponse::Ok().json(services.tickets.claim(&caller.0, *id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    agent_id: UserId,
    /// Assign even when the agent's card does not take the ticket.
    #[serde(default)]
    force: bool,
}

async fn assign(
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
