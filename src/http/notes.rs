//! `POST /tickets/{id}/notes {body}`: an internal note on a ticket (`app::notes`), answered
//! 201 with the note.

use super::body::Body;
use super::error::ApiError;
use super::identity::Caller;
use super::responses as doc;
use super::Routes;
use crate::app::Services;
use crate::domain::ids::TicketId;
use crate::wire::NoteView;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::POST, "/tickets/{id}/notes", add);
}

/// An internal note as sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// 1–4,000 characters once trimmed; `@Name` mentions a teammate.
    body: String,
}

/// `POST /tickets/{id}/notes`: an internal note, never sent to the guest.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/notes", tag = "tickets", request_body = NoteBody,
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The note as stored.", body = NoteView),
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
    body: Body<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    let text = body.parsed()?.body;
    Ok(HttpResponse::Created().json(services.notes.add(&caller.0, *id, &text).await?))
}
