//! Who is calling: extractors for a signed-in user (session cookie or bearer token), a
//! manager, and an ingest API key. Handlers name the one they need in their signature, so an
//! endpoint cannot forget its check.

use super::error::ApiError;
use crate::domain::user::Role;
use crate::security::token;
use crate::state::AppState;
use crate::store::{self, sessions::Identity};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "sb_session";

/// A signed-in user of any role.
#[derive(Debug, Clone)]
pub struct Caller(pub Identity);

/// A signed-in manager.
#[derive(Debug, Clone)]
pub struct ManagerCaller(pub Identity);

/// A request authenticated with an account's ingest API key.
#[derive(Debug, Clone, Copy)]
pub struct IngestCaller {
    pub account_id: i64,
    pub api_key_id: i64,
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// The session token from the bearer header, the cookie, or (for WebSocket upgrades, which
/// browsers cannot give headers) the `token` query parameter.
pub fn presented_token(req: &HttpRequest) -> Option<String> {
    bearer(req)
        .or_else(|| req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()))
        .or_else(|| {
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.get("token").cloned())
        })
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

/// Resolves the caller's identity from the request, or 401.
pub async fn identify(req: &HttpRequest) -> Result<Identity, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("AppState missing".into()))?;
    let token = presented_token(req).ok_or(ApiError::Unauthorized("sign in first"))?;
    let digest = token::digest(&token);
    if let Some(known) = state.sessions.get(&digest) {
        return Ok(known);
    }
    let asked_at = std::time::Instant::now();
    let found =
        store::sessions::find(&state.pool, &digest)
            .await?
            .ok_or(ApiError::Unauthorized(
                "the session is invalid or has expired; sign in again",
            ))?;
    state.sessions.put(digest, found.clone(), asked_at);
    Ok(found)
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { identify(&req).await.map(Caller) })
    }
}

impl FromRequest for ManagerCaller {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let id = identify(&req).await?;
            if id.role == Role::Manager {
                Ok(ManagerCaller(id))
            } else {
                Err(ApiError::Forbidden)
            }
        })
    }
}

impl FromRequest for IngestCaller {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal("AppState missing".into()))?;
            let key = bearer(&req).ok_or(ApiError::Unauthorized(
                "send the account's API key as `Authorization: Bearer <key>`",
            ))?;
            let (api_key_id, account_id) = store::api_keys::find(&state.pool, &token::digest(&key))
                .await?
                .ok_or(ApiError::Unauthorized("the API key is invalid or revoked"))?;
            if !state.limits.allow_ingest(api_key_id) {
                return Err(ApiError::RateLimited);
            }
            Ok(IngestCaller {
                account_id,
                api_key_id,
            })
        })
    }
}
