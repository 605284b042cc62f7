//! Ingest API keys, stored as digests only.

use crate::domain::ids::{AccountId, ApiKeyId, UserId};
use sqlx::PgExecutor;

/// Stores the digest of a new key and returns its id.
pub async fn insert(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    key_hash: &[u8],
    label: &str,
    created_by: Option<UserId>,
) -> Result<ApiKeyId, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO api_keys (account_id, key_hash, label, created_by) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(account_id)
        .bind(key_hash)
        .bind(label)
        .bind(created_by)
        .fetch_one(db)
        .await
}

/// The (key id, account id) of a live key with this digest.
pub async fn find(
    db: impl PgExecutor<'_>,
    key_hash: &[u8],
) -> Result<Option<(ApiKeyId, AccountId)>, sqlx::Error> {
    sqlx::query_as("SELECT id, account_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(key_hash)
        .fetch_optional(db)
        .await
}

/// An ingest key as managers see it (never the key itself).
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub label: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The account's live keys, newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Vec<ApiKeyRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, label, created_at, last_used_at FROM api_keys \
         WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC",
    )
    .bind(account_id)
    .fetch_all(db)
    .await
}

/// Revokes a live key of the account; false when there is none by that id.
pub async fn revoke(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: ApiKeyId,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = now() WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that the key was used now.
pub async fn touch(db: impl PgExecutor<'_>, id: ApiKeyId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_keys SET last_used_at = now() WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
