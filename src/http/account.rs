//! The account's settings and its ingest API keys (managers only).

use super::body::Body;
use super::error::ApiError;
use super::identity::ManagerCaller;
use crate::domain::account::SettingsPatch;
use crate::security::token::Secret;
use crate::state::AppState;
use crate::store;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

/// `GET /account`.
pub async fn get(
    state: web::Data<AppState>,
    caller: ManagerCaller,
) -> Result<HttpResponse, ApiError> {
    let account = store::accounts::get(&state.pool, caller.0.account_id)
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    Ok(HttpResponse::Ok().json(account))
}

/// `PATCH /account`: any of the settings of SPEC §1, and the name. All or nothing.
pub async fn patch(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    body: Body<SettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    let account_id = caller.0.account_id;
    let mut account = store::accounts::get(&state.pool, account_id)
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    account.settings = account.settings.patched(&body).map_err(ApiError::invalid)?;
    if let Some(name) = &body.name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::invalid(
                "the account name must have 1 to 200 characters",
            ));
        }
        account.name = name.to_string();
    }
    store::accounts::update(&state.pool, account_id, &account.name, &account.settings).await?;
    state
        .realtime
        .dispatchers
        .get(account_id)
        .do_send(crate::dispatch::messages::SettingsChanged);
    Ok(HttpResponse::Ok().json(account))
}

/// `POST /api-keys` body.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    #[serde(default)]
    label: Option<String>,
}

/// `POST /api-keys`: a new ingest key, shown this once; only its digest is stored.
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    body: Option<web::Json<NewKeyBody>>,
) -> Result<HttpResponse, ApiError> {
    let label = body.and_then(|b| b.into_inner().label).unwrap_or_default();
    if label.chars().count() > 200 {
        return Err(ApiError::invalid(
            "the label must have at most 200 characters",
        ));
    }
    let secret = Secret::generate("sbk");
    let id = store::api_keys::insert(
        &state.pool,
        caller.0.account_id,
        &secret.digest(),
        label.trim(),
        Some(caller.0.user_id),
    )
    .await?;
    Ok(HttpResponse::Created()
        .json(json!({"id": id.to_string(), "key": secret.reveal(), "label": label.trim()})))
}
