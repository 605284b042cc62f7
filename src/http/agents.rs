//! Agents (managers only): list, create, read, and update name, role, activity, card or
//! password. A change that affects dispatching is committed, then the dispatcher is told.
//! The last active manager cannot demote or deactivate themselves (422): an account must
//! always have someone who can administer it.

use super::body::Body;
use super::error::ApiError;
use super::identity::ManagerCaller;
use crate::domain::card::AgentCard;
use crate::domain::user::{check_password, normalize_email, Role};
use crate::provision::hash_password;
use crate::state::AppState;
use crate::store::{self, users::NewUser};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/agents", web::get().to(list))
        .route("/agents", web::post().to(create))
        .route("/agents/{id}", web::get().to(get))
        .route("/agents/{id}", web::patch().to(update));
}

async fn list(state: web::Data<AppState>, caller: ManagerCaller) -> Result<HttpResponse, ApiError> {
    let account_id = caller.0.account_id;
    let users = store::users::list(&state.pool, account_id).await?;
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let presence = state
        .realtime
        .presence
        .presence_of(account_id, &ids)
        .await
        .unwrap_or_default();
    let items: Vec<_> = users
        .into_iter()
        .enumerate()
        .map(|(i, u)| {
            super::users::UserView::new(u, presence.get(i).map_or("offline", |p| p.as_str()))
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

/// `POST /agents` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAgentBody {
    email: String,
    name: String,
    password: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    card: Option<AgentCard>,
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("the name must have 1 to 200 characters"));
    }
    Ok(name.to_string())
}

async fn create(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    body: Body<NewAgentBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    let account_id = caller.0.account_id;
    let email = normalize_email(&body.email).map_err(ApiError::invalid)?;
    let name = check_name(&body.name)?;
    check_password(&body.password).map_err(ApiError::invalid)?;
    let role = body
        .role
        .as_deref()
        .map(Role::parse)
        .transpose()
        .map_err(ApiError::invalid)?
        .unwrap_or(Role::Agent);
    let card = body
        .card
        .clone()
        .unwrap_or_default()
        .validated()
        .map_err(ApiError::invalid)?;
    let hash = hash_password(&body.password)
        .await
        .map_err(|e| ApiError::Internal(Box::new(e)))?;

    let mut tx = state.pool.begin().await?;
    let inserted = store::users::insert(
        &mut *tx,
        NewUser {
            account_id,
            email: &email,
            name: &name,
            role,
            password_hash: &hash,
        },
    )
    .await;
    let id = match inserted {
        Err(e) if store::is_unique_violation(&e) => {
            return Err(ApiError::Conflict(format!(
                "an agent with e-mail {email} already exists"
            )))
        }
        other => other?,
    };
    let mut user = store::users::get(&mut *tx, account_id, id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    user.card = card;
    store::users::update(&mut tx, &user).await?;
    tx.commit().await?;
    state.realtime.agent_changed(account_id, id).await;
    Ok(HttpResponse::Created().json(state.realtime.user_view(account_id, id).await?))
}

async fn get(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let view = state
        .realtime
        .user_view(caller.0.account_id, *path)
        .await
        .map_err(|_| ApiError::NotFound("agent"))?;
    Ok(HttpResponse::Ok().json(view))
}

/// `PATCH /agents/{id}` body: any of these; absent fields keep their value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentPatch {
    name: Option<String>,
    role: Option<String>,
    active: Option<bool>,
    card: Option<AgentCard>,
    password: Option<String>,
}

async fn update(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    path: web::Path<i64>,
    body: Body<AgentPatch>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    let account_id = caller.0.account_id;
    let mut tx = state.pool.begin().await?;
    // Serialize administrative changes of one account, so "the last manager" stays true.
    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    let mut user = store::users::get(&mut *tx, account_id, *path)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    if let Some(name) = &body.name {
        user.name = check_name(name)?;
    }
    if let Some(role) = &body.role {
        user.role = Role::parse(role).map_err(ApiError::invalid)?;
    }
    if let Some(active) = body.active {
        user.active = active;
    }
    if let Some(card) = &body.card {
        user.card = card.clone().validated().map_err(ApiError::invalid)?;
    }
    let password_hash = match &body.password {
        Some(p) => {
            check_password(p).map_err(ApiError::invalid)?;
            Some(
                hash_password(p)
                    .await
                    .map_err(|e| ApiError::Internal(Box::new(e)))?,
            )
        }
        None => None,
    };
    let loses_manager = !(user.role == Role::Manager && user.active);
    if loses_manager {
        let managers: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE account_id = $1 AND role = 'manager' AND active AND id <> $2")
            .bind(account_id)
            .bind(user.id)
            .fetch_one(&mut *tx)
            .await?;
        let was_manager = store::users::get(&mut *tx, account_id, user.id)
            .await?
            .is_some_and(|u| u.role == Role::Manager && u.active);
        if was_manager && managers == 0 {
            return Err(ApiError::InvalidState(
                "the account needs at least one active manager".into(),
            ));
        }
    }
    store::users::update(&mut tx, &user).await?;
    // A deactivated user is signed out for good (reactivation does not revive old tokens);
    // a new password ends the user's other sessions.
    if !user.active || password_hash.is_some() {
        let keep = (user.id == caller.0.user_id).then_some(caller.0.session_id);
        store::sessions::revoke_all_of_user(&mut *tx, account_id, user.id, keep).await?;
    }
    if let Some(hash) = password_hash {
        store::users::set_password(&mut *tx, account_id, user.id, &hash).await?;
    }
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    state.realtime.agent_changed(account_id, user.id).await;
    Ok(HttpResponse::Ok().json(state.realtime.user_view(account_id, user.id).await?))
}
