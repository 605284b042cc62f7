//! `GET /wallboard` (managers): the live figures of SPEC §4; the same object arrives in
//! `wallboard` frames on managers' sockets.

use super::error::ApiError;
use super::identity::ManagerCaller;
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/wallboard", web::get().to(get));
}

async fn get(state: web::Data<AppState>, caller: ManagerCaller) -> Result<HttpResponse, ApiError> {
    let board = crate::wallboard::compute(
        &state.pool,
        state.realtime.presence.as_ref(),
        caller.0.account_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(board))
}
