//! `GET /listings/{id}/calendar?from=&to=` (`app::calendar`): a listing's booking calendar.

use super::error::ApiError;
use super::identity::Caller;
use super::responses as doc;
use super::Routes;
use crate::app::Services;
use crate::domain::ids::ListingId;
use crate::wire::calendar::CalendarView;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/listings/{id}/calendar", calendar);
}

/// `GET /listings/{id}/calendar` query.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// The first day shown, YYYY-MM-DD.
    #[param(example = "2026-06-01")]
    from: String,
    /// The first day not shown, YYYY-MM-DD: after `from`, at most 366 days later.
    #[param(example = "2026-07-01")]
    to: String,
}

/// The listing's stays (reservations that are not cancelled, with both dates) with a night
/// in [from, to), by check-in, each marked when it overlaps another: the ticket page's mini
/// calendar (two weeks either side of the stay).
#[utoipa::path(get, path = "/api/v1/listings/{id}/calendar", tag = "tickets",
    params(("id" = ListingId, Path, description = "The listing's id (a reservation's `listing_id`).",
        example = "1"), CalendarQuery),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The listing's calendar.", body = CalendarView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn calendar(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<ListingId>,
    query: web::Query<CalendarQuery>,
) -> Result<HttpResponse, ApiError> {
    let calendar = services
        .calendars
        .of_listing(&caller.0, *id, &query.from, &query.to)
        .await?;
    Ok(HttpResponse::Ok().json(calendar))
}
