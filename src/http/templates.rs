//! Reply templates: everyone signed in reads and renders them, managers write them
//! (`app::templates`).

use super::body::Body;
use super::error::ApiError;
use super::identity::{Caller, ManagerCaller};
use super::responses as doc;
use super::Routes;
use crate::app::templates::{PreviewBody, Rendered, TemplateBody};
use crate::app::Services;
use crate::domain::ids::TemplateId;
use crate::store::templates::Template;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/templates", list)
        .add(Method::POST, "/templates", create)
        .add(Method::GET, "/templates/{id}", get)
        .add(Method::PATCH, "/templates/{id}", update)
        .add(Method::DELETE, "/templates/{id}", delete)
        .add(Method::POST, "/templates/{id}/preview", preview);
}

type Answer = Result<HttpResponse, ApiError>;

/// `GET /templates` answer: every template of the account, in one page.
#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    items: Vec<Template>,
    /// Always `null`: the list is not paged.
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Every template, by name.", body = TemplateList),
        (status = 401, response = doc::Unauthorized),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn list(services: web::Data<Services>, caller: Caller) -> Answer {
    let items = services.templates.list(caller.0.account_id).await?;
    Ok(HttpResponse::Ok().json(TemplateList {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "templates",
    params(("id" = TemplateId, Path, description = "The template's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The template.", body = Template),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn get(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TemplateId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.templates.get(caller.0.account_id, *id).await?))
}

/// A new template needs a name and at least one variant.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body = TemplateBody,
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The new template.", body = Template),
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

#[utoipa::path(patch, path = "/api/v1/templates/{id}", tag = "templates",
    request_body = TemplateBody,
    params(("id" = TemplateId, Path, description = "The template's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The template as changed.", body = Template),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn update(
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

#[utoipa::path(delete, path = "/api/v1/templates/{id}", tag = "templates",
    params(("id" = TemplateId, Path, description = "The template's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn delete(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<TemplateId>,
) -> Answer {
    services.templates.delete(caller.0.account_id, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /templates/{id}/preview`: the variant for a ticket's guest filled from the ticket,
/// or for a language filled with the given values.
#[utoipa::path(post, path = "/api/v1/templates/{id}/preview", tag = "templates",
    request_body = PreviewBody,
    params(("id" = TemplateId, Path, description = "The template's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The filled-in text.", body = Rendered),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn preview(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TemplateId>,
    body: Body<PreviewBody>,
) -> Answer {
    let body = body.parsed()?;
    Ok(HttpResponse::Ok().json(services.templates.render(&caller.0, *id, &body).await?))
}
