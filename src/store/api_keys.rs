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
