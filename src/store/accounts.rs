//! Accounts and their settings.

use crate::domain::account::{parse_timezone, AssignmentStrategy, Settings, StageTimers};
use crate::domain::ids::AccountId;
use serde::Serialize;
use sqlx::types::Json;
use sqlx::{PgExecutor, Row};

/// An account as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub slug: String,
    pub name: String,
    #[serde(flatten)]
    pub settings: Settings,
}

const COLUMNS: &str =
    "id, slug, name, response_sla_seconds, assignment_strategy, rebalance_threshold, offline_grace_seconds, timezone, return_after_seconds, return_after_by_stage, notification_webhook_url, recently_confirmed_days";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<Account, sqlx::Error> {
    let strategy: String = row.try_get("assignment_strategy")?;
    let timezone: String = row.try_get("timezone")?;
    let decode = |e: String| sqlx::Error::Decode(e.into());
    Ok(Account {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        settings: Settings {
            response_sla_seconds: row.try_get("response_sla_seconds")?,
            assignment_strategy: AssignmentStrategy::parse(&strategy).map_err(decode)?,
            rebalance_threshold: row.try_get("rebalance_threshold")?,
            offline_grace_seconds: row.try_get("offline_grace_seconds")?,
            timezone: parse_timezone(&timezone).map_err(decode)?,
            return_after_seconds: row.try_get("return_after_seconds")?,
            return_after_seconds_by_stage: row
                .try_get::<Json<StageTimers>, _>("return_after_by_stage")?
                .0,
            notification_webhook_url: row.try_get("notification_webhook_url")?,
            recently_confirmed_days: row.try_get("recently_confirmed_days")?,
        },
    })
}

/// Creates an account with default settings. A taken slug is a unique violation.
pub async fn insert(
    db: impl PgExecutor<'_>,
    slug: &str,
    name: &str,
) -> Result<AccountId, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO accounts (slug, name) VALUES ($1, $2) RETURNING id")
        .bind(slug)
        .bind(name)
        .fetch_one(db)
        .await
}

pub async fn get(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
        .bind(account_id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_slug(
    db: impl PgExecutor<'_>,
    slug: &str,
) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every account id, for starting dispatchers at boot.
pub async fn all_ids(db: impl PgExecutor<'_>) -> Result<Vec<AccountId>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM accounts ORDER BY id")
        .fetch_all(db)
        .await
}

/// Stores the account's name and settings.
pub async fn update(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    name: &str,
    s: &Settings,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE accounts SET name = $2, response_sla_seconds = $3, assignment_strategy = $4, \
         rebalance_threshold = $5, offline_grace_seconds = $6, timezone = $7, \
         return_after_seconds = $8, notification_webhook_url = $9, return_after_by_stage = $10, \
         recently_confirmed_days = $11 WHERE id = $1",
    )
    .bind(account_id)
    .bind(name)
    .bind(s.response_sla_seconds)
    .bind(s.assignment_strategy.as_str())
    .bind(s.rebalance_threshold)
    .bind(s.offline_grace_seconds)
    .bind(s.timezone.name())
    .bind(s.return_after_seconds)
    .bind(&s.notification_webhook_url)
    .bind(Json(s.return_after_seconds_by_stage))
    .bind(s.recently_confirmed_days)
    .execute(db)
    .await?;
    Ok(())
}

/// Locks the account row for the rest of the transaction, so administrative changes of one
/// account happen one at a time.
pub async fn lock(conn: &mut sqlx::PgConnection, account_id: AccountId) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}
