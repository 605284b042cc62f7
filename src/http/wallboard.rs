//! `GET /wallboard` (managers): the live figures of SPEC §4; the same object arrives in
//! `wallboard` frames on managers' sockets.

use super::error::ApiError;
use super::identity::ManagerCaller;
use crate::app::Services;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/wallboard", web::get().to(get));
}

async fn get(
    services: web::Data<Services>,
    caller: ManagerCaller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.wallboards.now(caller.0.account_id).await?))
}
