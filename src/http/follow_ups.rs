//! `POST /tickets/{id}/follow-up` (`app::follow_ups`): park a ticket until a time.

use super::body::Body;
use super::error::ApiError;
use super::identity::Caller;
use super::responses as doc;
use super::Routes;
use crate::app::Services;
use crate::domain::ids::TicketId;
use crate::wire::TicketView;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::POST, "/tickets/{id}/follow-up", set);
}

/// `POST /tickets/{id}/follow-up` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    /// When the ticket comes back: in the future, at most 366 days ahead.
    at: DateTime<Utc>,
    /// What to do then (at most 2,000 characters; may be empty).
    note: String,
}

/// The assignee (or a manager) parks the ticket until `at`: it leaves the working tabs and
/// the dispatcher's load, shows in the `follow_ups` view, and comes back at that time (or
/// when the guest writes again) to the same agent when they are working, else through
/// normal dispatching, with reason `follow_up`. A second follow-up replaces the first.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/follow-up", tag = "tickets",
    request_body = FollowUpBody,
    params(("id" = TicketId, Path, description = "The ticket's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The ticket, parked.", body = TicketView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 422, response = doc::InvalidState),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn set(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<TicketId>,
    body: Body<FollowUpBody>,
) -> Result<HttpResponse, ApiError> {
    let FollowUpBody { at, note } = body.parsed()?;
    let ticket = services
        .follow_ups
        .set(&caller.0, *id, at, &note, Utc::now())
        .await?;
    Ok(HttpResponse::Ok().json(ticket))
}
