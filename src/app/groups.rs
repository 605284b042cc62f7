//! Routing groups (managers only): list, create, change, delete. Every change is committed,
//! then the account's dispatcher reloads its groups (tickets already opened keep the group
//! they were routed to; a deleted group's tickets are dispatched to anyone).

use super::failure::{failure_from, Failure};
use crate::dispatch::{messages::SettingsChanged, Dispatchers};
use crate::domain::account::present;
use crate::domain::ids::{AccountId, GroupId};
use crate::domain::routing::{GroupRules, MAX_GROUPS, MAX_MIN_AGENTS, MAX_OVERFLOW_SECONDS};
use crate::store::{
    self,
    groups::{Group, GroupDraft},
};
use crate::wire::{Code, ErrorCode};
use serde::Deserialize;
use sqlx::PgPool;
use std::sync::Arc;

/// Why a group could not be created, changed or deleted.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("{0}")]
    Invalid(String),
    #[error("overflow group {0} is not a group of this account")]
    UnknownOverflow(GroupId),
    #[error("group not found")]
    NotFound,
    #[error("a group named {0} already exists")]
    NameTaken(String),
    /// Other groups overflow to it: they must be changed first.
    #[error("groups {} overflow to this group; change their overflow first", list(.0))]
    OverflowTarget(Vec<GroupId>),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(GroupError);

fn list(ids: &[GroupId]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl ErrorCode for GroupError {
    fn code(&self) -> Code {
        match self {
            GroupError::Invalid(_) => Code::InvalidInput,
            GroupError::UnknownOverflow(_) => Code::UnknownGroup,
            GroupError::NotFound => Code::NotFound,
            GroupError::NameTaken(_) => Code::Conflict,
            GroupError::OverflowTarget(_) => Code::GroupInUse,
            GroupError::Failure(f) => f.code(),
        }
    }

    fn details(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match self {
            GroupError::OverflowTarget(ids) => {
                let mut m = serde_json::Map::new();
                m.insert("overflow_from".into(), serde_json::json!(ids));
                Some(m)
            }
            _ => None,
        }
    }
}

/// `POST /groups` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub name: String,
    #[serde(default)]
    pub rules: GroupRules,
    /// 0 (the default) is no floor.
    #[serde(default)]
    pub min_agents: i32,
    #[serde(default)]
    pub overflow_group_id: Option<GroupId>,
    /// 1–604800; required with `overflow_group_id`.
    #[serde(default)]
    pub overflow_after_seconds: Option<i32>,
}

/// `PATCH /groups/{id}` body: any of these; absent fields keep their value, `null` clears
/// the overflow.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    pub name: Option<String>,
    /// Replaces the rules whole.
    pub rules: Option<GroupRules>,
    pub min_agents: Option<i32>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<GroupId>, nullable)]
    pub overflow_group_id: Option<Option<GroupId>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, nullable)]
    pub overflow_after_seconds: Option<Option<i32>>,
}

/// Checks a draft's own fields (the overflow group's existence is checked against the store).
fn checked(mut d: GroupDraft, id: Option<GroupId>) -> Result<GroupDraft, GroupError> {
    let invalid = |m: &str| GroupError::Invalid(m.to_string());
    let name = d.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid("the name must have 1 to 100 characters"));
    }
    d.name = name.to_string();
    d.rules = d.rules.validated().map_err(GroupError::Invalid)?;
    if !(0..=MAX_MIN_AGENTS).contains(&d.min_agents) {
        return Err(invalid("min_agents must be between 0 and 10000"));
    }
    match (d.overflow_group_id, d.overflow_after_seconds) {
        (None, None) => {}
        (Some(g), Some(after)) => {
            if Some(g) == id {
                return Err(invalid("a group cannot overflow to itself"));
            }
            if !(1..=MAX_OVERFLOW_SECONDS).contains(&after) {
                return Err(invalid(
                    "overflow_after_seconds must be between 1 and 604800",
                ));
            }
        }
        _ => {
            return Err(invalid(
                "overflow_group_id and overflow_after_seconds go together (both or neither)",
            ))
        }
    }
    Ok(d)
}

/// Administers the account's routing groups.
#[derive(Clone)]
pub struct Groups {
    pool: PgPool,
    dispatchers: Arc<Dispatchers>,
}

