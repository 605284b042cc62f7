//! Login, logout and `/me`.

use super::error::ApiError;
use super::identity::{Caller, SESSION_COOKIE};
use crate::domain::user::normalize_email;
use crate::security::{password, token::Secret};
use crate::state::AppState;
use crate::store;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

/// `POST /auth/login` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    account: String,
    email: String,
    password: String,
}

const BAD_LOGIN: &str = "the account, e-mail or password is wrong";

/// Checks the credentials and opens a session: a cookie for browsers, a token for API clients.
#[tracing::instrument(skip_all, fields(account = %body.account))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let LoginBody {
        account,
        email,
        password: presented,
    } = body.into_inner();
    let ip = req.peer_addr().map(|a| a.ip());
    if !state.limits.allow_login(&account, &email, ip) {
        return Err(ApiError::RateLimited);
    }
    if presented.len() > 1024 {
        return Err(ApiError::Unauthorized(BAD_LOGIN));
    }
    let email = normalize_email(&email).map_err(|_| ApiError::Unauthorized(BAD_LOGIN))?;
    let found = store::users::find_credentials(&state.pool, account.trim(), &email).await?;
    let stored_hash = found
        .as_ref()
        .map(|f| f.3.clone())
        .unwrap_or_else(|| password::decoy_hash().to_string());
    let matches = password::verify_in_background(presented, stored_hash)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let (user_id, account_id) = match found {
        Some((user_id, account_id, true, _)) if matches => (user_id, account_id),
        _ => return Err(ApiError::Unauthorized(BAD_LOGIN)),
    };
    let secret = Secret::generate("sbs");
    let expires = chrono::Utc::now() + chrono::Duration::hours(state.config.session_hours);
    store::sessions::insert(&state.pool, account_id, user_id, &secret.digest(), expires).await?;
    let user = state.realtime.user_view(account_id, user_id).await?;
    let cookie = Cookie::build(SESSION_COOKIE, secret.reveal().to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::hours(state.config.session_hours))
        .finish();
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .json(json!({"token": secret.reveal(), "user": user})))
}

/// Ends the caller's session and clears the cookie.
pub async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    store::sessions::revoke(&state.pool, caller.0.session_id).await?;
    state.sessions.forget_session(&caller.0);
    let mut gone = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

/// The caller and their account.
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let id = caller.0;
    let user = state.realtime.user_view(id.account_id, id.user_id).await?;
    let account = store::accounts::get(&state.pool, id.account_id)
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    Ok(HttpResponse::Ok().json(json!({
        "user": user,
        "account": {"id": account.id.to_string(), "slug": account.slug, "name": account.name},
    })))
}
