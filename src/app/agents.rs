//! Agents (managers only): list, create, read, and update name, role, activity, card or
//! password. A change that affects dispatching is committed, then the dispatcher is told.
//! The last active manager cannot demote or deactivate themselves: an account must always
//! have someone who can administer it.

use super::accounts::hash_password;
use super::failure::{failure_from, Failure};
use super::revocations::Revocations;
use super::users::{UserError, Users};
use super::work::WorkState;
use crate::cluster::Revocation;
use crate::domain::card::AgentCard;
use crate::domain::ids::{AccountId, GroupId, UserId};
use crate::domain::user::{check_password, normalize_email, Role};
use crate::store::{self, sessions::Identity, users::NewUser};
use crate::wire::{Code, ErrorCode, UserView};
use serde::Deserialize;
use sqlx::PgPool;
use std::sync::Arc;

/// Why an agent could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{0}")]
    Invalid(String),
    #[error("agent not found")]
    NotFound,
    #[error("an agent with e-mail {0} already exists")]
    EmailTaken(String),
    #[error("the account needs at least one active manager")]
    LastManager,
    /// The card lists routing groups the account does not have.
    #[error("the card lists unknown groups: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    UnknownGroups(Vec<GroupId>),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(AgentError);

impl ErrorCode for AgentError {
    fn code(&self) -> Code {
        match self {
            AgentError::Invalid(_) => Code::InvalidInput,
            AgentError::NotFound => Code::NotFound,
            AgentError::EmailTaken(_) => Code::Conflict,
            AgentError::LastManager => Code::InvalidState,
            AgentError::UnknownGroups(_) => Code::UnknownGroup,
            AgentError::Failure(f) => f.code(),
        }
    }

    fn details(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match self {
            AgentError::UnknownGroups(ids) => {
                let mut m = serde_json::Map::new();
                m.insert("unknown_groups".into(), serde_json::json!(ids));
                Some(m)
            }
            _ => None,
        }
    }
}

/// Refuses a card that lists a group the account does not have.
async fn check_groups(
    conn: &mut sqlx::PgConnection,
    account_id: AccountId,
    card: &AgentCard,
) -> Result<(), AgentError> {
    if card.groups.is_empty() {
        return Ok(());
    }
    let wanted: Vec<GroupId> = card.groups.iter().copied().collect();
    let found = store::groups::existing(&mut *conn, account_id, &wanted).await?;
    let unknown: Vec<GroupId> = wanted.into_iter().filter(|g| !found.contains(g)).collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(AgentError::UnknownGroups(unknown))
    }
}

impl From<UserError> for AgentError {
    fn from(e: UserError) -> AgentError {
        match e {
            UserError::NotFound => AgentError::NotFound,
            UserError::Failure(f) => AgentError::Failure(f),
        }
    }
}

/// `POST /agents` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub email: String,
    pub name: String,
    pub password: String,
    #[serde(default)]
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    #[serde(default)]
    pub card: Option<AgentCard>,
}

/// `PATCH /agents/{id}` body: any of these; absent fields keep their value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    pub name: Option<String>,
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    pub active: Option<bool>,
    pub card: Option<AgentCard>,
    pub password: Option<String>,
}

fn invalid(e: String) -> AgentError {
    AgentError::Invalid(e)
}

fn check_name(name: &str) -> Result<String, AgentError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("the name must have 1 to 200 characters".into()));
    }
    Ok(name.to_string())
}

async fn hashed(password: &str) -> Result<String, AgentError> {
    check_password(password).map_err(invalid)?;
    hash_password(password)
        .await
        .map_err(|e| AgentError::Failure(Failure::Internal(Box::new(e))))
}

/// Administers the account's agents.
#[derive(Clone)]
pub struct Agents {
    pool: PgPool,
    users: Users,
    work: WorkState,
    revocations: Arc<Revocations>,
}

impl Agents {
    pub fn new(
        pool: PgPool,
        users: Users,
        work: WorkState,
        revocations: Arc<Revocations>,
    ) -> Agents {
        Agents {
            pool,
            users,
            work,
            revocations,
        }
    }

