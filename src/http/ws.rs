//! `GET /api/v1/ws`: upgrades a signed-in user's request to a WebSocket session (SPEC §6).
//! Browsers authenticate with the session cookie, other clients with `?token=`; `?last_seq=`
//! on a reconnect asks for the missed frames instead of a full snapshot.

use super::error::ApiError;
use super::identity::identify;
use super::responses as doc;
use super::Routes;
use crate::app::Services;
use crate::domain::user::Role;
use crate::presence::SessionKey;
use crate::session::actor::{Peer, WsSession};
use crate::session::hub::LeftOff;
use crate::wire::Code;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// The last `seq` this client saw: replay what followed instead of a snapshot.
    last_seq: Option<u64>,
    /// The `epoch` of the `hello` that `last_seq` counts after: a node whose history for the
    /// user is another (another node, a restart) answers a snapshot.
    epoch: Option<u64>,
}

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/ws", connect);
}

/// The live connection (SPEC §6): `hello` and `snapshot` on connect, then the user's frames.
#[utoipa::path(get, path = "/api/v1/ws", tag = "live",
    params(WsQuery, ("token" = Option<String>, Query,
        description = "The session token, for clients that cannot send headers or cookies.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 101, description = "Switched to the WebSocket protocol."),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn connect(
    services: web::Data<Services>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let who = identify(&req).await?;
    let query = web::Query::<WsQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::new(Code::InvalidQuery, e.to_string()))?;
    let (response, socket, stream) = actix_ws::handle(&req, body).map_err(|e| {
        ApiError::new(
            Code::InvalidInput,
            format!("this endpoint opens a WebSocket ({e})"),
        )
    })?;
    let peer = Peer {
        key: SessionKey {
            account_id: who.account_id,
            user_id: who.user_id,
            connection_id: NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
        },
        session_id: who.session_id,
        is_manager: who.role == Role::Manager,
        resume_from: query.last_seq.map(|seq| LeftOff {
            seq,
            epoch: query.epoch,
        }),
    };
    let desk = services.live.clone();
    WsSession::start(
        peer,
        desk,
        services.hub.clone(),
        services.viewing.clone(),
        socket,
        stream,
    );
    Ok(response)
}
