//! Login, logout and `/me`.

use super::error::ApiError;
use super::identity::{Caller, SESSION_COOKIE};
use super::Routes;
use crate::app::auth::{Me, SignedIn};
use crate::app::Services;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::POST, "/auth/login", login)
        .add(Method::POST, "/auth/logout", logout)
        .add(Method::GET, "/me", me);
}

/// `POST /auth/login` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    account: String,
    email: String,
    password: String,
}

/// The session cookie: never readable by scripts, not sent on cross-site subrequests, and
/// only over TLS when the server is reached over HTTPS.
fn session_cookie(req: &HttpRequest, value: String) -> actix_web::cookie::CookieBuilder<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(req.connection_info().scheme() == "https")
}

/// Checks the credentials and opens a session: a cookie for browsers, a token for API clients.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in; also sets the session cookie.", body = SignedIn),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 413, response = super::responses::PayloadTooLarge),
        (status = 429, response = super::responses::RateLimited),
        (status = 503, response = super::responses::Unavailable),
    ))]
pub(super) async fn login(
    services: web::Data<Services>,
    req: HttpRequest,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let LoginBody {
        account,
        email,
        password,
    } = body.into_inner();
    let ip = req.peer_addr().map(|a| a.ip());
    let signed_in = services.auth.login(&account, &email, password, ip).await?;
    let hours = services.auth.session_hours();
    let cookie = session_cookie(&req, signed_in.token.clone())
        .max_age(CookieDuration::hours(hours))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(signed_in))
}

/// Ends the caller's session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared."),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 503, response = super::responses::Unavailable),
    ))]
pub(super) async fn logout(
    services: web::Data<Services>,
    req: HttpRequest,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    services.auth.logout(&caller.0).await?;
    let mut gone = session_cookie(&req, String::new()).finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

/// The caller and their account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller and their account.", body = Me),
        (status = 401, response = super::responses::Unauthorized),
        (status = 503, response = super::responses::Unavailable),
    ))]
pub(super) async fn me(
    services: web::Data<Services>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.auth.me(&caller.0).await?))
}
