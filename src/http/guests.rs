//! `GET /guests/{id}` (`app::guest_panel`): the guest panel.

use super::error::ApiError;
use super::identity::Caller;
use super::responses as doc;
use super::Routes;
use crate::app::guest_panel::GuestPanel;
use crate::app::Services;
use crate::domain::ids::GuestId;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/guests/{id}", panel);
}

/// The guest across channels (records matched by e-mail or phone), their earlier tickets
/// and stays, languages, and latest review score.
#[utoipa::path(get, path = "/api/v1/guests/{id}", tag = "tickets",
    params(("id" = GuestId, Path, description = "The guest's id (a ticket's `guest.id`).", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The guest panel.", body = GuestPanel),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn panel(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<GuestId>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.guest_panels.panel(&caller.0, *id).await?))
}
