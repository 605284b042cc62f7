//! Who is calling: extractors for a signed-in user (session cookie or bearer token), a
//! manager, and an ingest API key. Handlers name the one they need in their signature, so an
//! endpoint cannot forget its check.

use super::error::ApiError;
use super::origin::{needs_same_origin, OriginPolicy};
use crate::app::auth::KeyHolder;
use crate::app::Services;
use crate::domain::user::Role;
use crate::store::sessions::Identity;
use crate::wire::Code;
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
pub struct IngestCaller(pub KeyHolder);

/// The token of an `Authorization: Bearer` header.
pub(super) fn bearer(req: &HttpRequest) -> Option<String> {
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
/// browsers cannot give headers) the `token` query parameter; and whether it was the cookie,
/// which a browser sends whichever site made the request.
fn presented_token(req: &HttpRequest) -> Option<(String, bool)> {
    let query = || {
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("token").cloned())
    };
    bearer(req)
        .map(|t| (t, false))
        .or_else(|| {
            req.cookie(SESSION_COOKIE)
                .map(|c| (c.value().to_string(), true))
        })
        .or_else(|| query().map(|t| (t, false)))
        .filter(|(t, _)| !t.is_empty() && t.len() <= 256)
}

fn services(req: &HttpRequest) -> Result<web::Data<Services>, ApiError> {
    req.app_data::<web::Data<Services>>()
        .cloned()
        .ok_or_else(|| ApiError::new(Code::Internal, "internal error"))
}

/// Resolves the caller's identity from the request, or 401; a cookie-authenticated change
/// from another site is 403.
pub async fn identify(req: &HttpRequest) -> Result<Identity, ApiError> {
    let presented = presented_token(req);
    if presented.as_ref().is_some_and(|(_, cookie)| *cookie) && needs_same_origin(req) {
        req.app_data::<web::Data<OriginPolicy>>()
            .map(|p| p.check(req))
            .unwrap_or_else(|| OriginPolicy::default().check(req))?;
    }
    let token = presented.map(|(t, _)| t);
    Ok(services(req)?.auth.identify(token.as_deref()).await?)
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
                Err(ApiError::new(
                    Code::Forbidden,
                    "this needs the manager role",
                ))
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
            let key = bearer(&req);
            let holder = services(&req)?.auth.identify_key(key.as_deref()).await?;
            Ok(IngestCaller(holder))
        })
    }
}