    /// Every user of the account, with live presence.
    pub async fn list(&self, account_id: AccountId) -> Result<Vec<UserView>, AgentError> {
        Ok(self.users.list(account_id).await?)
    }

    /// One user of the account.
    pub async fn get(&self, account_id: AccountId, id: UserId) -> Result<UserView, AgentError> {
        Ok(self.users.view(account_id, id).await?)
    }

    /// Creates an agent (or a manager) with a card.
    #[tracing::instrument(skip(self, manager, new), fields(account_id = %manager.account_id))]
    pub async fn create(&self, manager: &Identity, new: &NewAgent) -> Result<UserView, AgentError> {
        let account_id = manager.account_id;
        let email = normalize_email(&new.email).map_err(invalid)?;
        let name = check_name(&new.name)?;
        let role = new
            .role
            .as_deref()
            .map(Role::parse)
            .transpose()
            .map_err(invalid)?
            .unwrap_or(Role::Agent);
        let card = new
            .card
            .clone()
            .unwrap_or_default()
            .validated()
            .map_err(invalid)?;
        let hash = hashed(&new.password).await?;

        let mut tx = self.pool.begin().await?;
        check_groups(&mut tx, account_id, &card).await?;
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
            Err(e) if store::is_unique_violation(&e) => return Err(AgentError::EmailTaken(email)),
            other => other?,
        };
        let mut user = store::users::get(&mut *tx, account_id, id)
            .await?
            .ok_or(AgentError::NotFound)?;
        user.card = card;
        store::users::update(&mut tx, &user).await?;
        tx.commit().await?;
        self.work.agent_changed(account_id, id).await;
        Ok(self.users.view(account_id, id).await?)
    }

    /// Changes an agent; deactivation and a new password end their other sessions.
    #[tracing::instrument(skip(self, manager, patch), fields(account_id = %manager.account_id, user_id = %id))]
    pub async fn update(
        &self,
        manager: &Identity,
        id: UserId,
        patch: &AgentPatch,
    ) -> Result<UserView, AgentError> {
        let account_id = manager.account_id;
        let mut tx = self.pool.begin().await?;
        // Serialise administrative changes of one account, so "the last manager" stays true.
        store::accounts::lock(&mut tx, account_id).await?;
        let before = store::users::get(&mut *tx, account_id, id)
            .await?
            .ok_or(AgentError::NotFound)?;
        let mut user = before.clone();
        if let Some(name) = &patch.name {
            user.name = check_name(name)?;
        }
        if let Some(role) = &patch.role {
            user.role = Role::parse(role).map_err(invalid)?;
        }
        if let Some(active) = patch.active {
            user.active = active;
        }
        if let Some(card) = &patch.card {
            user.card = card.clone().validated().map_err(invalid)?;
            check_groups(&mut tx, account_id, &user.card).await?;
        }
        let password_hash = match &patch.password {
            Some(p) => Some(hashed(p).await?),
            None => None,
        };
        let was_manager = before.role == Role::Manager && before.active;
        let stays_manager = user.role == Role::Manager && user.active;
        if was_manager
            && !stays_manager
            && store::users::other_active_managers(&mut *tx, account_id, id).await? == 0
        {
            return Err(AgentError::LastManager);
        }
        store::users::update(&mut tx, &user).await?;
        // A deactivated user is signed out for good (reactivation does not revive old tokens);
        // a new password ends the user's other sessions.
        let revoke = !user.active || password_hash.is_some();
        let keep = (user.id == manager.user_id).then_some(manager.session_id);
        if revoke {
            store::sessions::revoke_all_of_user(&mut *tx, account_id, user.id, keep).await?;
        }
        if let Some(hash) = password_hash {
            store::users::set_password(&mut *tx, account_id, user.id, &hash).await?;
        }
        tx.commit().await?;
        self.revocations.revoke(if revoke {
            Revocation::AllSessions {
                user_id: user.id,
                keep,
            }
        } else if user.role != before.role {
            Revocation::RoleChanged { user_id: user.id }
        } else {
            Revocation::UserChanged { user_id: user.id }
        });
        self.work.agent_changed(account_id, user.id).await;
        Ok(self.users.view(account_id, user.id).await?)
    }
}
