//! Routing groups (managers only): list, create, read, change, delete (`app::groups`).

use super::body::Body;
use super::error::ApiError;
use super::identity::ManagerCaller;
use super::responses as doc;
use super::Routes;
use crate::app::groups::{GroupPatch, NewGroup};
use crate::app::Services;
use crate::domain::ids::GroupId;
use crate::store::groups::Group;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/groups", list)
        .add(Method::POST, "/groups", create)
        .add(Method::GET, "/groups/{id}", get)
        .add(Method::PATCH, "/groups/{id}", update)
        .add(Method::DELETE, "/groups/{id}", delete);
}

type Answer = Result<HttpResponse, ApiError>;

/// `GET /groups` answer: every group of the account, by id (the order that decides which
/// group a ticket belongs to), in one page.
#[derive(Serialize, ToSchema)]
pub struct GroupList {
    items: Vec<Group>,
    /// Always `null`: the list is not paged.
    next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "groups",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Every routing group of the account, by id.", body = GroupList),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn list(services: web::Data<Services>, caller: ManagerCaller) -> Answer {
    let items = services.groups.list(caller.0.account_id).await?;
    Ok(HttpResponse::Ok().json(GroupList {
        items,
        next_cursor: None,
    }))
}

/// A ticket opened from now on belongs to the first group, by id, whose rules all match.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = NewGroup,
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The new group.", body = Group),
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
    body: Body<NewGroup>,
) -> Answer {
    let new = body.parsed()?;
    Ok(HttpResponse::Created().json(services.groups.create(caller.0.account_id, &new).await?))
}

#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "groups",
    params(("id" = GroupId, Path, description = "The group's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The group.", body = Group),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn get(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<GroupId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.groups.get(caller.0.account_id, *id).await?))
}

/// Tickets already opened keep the group they were routed to.
#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "groups", request_body = GroupPatch,
    params(("id" = GroupId, Path, description = "The group's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The group as changed.", body = Group),
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
    id: web::Path<GroupId>,
    body: Body<GroupPatch>,
) -> Answer {
    let patch = body.parsed()?;
    Ok(HttpResponse::Ok().json(
        services
            .groups
            .update(caller.0.account_id, *id, &patch)
            .await?,
    ))
}

/// Removes the group from every card; its open tickets are dispatched to anyone. A group
/// other groups overflow to is refused (409 `group_in_use`, with `overflow_from`).
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups",
    params(("id" = GroupId, Path, description = "The group's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn delete(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<GroupId>,
) -> Answer {
    services.groups.delete(caller.0.account_id, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
