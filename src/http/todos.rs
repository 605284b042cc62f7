//! To-dos on a ticket and its mood (`app::todos`): `GET /todos` ("My to-dos"),
//! `GET/POST /tickets/{id}/todos`,
//! `PATCH/DELETE /tickets/{id}/todos/{todo_id}` and `POST /tickets/{id}/mood`.

use super::body::Body;
use super::error::ApiError;
use super::identity::Caller;
use super::responses as doc;
use super::Routes;
use crate::app::todos::{TodoChange, TodoInput};
use crate::app::Services;
use crate::domain::account::present;
use crate::domain::ids::{TicketId, TodoId};
use crate::domain::todo::TodoKind;
use crate::wire::{MyTodoView, TodoView};
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/todos", mine)
        .add(Method::GET, "/tickets/{id}/todos", list)
        .add(Method::POST, "/tickets/{id}/todos", add)
        .add(Method::PATCH, "/tickets/{id}/todos/{todo_id}", update)
        .add(Method::DELETE, "/tickets/{id}/todos/{todo_id}", delete)
        .add(Method::POST, "/tickets/{id}/mood", mood);
}

type Answer = Result<HttpResponse, ApiError>;

/// `GET /tickets/{id}/todos` answer: every to-do of the ticket, oldest first, in one page.
#[derive(Serialize, ToSchema)]
pub struct TodoList {
    items: Vec<TodoView>,
    /// Always `null`: the list is not paged.
    next_cursor: Option<String>,
}

/// `GET /todos` answer: the caller's open to-dos, soonest due first, in one page.
#[derive(Serialize, ToSchema)]
pub struct MyTodoList {
    items: Vec<MyTodoView>,
    /// Always `null`: the list is not paged (it holds at most 500).
    next_cursor: Option<String>,
}

/// A new to-do as sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTodoBody {
    /// 1–200 characters once trimmed, without U+0000.
    title: String,
    #[schema(value_type = TodoKind)]
    kind: String,
    #[serde(default)]
    due_at: Option<DateTime<Utc>>,
}

/// `PATCH /tickets/{id}/todos/{todo_id}` body: absent fields keep their value; `due_at: null`
/// clears the due time.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TodoPatch {
    title: Option<String>,
    #[schema(value_type = Option<TodoKind>)]
    kind: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable)]
    due_at: Option<Option<DateTime<Utc>>>,
    done: Option<bool>,
}

/// `POST /tickets/{id}/mood` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoodBody {
    /// The guest's "fun level", 1 (furious) to 5 (delighted).
    #[schema(minimum = 1, maximum = 5)]
    mood: i64,
}

/// "My to-dos": the caller's open to-dos across the account's tickets — on tickets assigned
/// to them, or written by them — soonest due first (none due last), overdue ones marked.
#[utoipa::path(get, path = "/api/v1/todos", tag = "tickets",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller's open to-dos.", body = MyTodoList),
        (status = 401, response = doc::Unauthorized),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn mine(services: web::Data<Services>, caller: Caller) -> Answer {
    let items = services.todos.mine(&caller.0, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(MyTodoList {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/todos", tag = "tickets",
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket's to-dos, oldest first.", body = TodoList),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn list(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
) -> Answer {
    let items = services.todos.list(&caller.0, *id).await?;
    Ok(HttpResponse::Ok().json(TodoList {
        items,
        next_cursor: None,
    }))
}

/// Anyone of the account who may read the ticket may add a to-do to it.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/todos", tag = "tickets", request_body = NewTodoBody,
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The to-do as stored.", body = TodoView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn add(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
    body: Body<NewTodoBody>,
) -> Answer {
    let b = body.parsed()?;
    let input = TodoInput {
        title: &b.title,
        kind: &b.kind,
        due_at: b.due_at,
    };
    Ok(HttpResponse::Created().json(services.todos.add(&caller.0, *id, input).await?))
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}/todos/{todo_id}", tag = "tickets", request_body = TodoPatch,
    params(
        ("id" = TicketId, Path, description = "The ticket's id.", example = "1"),
        ("todo_id" = TodoId, Path, description = "The to-do's id.", example = "1"),
    ),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The to-do as changed.", body = TodoView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn update(
    services: web::Data<Services>,
    caller: Caller,
    path: web::Path<(TicketId, TodoId)>,
    body: Body<TodoPatch>,
) -> Answer {
    let (id, todo_id) = path.into_inner();
    let b = body.parsed()?;
    let kind = b
        .kind
        .as_deref()
        .map(TodoKind::parse)
        .transpose()
        .map_err(crate::app::todos::TodoActionError::from)?;
    let change = TodoChange {
        title: b.title.as_deref(),
        kind,
        due_at: b.due_at,
        done: b.done,
    };
    Ok(HttpResponse::Ok().json(
        services
            .todos
            .update(&caller.0, id, todo_id, change)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}/todos/{todo_id}", tag = "tickets",
    params(
        ("id" = TicketId, Path, description = "The ticket's id.", example = "1"),
        ("todo_id" = TodoId, Path, description = "The to-do's id.", example = "1"),
    ),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn delete(
    services: web::Data<Services>,
    caller: Caller,
    path: web::Path<(TicketId, TodoId)>,
) -> Answer {
    let (id, todo_id) = path.into_inner();
    services.todos.delete(&caller.0, id, todo_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The latest mood wins, stored with who set it and when (the bridge may set it too, as
/// `mood` on an ingest message).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/mood", tag = "tickets", request_body = MoodBody,
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Stored."),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn mood(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
    body: Body<MoodBody>,
) -> Answer {
    let mood = body.parsed()?.mood;
    services
        .todos
        .set_mood(&caller.0, *id, mood, Utc::now())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
