//! `GET /wallboard` (managers): the live figures of SPEC §4; the same object arrives in
//! `wallboard` frames on managers' sockets.

use super::error::ApiError;
use super::identity::ManagerCaller;
use super::responses as doc;
use super::Routes;
use crate::app::wallboard::Wallboard;
use crate::app::Services;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/wallboard", get);
}

#[utoipa::path(get, path = "/api/v1/wallboard", tag = "wallboard",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Today's live figures.", body = Wallboard),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn get(
    services: web::Data<Services>,
    caller: ManagerCaller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.wallboards.now(caller.0.account_id).await?))
}
