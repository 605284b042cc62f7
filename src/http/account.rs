//! The account's settings and its ingest API keys (managers only).

use super::body::Body;
use super::error::ApiError;
use super::identity::ManagerCaller;
use super::responses as doc;
use super::Routes;
use crate::app::accounts::NewApiKey;
use crate::app::Services;
use crate::domain::account::SettingsPatch;
use crate::domain::ids::ApiKeyId;
use crate::store::accounts::Account;
use crate::store::api_keys::ApiKeyRecord;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/account", get)
        .add(Method::PATCH, "/account", patch)
        .add(Method::GET, "/api-keys", api_keys)
        .add(Method::POST, "/api-keys", create_api_key)
        .add(Method::DELETE, "/api-keys/{id}", revoke_api_key);
}

/// `GET /account`.
#[utoipa::path(get, path = "/api/v1/account", tag = "account",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The account and its settings.", body = Account),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn get(
    services: web::Data<Services>,
    caller: ManagerCaller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.accounts.get(caller.0.account_id).await?))
}

/// `PATCH /account`: any of the settings of SPEC §1, and the name. All or nothing.
#[utoipa::path(patch, path = "/api/v1/account", tag = "account", request_body = SettingsPatch,
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The account as changed.", body = Account),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn patch(
    services: web::Data<Services>,
    caller: ManagerCaller,
    body: Body<SettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.parsed()?;
    Ok(HttpResponse::Ok().json(
        services
            .accounts
            .update(caller.0.account_id, &patch)
            .await?,
    ))
}

/// `GET /api-keys` answer.
#[derive(Serialize, ToSchema)]
pub struct ApiKeys {
    items: Vec<ApiKeyRecord>,
}

/// `GET /api-keys`: label, creation and last use of each live key (never the key).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "account",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The live keys, newest first.", body = ApiKeys),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn api_keys(
    services: web::Data<Services>,
    caller: ManagerCaller,
) -> Result<HttpResponse, ApiError> {
    let items = services.accounts.api_keys(caller.0.account_id).await?;
    Ok(HttpResponse::Ok().json(ApiKeys { items }))
}

/// `DELETE /api-keys/{id}`: the key stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "account",
    params(("id" = ApiKeyId, Path, description = "The key's id.")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn revoke_api_key(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<ApiKeyId>,
) -> Result<HttpResponse, ApiError> {
    services
        .accounts
        .revoke_api_key(caller.0.account_id, *id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api-keys` body (optional).
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    #[serde(default)]
    label: Option<String>,
}

/// `POST /api-keys`: a new ingest key, shown this once; only its digest is stored.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "account",
    request_body(content = Option<NewKeyBody>, description = "An optional label."),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The key, shown this once.", body = NewApiKey),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn create_api_key(
    services: web::Data<Services>,
    caller: ManagerCaller,
    body: Option<web::Json<NewKeyBody>>,
) -> Result<HttpResponse, ApiError> {
    let label = body.and_then(|b| b.into_inner().label).unwrap_or_default();
    let key = services.accounts.create_api_key(&caller.0, &label).await?;
    Ok(HttpResponse::Created().json(key))
}
