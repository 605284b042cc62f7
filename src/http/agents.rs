//! Agents (managers only): list, create, read, update (`app::agents`).

use super::body::Body;
use super::error::ApiError;
use super::identity::ManagerCaller;
use crate::app::agents::{AgentPatch, NewAgent};
use crate::app::Services;
use crate::domain::ids::UserId;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/agents", web::get().to(list))
        .route("/agents", web::post().to(create))
        .route("/agents/{id}", web::get().to(get))
        .route("/agents/{id}", web::patch().to(update));
}

async fn list(
    services: web::Data<Services>,
    caller: ManagerCaller,
) -> Result<HttpResponse, ApiError> {
    let items = services.agents.list(caller.0.account_id).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

async fn create(
    services: web::Data<Services>,
    caller: ManagerCaller,
    body: Body<NewAgent>,
) -> Result<HttpResponse, ApiError> {
    let new = body.parsed()?;
    Ok(HttpResponse::Created().json(services.agents.create(&caller.0, &new).await?))
}

async fn get(
    services: web::Data<Services>,
    caller: ManagerCaller,
    path: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.agents.get(caller.0.account_id, *path).await?))
}

async fn update(
    services: web::Data<Services>,
    caller: ManagerCaller,
    path: web::Path<UserId>,
    body: Body<AgentPatch>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.parsed()?;
    Ok(HttpResponse::Ok().json(services.agents.update(&caller.0, *path, &patch).await?))
}
