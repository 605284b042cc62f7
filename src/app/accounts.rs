//! Accounts: creating one with its first manager and ingest key (shared by the `account
//! create` command, the demo seed and the tests, so all three make accounts the same way),
//! the account's settings, and its ingest keys.

use super::auth::KnownKeys;
use super::failure::{failure_from, Failure};
use super::recent::KnownAccounts;
use crate::dispatch::{messages::SettingsChanged, Dispatchers};
use crate::domain::account::SettingsPatch;
use crate::domain::ids::{AccountId, ApiKeyId, UserId};
use crate::domain::user::{check_password, normalize_email, Role};
use crate::security::{password, token::Secret};
use crate::store::{
    self, accounts::Account, api_keys::ApiKeyRecord, sessions::Identity, users::NewUser,
};
use crate::wire::{Code, ErrorCode};
use serde::Serialize;
use sqlx::PgPool;
use std::sync::Arc;

/// A freshly created account; `api_key` is the only copy of the secret.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub account_id: AccountId,
    pub manager_id: UserId,
    pub api_key: String,
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{0}")]
    Invalid(String),
    #[error("an account with slug `{0}` already exists")]
    SlugTaken(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Why a change to the account was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("account not found")]
    NotFound,
    #[error("API key not found")]
    KeyNotFound,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(AccountError);

impl ErrorCode for AccountError {
    fn code(&self) -> Code {
        match self {
            AccountError::Invalid(_) => Code::InvalidInput,
            AccountError::NotFound | AccountError::KeyNotFound => Code::NotFound,
            AccountError::Failure(f) => f.code(),
        }
    }
}

/// A new ingest key, shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub key: String,
    pub label: String,
}

/// The account's settings and keys (managers).
#[derive(Clone)]
pub struct Accounts {
    pool: PgPool,
    dispatchers: Arc<Dispatchers>,
    known: Arc<KnownAccounts>,
    known_keys: Arc<KnownKeys>,
}

impl Accounts {
    pub fn new(
        pool: PgPool,
        dispatchers: Arc<Dispatchers>,
        known: Arc<KnownAccounts>,
        known_keys: Arc<KnownKeys>,
    ) -> Accounts {
        Accounts {
            pool,
            dispatchers,
            known,
            known_keys,
        }
    }

    /// The account with its settings.
    pub async fn get(&self, account_id: AccountId) -> Result<Account, AccountError> {
        store::accounts::get(&self.pool, account_id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    /// Changes any of the settings of SPEC §1 and the name, all or nothing; the dispatcher
    /// reloads them.
    #[tracing::instrument(skip(self, patch), fields(account_id = %account_id))]
    pub async fn update(
        &self,
        account_id: AccountId,
        patch: &SettingsPatch,
    ) -> Result<Account, AccountError> {
        let mut account = self.get(account_id).await?;
        account.settings = account
            .settings
            .patched(patch)
            .map_err(AccountError::Invalid)?;
        if let Some(name) = &patch.name {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(AccountError::Invalid(
                    "the account name must have 1 to 200 characters".into(),
                ));
            }
            account.name = name.to_string();
        }
        store::accounts::update(&self.pool, account_id, &account.name, &account.settings).await?;
        self.known.forget(|id, _| *id == account_id);
        self.dispatchers.tell(account_id, SettingsChanged);
        Ok(account)
    }

    /// The account's live ingest keys: label, creation and last use, never the key.
    pub async fn api_keys(&self, account_id: AccountId) -> Result<Vec<ApiKeyRecord>, AccountError> {
        Ok(store::api_keys::list(&self.pool, account_id).await?)
    }

    /// Revokes an ingest key at once: the bridge using it is refused from the next request.
    #[tracing::instrument(skip(self), fields(account_id = %account_id))]
    pub async fn revoke_api_key(
        &self,
        account_id: AccountId,
        id: ApiKeyId,
    ) -> Result<(), AccountError> {
        match store::api_keys::revoke(&self.pool, account_id, id).await? {
            true => {
                self.known_keys.forget(|_, (key, _)| *key == id);
                Ok(())
            }
            false => Err(AccountError::KeyNotFound),
        }
    }

    /// A new ingest key; only its digest is stored.
    #[tracing::instrument(skip(self, manager, label), fields(account_id = %manager.account_id))]
    pub async fn create_api_key(
        &self,
        manager: &Identity,
        label: &str,
    ) -> Result<NewApiKey, AccountError> {
        let label = label.trim();
        if label.chars().count() > 200 {
            return Err(AccountError::Invalid(
                "the label must have at most 200 characters".into(),
            ));
        }
        // The body is optional, so it does not pass through the edge's U+0000 check.
        if label.chars().any(char::is_control) {
            return Err(AccountError::Invalid(
                "the label must not contain control characters".into(),
            ));
        }
        let secret = Secret::generate("sbk");
        let id = store::api_keys::insert(
            &self.pool,
            manager.account_id,
            &secret.digest(),
            label,
            Some(manager.user_id),
        )
        .await?;
        Ok(NewApiKey {
            id,
            key: secret.reveal().to_string(),
            label: label.to_string(),
        })
    }
}

/// Checks an account slug: lowercase letters, digits and dashes, starting with a letter or digit.
pub fn check_slug(slug: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-');
    ok.then_some(()).ok_or_else(|| {
        format!("`{slug}` is not a valid account slug (lowercase letters, digits, dashes)")
    })
}

/// Hashes a password off the async executor (bounded, see `security::password`).
pub async fn hash_password(plain: &str) -> Result<String, ProvisionError> {
    password::hash_in_background(plain.to_string())
        .await
        .map_err(ProvisionError::Hashing)
}

/// Creates an account, its manager and one ingest key, in one transaction.
pub async fn create_account(
    pool: &PgPool,
    slug: &str,
    name: &str,
    manager_email: &str,
    manager_password: &str,
) -> Result<NewAccount, ProvisionError> {
    check_slug(slug).map_err(ProvisionError::Invalid)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ProvisionError::Invalid(
            "the account name must have 1 to 200 characters".into(),
        ));
    }
    let email = normalize_email(manager_email).map_err(ProvisionError::Invalid)?;
    check_password(manager_password).map_err(ProvisionError::Invalid)?;
    let hash = hash_password(manager_password).await?;

    let mut tx = pool.begin().await?;
    let account_id = match store::accounts::insert(&mut *tx, slug, name).await {
        Err(e) if store::is_unique_violation(&e) => {
            return Err(ProvisionError::SlugTaken(slug.into()))
        }
        other => other?,
    };
    let manager_id = store::users::insert(
        &mut *tx,
        NewUser {
            account_id,
            email: &email,
            name: "Manager",
            role: Role::Manager,
            password_hash: &hash,
        },
    )
    .await?;
    let key = Secret::generate("sbk");
    store::api_keys::insert(
        &mut *tx,
        account_id,
        &key.digest(),
        "default",
        Some(manager_id),
    )
    .await?;
    tx.commit().await?;
    Ok(NewAccount {
        account_id,
        manager_id,
        api_key: key.reveal().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::check_slug;

    #[test]
    fn slugs() {
        assert!(check_slug("demo").is_ok());
        assert!(check_slug("acme-stays-2").is_ok());
        for bad in ["", "-x", "Demo", "a b", "ü", &"a".repeat(64)] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }
}
