//! Login sessions, stored as token digests with an expiry.

use crate::domain::ids::{AccountId, SessionId, UserId};
use crate::domain::inbox::Viewer;
use crate::domain::user::Role;
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};

/// Who a valid session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub account_id: AccountId,
    pub role: Role,
}

impl Identity {
    /// Who is looking, for the inbox's views.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            user_id: self.user_id,
            is_manager: self.role == Role::Manager,
        }
    }
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    user_id: UserId,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<SessionId, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO login_sessions (account_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(token_hash)
    .bind(expires_at)
    .fetch_one(db)
    .await
}

/// The identity behind a token digest, if the session is live and its user active.
pub async fn find(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<Identity>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.id, s.user_id, s.account_id, u.role FROM login_sessions s \
         JOIN users u ON u.id = s.user_id AND u.account_id = s.account_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        let role: String = r.try_get("role")?;
        Ok(Identity {
            session_id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            account_id: r.try_get("account_id")?,
            role: Role::parse(&role).map_err(|e| sqlx::Error::Decode(e.into()))?,
        })
    })
    .transpose()
}

pub async fn revoke(db: impl PgExecutor<'_>, session_id: SessionId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE login_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends every session of a user except `keep` (deactivation, a new password).
pub async fn revoke_all_of_user(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    user_id: UserId,
    keep: Option<SessionId>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE login_sessions SET revoked_at = now() WHERE account_id = $1 AND user_id = $2 AND revoked_at IS NULL \
         AND ($3::bigint IS NULL OR id <> $3)",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(keep)
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the user has a live login session besides `except`.
pub async fn has_other_live(
    db: impl PgExecutor<'_>,
    user_id: UserId,
    except: SessionId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM login_sessions WHERE user_id = $1 AND id <> $2 \
         AND revoked_at IS NULL AND expires_at > now())",
    )
    .bind(user_id)
    .bind(except)
    .fetch_one(db)
    .await
}

/// Which of these sessions are still live, with their user active (a node checks the
/// sockets it holds, in case it missed a revocation).
pub async fn still_valid(
    db: impl PgExecutor<'_>,
    session_ids: &[SessionId],
) -> Result<Vec<SessionId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT s.id FROM login_sessions s \
         JOIN users u ON u.id = s.user_id AND u.account_id = s.account_id \
         WHERE s.id = ANY($1) AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active",
    )
    .bind(session_ids)
    .fetch_all(db)
    .await
}
