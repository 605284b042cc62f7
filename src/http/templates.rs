//! Reply templates: everyone signed in reads and renders them, managers write them
//! (`app::templates`).

use super::body::Body;
use super::error::ApiError;
use super::identity::{Caller, ManagerCaller};
use crate::app::templates::{PreviewBody, TemplateBody};
use crate::app::Services;
use crate::domain::ids::TemplateId;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/templates", web::get().to(list))
        .route("/templates", web::post().to(create))
        .route("/templates/{id}", web::get().to(get))
        .route("/templates/{id}", web::patch().to(update))
        .route("/templates/{id}", web::delete().to(delete))
        .route("/templates/{id}/preview", web::post().to(preview));
}

type Answer = Result<HttpResponse, ApiError>;

async fn list(services: web::Data<Services>, caller: Caller) -> Answer {
    let items = services.templates.list(caller.0.account_id).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

async fn get(services: web::Data<Services>, caller: Caller, id: web::Path<TemplateId>) -> Answer {
    Ok(HttpResponse::Ok().json(services.templates.get(caller.0.account_id, *id).await?))
}

async fn create(
    services: web::Data<Services>,
    caller: ManagerCaller,
    body: Body<TemplateBody>,
) -> Answer {
    let body = body.parsed()?;
    Ok(HttpResponse::Created().json(
        services
            .templates
            .create(caller.0.account_id, &body)
            .await?,
    ))
}

async fn update(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<TemplateId>,
    body: Body<TemplateBody>,
) -> Answer {
    let body = body.parsed()?;
    Ok(HttpResponse::Ok().json(
        services
            .templates
            .update(caller.0.account_id, *id, &body)
            .await?,
    ))
}

async fn delete(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<TemplateId>,
) -> Answer {
    services.templates.delete(caller.0.account_id, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /templates/{id}/preview`: the variant for a ticket's guest filled from the ticket,
/// or for a language filled with the given values.
async fn preview(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TemplateId>,
    body: Body<PreviewBody>,
) -> Answer {
    let body = body.parsed()?;
    Ok(HttpResponse::Ok().json(services.templates.render(&caller.0, *id, &body).await?))
}
