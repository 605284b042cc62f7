//! `GET /api/v1/ws`: upgrades a signed-in user's request to a WebSocket session (SPEC §6).
//! Browsers authenticate with the session cookie, other clients with `?token=`; `?last_seq=`
//! on a reconnect asks for the missed frames instead of a full snapshot.

use super::error::ApiError;
use super::identity::identify;
use crate::app::Services;
use crate::domain::user::Role;
use crate::presence::SessionKey;
use crate::session::actor::{Peer, WsSession};
use crate::wire::Code;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

#[derive(Deserialize)]
struct WsQuery {
    last_seq: Option<u64>,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", web::get().to(connect));
}

async fn connect(
    services: web::Data<Services>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let who = identify(&req).await?;
    let query = web::Query::<WsQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::new(Code::InvalidQuery, e.to_string()))?;
    let (response, socket, stream) = actix_ws::handle(&req, body)?;
    let peer = Peer {
        key: SessionKey {
            account_id: who.account_id,
            user_id: who.user_id,
            connection_id: NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
        },
        is_manager: who.role == Role::Manager,
        resume_from: query.last_seq,
    };
    let desk = services.live.clone();
    WsSession::start(peer, desk, services.hub.clone(), socket, stream);
    Ok(response)
}
