//! The account's settings and its ingest API keys (managers only).

use super::body::Body;
use super::error::ApiError;
use super::identity::ManagerCaller;
use crate::app::Services;
use crate::domain::account::SettingsPatch;
use crate::domain::ids::ApiKeyId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(get))
        .route("/account", web::patch().to(patch))
        .route("/api-keys", web::get().to(api_keys))
        .route("/api-keys", web::post().to(create_api_key))
        .route("/api-keys/{id}", web::delete().to(revoke_api_key));
}

/// `GET /account`.
async fn get(
    services: web::Data<Services>,
    caller: ManagerCaller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.accounts.get(caller.0.account_id).await?))
}

/// `PATCH /account`: any of the settings of SPEC §1, and the name. All or nothing.
async fn patch(
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

/// `GET /api-keys`: label, creation and last use of each live key (never the key).
async fn api_keys(
    services: web::Data<Services>,
    caller: ManagerCaller,
) -> Result<HttpResponse, ApiError> {
    let items = services.accounts.api_keys(caller.0.account_id).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `DELETE /api-keys/{id}`: the key stops working at once.
async fn revoke_api_key(
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

/// `POST /api-keys` body.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NewKeyBody {
    #[serde(default)]
    label: Option<String>,
}

/// `POST /api-keys`: a new ingest key, shown this once; only its digest is stored.
async fn create_api_key(
    services: web::Data<Services>,
    caller: ManagerCaller,
    body: Option<web::Json<NewKeyBody>>,
) -> Result<HttpResponse, ApiError> {
    let label = body.and_then(|b| b.into_inner().label).unwrap_or_default();
    let key = services.accounts.create_api_key(&caller.0, &label).await?;
    Ok(HttpResponse::Created().json(key))
}
