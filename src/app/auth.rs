//! Signing in and out, and recognising callers: a session token (cookie, bearer or the
//! socket's `?token=`) or an account's ingest key.

use super::failure::{failure_from, Failure};
use super::recent::Recent;
use super::revocations::Revocations;
use super::users::{UserError, Users};
use super::work::{WorkError, WorkState};
use crate::cluster::Revocation;
use crate::detached;
use crate::domain::ids::{AccountId, ApiKeyId};
use crate::domain::user::{LoginName, MAX_PASSWORD_BYTES};
use crate::security::rate_limit::RateLimits;
use crate::security::session_cache::SessionCache;
use crate::security::{password, token, token::Secret};
use crate::store::{self, sessions::Identity};
use crate::wire::{Code, ErrorCode, UserView};
use serde::Serialize;
use sqlx::PgPool;
use std::net::IpAddr;
use std::sync::Arc;

/// Why a caller is not let in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    Invalid(String),
    #[error("the account, e-mail or password is wrong")]
    BadLogin,
    #[error("sign in first")]
    NoSession,
    #[error("the session is invalid or has expired; sign in again")]
    SessionExpired,
    #[error("send the account's API key as `Authorization: Bearer <key>`")]
    NoKey,
    #[error("the API key is invalid or revoked")]
    BadKey,
    #[error("too many requests, try again in a minute")]
    RateLimited,
    #[error("user not found")]
    UserNotFound,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(AuthError);

impl ErrorCode for AuthError {
    fn code(&self) -> Code {
        match self {
            AuthError::Invalid(_) => Code::InvalidInput,
            AuthError::BadLogin
            | AuthError::NoSession
            | AuthError::SessionExpired
            | AuthError::NoKey
            | AuthError::BadKey => Code::Unauthorized,
            AuthError::RateLimited => Code::RateLimited,
            AuthError::UserNotFound => Code::NotFound,
            AuthError::Failure(f) => f.code(),
        }
    }
}

impl From<UserError> for AuthError {
    fn from(e: UserError) -> AuthError {
        match e {
            UserError::NotFound => AuthError::UserNotFound,
            UserError::Failure(f) => AuthError::Failure(f),
        }
    }
}

/// A new session: the secret (for the cookie and API clients) and the user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub token: String,
    pub user: UserView,
}

/// A request authenticated with an account's ingest key.
#[derive(Debug, Clone, Copy)]
pub struct KeyHolder {
    pub account_id: AccountId,
    pub api_key_id: ApiKeyId,
}

/// The caller and a short description of their account (`GET /me`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user: UserView,
    pub account: AccountSummary,
}

/// An account's identity, as `/me` shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountSummary {
    pub id: AccountId,
    pub slug: String,
    pub name: String,
    /// The account's IANA timezone: the browser shows times in it, so a team spread over
    /// timezones sees the same clock as its reports.
    pub timezone: String,
}

/// When this node last recorded each key's use: at most once a minute per key, so ingest does
/// not write a row per request.
#[derive(Default)]
struct KeyUses(std::sync::Mutex<std::collections::HashMap<ApiKeyId, std::time::Instant>>);

impl KeyUses {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(60);

    /// Whether the use should be recorded now (and notes that it is).
    fn due(&self, key: ApiKeyId) -> bool {
        let now = std::time::Instant::now();
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match seen.get(&key) {
            Some(at) if now.duration_since(*at) < Self::EVERY => false,
            _ => {
                seen.insert(key, now);
                true
            }
        }
    }
}

/// Sessions and keys.
/// Ingest keys found valid a moment ago: (key, account) by the key's digest.
pub type KnownKeys = Recent<Vec<u8>, (ApiKeyId, AccountId)>;

#[derive(Clone)]
pub struct Auth {
    pool: PgPool,
    known_keys: Arc<KnownKeys>,
    key_uses: Arc<KeyUses>,
    users: Users,
    work: WorkState,
    revocations: Arc<Revocations>,
    limits: Arc<RateLimits>,
    sessions: Arc<SessionCache>,
    session_hours: i64,
}

impl Auth {
    #[allow(clippy::too_many_arguments)] // the parts it is wired from, each used once, by name
    pub fn new(
        pool: PgPool,
        users: Users,
        work: WorkState,
        revocations: Arc<Revocations>,
        limits: Arc<RateLimits>,
        sessions: Arc<SessionCache>,
        known_keys: Arc<KnownKeys>,
        session_hours: i64,
    ) -> Auth {
        Auth {
            pool,
            known_keys,
            key_uses: Arc::new(KeyUses::default()),
            users,
            work,
            revocations,
            limits,
            sessions,
            session_hours,
        }
    }