impl Groups {
    pub fn new(pool: PgPool, dispatchers: Arc<Dispatchers>) -> Groups {
        Groups { pool, dispatchers }
    }

    /// The account's groups, by id.
    pub async fn list(&self, account_id: AccountId) -> Result<Vec<Group>, GroupError> {
        Ok(store::groups::list(&self.pool, account_id).await?)
    }

    /// One group.
    pub async fn get(&self, account_id: AccountId, id: GroupId) -> Result<Group, GroupError> {
        store::groups::get(&self.pool, account_id, id)
            .await?
            .ok_or(GroupError::NotFound)
    }

    /// Stores a checked draft (new when `id` is `None`) in one transaction under the
    /// account's lock, then has the dispatcher reload.
    async fn save(
        &self,
        account_id: AccountId,
        id: Option<GroupId>,
        draft: GroupDraft,
    ) -> Result<Group, GroupError> {
        let draft = checked(draft, id)?;
        let mut tx = self.pool.begin().await?;
        store::accounts::lock(&mut tx, account_id).await?;
        if let Some(target) = draft.overflow_group_id {
            if store::groups::existing(&mut *tx, account_id, &[target])
                .await?
                .is_empty()
            {
                return Err(GroupError::UnknownOverflow(target));
            }
        }
        let saved = match id {
            None => {
                if store::groups::list(&mut *tx, account_id).await?.len() >= MAX_GROUPS {
                    return Err(GroupError::Invalid(format!(
                        "an account has at most {MAX_GROUPS} groups"
                    )));
                }
                store::groups::insert(&mut *tx, account_id, &draft)
                    .await
                    .map(Some)
            }
            Some(id) => store::groups::update(&mut *tx, account_id, id, &draft)
                .await
                .map(|found| found.then_some(id)),
        };
        let id = match saved {
            Err(e) if store::is_unique_violation(&e) => {
                return Err(GroupError::NameTaken(draft.name))
            }
            other => other?.ok_or(GroupError::NotFound)?,
        };
        let group = store::groups::get(&mut *tx, account_id, id)
            .await?
            .ok_or(GroupError::NotFound)?;
        tx.commit().await?;
        self.dispatchers.tell(account_id, SettingsChanged);
        Ok(group)
    }

    /// Creates a group.
    #[tracing::instrument(skip(self, new), fields(account_id = %account_id))]
    pub async fn create(&self, account_id: AccountId, new: &NewGroup) -> Result<Group, GroupError> {
        let draft = GroupDraft {
            name: new.name.clone(),
            rules: new.rules.clone(),
            min_agents: new.min_agents,
            overflow_group_id: new.overflow_group_id,
            overflow_after_seconds: new.overflow_after_seconds,
        };
        self.save(account_id, None, draft).await
    }

    /// Changes a group.
    #[tracing::instrument(skip(self, patch), fields(account_id = %account_id))]
    pub async fn update(
        &self,
        account_id: AccountId,
        id: GroupId,
        patch: &GroupPatch,
    ) -> Result<Group, GroupError> {
        let before = self.get(account_id, id).await?;
        let draft = GroupDraft {
            name: patch.name.clone().unwrap_or(before.name),
            rules: patch.rules.clone().unwrap_or(before.rules),
            min_agents: patch.min_agents.unwrap_or(before.min_agents),
            overflow_group_id: patch.overflow_group_id.unwrap_or(before.overflow_group_id),
            overflow_after_seconds: patch
                .overflow_after_seconds
                .unwrap_or(before.overflow_after_seconds),
        };
        self.save(account_id, Some(id), draft).await
    }

    /// Deletes a group no other group overflows to; it leaves every card, and its open
    /// tickets are dispatched to anyone.
    #[tracing::instrument(skip(self), fields(account_id = %account_id))]
    pub async fn delete(&self, account_id: AccountId, id: GroupId) -> Result<(), GroupError> {
        let mut tx = self.pool.begin().await?;
        store::accounts::lock(&mut tx, account_id).await?;
        let from = store::groups::overflowing_to(&mut *tx, account_id, id).await?;
        if !from.is_empty() {
            return Err(GroupError::OverflowTarget(from));
        }
        if !store::groups::delete(&mut tx, account_id, id).await? {
            return Err(GroupError::NotFound);
        }
        tx.commit().await?;
        self.dispatchers.tell(account_id, SettingsChanged);
        Ok(())
    }
}
