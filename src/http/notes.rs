//! `POST /tickets/{id}/notes {body}`: an internal note on a ticket (`app::notes`), answered
//! 201 with the note.

use super::body::Body;
use super::error::ApiError;
use super::identity::Caller;
use crate::app::Services;
use crate::domain::ids::TicketId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tickets/{id}/notes", web::post().to(add));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    body: String,
}

async fn add(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
    body: Body<NoteBody>,
) -> Result<HttpResponse, ApiError> {
    let text = body.parsed()?.body;
    Ok(HttpResponse::Created().json(services.notes.add(&caller.0, *id, &text).await?))
}