    /// How long a session lasts, in hours.
    pub fn session_hours(&self) -> i64 {
        self.session_hours
    }

    /// Checks the credentials and opens a session.
    #[tracing::instrument(skip(self, email, presented, ip), fields(account = %account))]
    pub async fn login(
        &self,
        account: &str,
        email: &str,
        presented: String,
        ip: Option<IpAddr>,
    ) -> Result<SignedIn, AuthError> {
        let name = LoginName::parse(account, email).map_err(AuthError::Invalid)?;
        if presented.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::Invalid(format!(
                "the password must have at most {MAX_PASSWORD_BYTES} bytes"
            )));
        }
        let guard = self.limits.logins();
        if !guard.allows(&name.account, &name.email, ip) {
            return Err(AuthError::RateLimited);
        }
        let found = store::users::find_credentials(&self.pool, &name.account, &name.email).await?;
        let stored_hash = found
            .as_ref()
            .map(|f| f.password_hash.clone())
            .unwrap_or_else(|| password::decoy_hash().to_string());
        let matches = password::verify_in_background(presented, stored_hash)
            .await
            .map_err(|e| Failure::Internal(e.into()))?;
        let user = match found {
            Some(user) if user.active && matches => user,
            _ => {
                guard.failed(&name.account, &name.email, ip);
                return Err(AuthError::BadLogin);
            }
        };
        let secret = Secret::generate("sbs");
        let expires = chrono::Utc::now() + chrono::Duration::hours(self.session_hours);
        store::sessions::insert(
            &self.pool,
            user.account_id,
            user.id,
            &secret.digest(),
            expires,
        )
        .await?;
        Ok(SignedIn {
            token: secret.reveal().to_string(),
            user: self.users.view(user.account_id, user.id).await?,
        })
    }

    /// Ends the caller's session: its sockets are closed at once, on every node, and when it was the user's
    /// last session their work timer stops (an agent who signed out is not working).
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn logout(&self, who: &Identity) -> Result<(), AuthError> {
        store::sessions::revoke(&self.pool, who.session_id).await?;
        self.revocations.revoke(Revocation::SignedOut {
            user_id: who.user_id,
            session_id: who.session_id,
        });
        if !store::sessions::has_other_live(&self.pool, who.user_id, who.session_id).await? {
            self.work.stop_on_sign_out(who).await.map_err(|e| match e {
                // The floor never holds back signing out.
                WorkError::UserNotFound | WorkError::CoverageFloor(_) => AuthError::UserNotFound,
                WorkError::Failure(f) => AuthError::Failure(f),
            })?;
        }
        Ok(())
    }

    /// The caller and their account.
    pub async fn me(&self, who: &Identity) -> Result<Me, AuthError> {
        let user = self.users.view(who.account_id, who.user_id).await?;
        let account = store::accounts::get(&self.pool, who.account_id)
            .await?
            .ok_or(AuthError::UserNotFound)?;
        Ok(Me {
            user,
            account: AccountSummary {
                id: account.id,
                slug: account.slug,
                name: account.name,
                timezone: account.settings.timezone.name().to_string(),
            },
        })
    }

    /// Who a session token belongs to (remembered for a few seconds per node).
    pub async fn identify(&self, token: Option<&str>) -> Result<Identity, AuthError> {
        let token = token.ok_or(AuthError::NoSession)?;
        let digest = token::digest(token);
        if let Some(known) = self.sessions.get(&digest) {
            return Ok(known);
        }
        let asked_at = std::time::Instant::now();
        let found = store::sessions::find(&self.pool, &digest)
            .await?
            .ok_or(AuthError::SessionExpired)?;
        self.sessions.put(digest, found.clone(), asked_at);
        Ok(found)
    }

    /// Whose ingest key this is; rate limited per key.
    pub async fn identify_key(&self, key: Option<&str>) -> Result<KeyHolder, AuthError> {
        let key = key.ok_or(AuthError::NoKey)?;
        let digest = token::digest(key);
        let (api_key_id, account_id) = match self.known_keys.get(&digest) {
            Some(known) => known,
            None => {
                let found = store::api_keys::find(&self.pool, &digest)
                    .await?
                    .ok_or(AuthError::BadKey)?;
                self.known_keys.put(digest, found);
                found
            }
        };
        if !self.limits.allow_ingest(api_key_id) {
            return Err(AuthError::RateLimited);
        }
        if self.key_uses.due(api_key_id) {
            let pool = self.pool.clone();
            detached::spawn(async move {
                if let Err(e) = store::api_keys::touch(&pool, api_key_id).await {
                    tracing::warn!(error = %e, "could not record an API key's use");
                }
            });
        }
        Ok(KeyHolder {
            account_id,
            api_key_id,
        })
    }
}
