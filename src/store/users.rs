//! Users (managers and agents), their cards, and their current work state.

use crate::domain::card::AgentCard;
use crate::domain::channel::Channel;
use crate::domain::ids::{AccountId, GroupId, UserId};
use crate::domain::stage::Stage;
use crate::domain::user::Role;
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};

/// A user with their card and whether their timer runs and intake is paused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub account_id: AccountId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub card: AgentCard,
    pub working: bool,
    pub intake_paused: bool,
}

/// What a new user is made of.
pub struct NewUser<'a> {
    pub account_id: AccountId,
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

/// The columns of a user record (see `from_row`); `u` is the user row. The open intervals are
/// looked up per user by key (`LIMIT 1` subqueries), never hashed over whole tables: the
/// dispatcher reloads a few agents at a time, thousands of times a minute.
macro_rules! user_columns {
    () => {
        "SELECT u.id, u.account_id, u.email, u.name, u.role, u.active, \
    COALESCE(c.stages, '{}') AS stages, COALESCE(c.channels, '{}') AS channels, \
    COALESCE(c.languages, '{}') AS languages, COALESCE(c.listing_groups, '{}') AS listing_groups, \
    c.max_active, COALESCE(c.groups, '{}') AS groups, \
    (SELECT true FROM work_intervals w WHERE w.user_id = u.id AND w.ended_at IS NULL LIMIT 1) IS NOT NULL AS working, \
    (SELECT true FROM intake_pauses p WHERE p.user_id = u.id AND p.ended_at IS NULL LIMIT 1) IS NOT NULL AS intake_paused"
    };
}

/// The card of the user `u`, by key.
macro_rules! user_card {
    () => {
        "LEFT JOIN LATERAL (SELECT stages, channels, languages, listing_groups, max_active, groups \
      FROM agent_cards WHERE user_id = u.id LIMIT 1) c ON true"
    };
}

const SELECT: &str = concat!(user_columns!(), " FROM users u ", user_card!());

/// Users by id.
const BY_IDS: &str = select_by_ids!(user_columns!(), "users", "u", user_card!());

fn decode(e: String) -> sqlx::Error {
    sqlx::Error::Decode(e.into())
}

fn from_row(row: &PgRow) -> Result<UserRecord, sqlx::Error> {
    let role: String = row.try_get("role")?;
    let stages: Vec<String> = row.try_get("stages")?;
    let channels: Vec<String> = row.try_get("channels")?;
    Ok(UserRecord {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).map_err(decode)?,
        active: row.try_get("active")?,
        card: AgentCard {
            stages: stages
                .iter()
                .map(|s| Stage::parse(s))
                .collect::<Result<_, _>>()
                .map_err(decode)?,
            channels: channels
                .iter()
                .map(|c| Channel::parse(c))
                .collect::<Result<_, _>>()
                .map_err(decode)?,
            languages: row
                .try_get::<Vec<String>, _>("languages")?
                .into_iter()
                .collect(),
            listing_groups: row
                .try_get::<Vec<String>, _>("listing_groups")?
                .into_iter()
                .collect(),
            max_active: row.try_get("max_active")?,
            groups: row
                .try_get::<Vec<GroupId>, _>("groups")?
                .into_iter()
                .collect(),
        },
        working: row.try_get("working")?,
        intake_paused: row.try_get("intake_paused")?,
    })
}

/// Creates a user with an empty card. A taken e-mail is a unique violation.
pub async fn insert(db: impl PgExecutor<'_>, u: NewUser<'_>) -> Result<UserId, sqlx::Error> {
    sqlx::query_scalar(
        "WITH u AS (INSERT INTO users (account_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id, account_id) \
         INSERT INTO agent_cards (user_id, account_id) SELECT id, account_id FROM u RETURNING user_id",
    )
    .bind(u.account_id)
    .bind(u.email)
    .bind(u.name)
    .bind(u.role.as_str())
    .bind(u.password_hash)
    .fetch_one(db)
    .await
}

/// One user of the account.
pub async fn get(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    user_id: UserId,
) -> Result<Option<UserRecord>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT} WHERE u.account_id = $1 AND u.id = $2"))
        .bind(account_id)
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The users of the account with these ids (missing ids are skipped). One id (an agent
/// coming back online, the common case) is read by [`get`]: a statement with an array is
/// planned again at every call (its generic plan assumes a hundred ids), and under `target`'s
/// reconnecting agents that planning took twice the reading.
pub async fn get_many(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ids: &[UserId],
) -> Result<Vec<UserRecord>, sqlx::Error> {
    if let [id] = ids {
        return Ok(get(db, account_id, *id).await?.into_iter().collect());
    }
    let rows = sqlx::query(BY_IDS)
        .bind(account_id)
        .bind(ids)
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Every user of the account, by name.
pub async fn list(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Vec<UserRecord>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE u.account_id = $1 ORDER BY lower(u.name), u.id"
    ))
    .bind(account_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// What login checks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: UserId,
    pub account_id: AccountId,
    pub active: bool,
    pub password_hash: String,
}

/// What login needs, by account slug and e-mail.
pub async fn find_credentials(
    db: impl PgExecutor<'_>,
    account_slug: &str,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id, u.account_id, u.active, u.password_hash FROM users u \
         JOIN accounts a ON a.id = u.account_id WHERE a.slug = $1 AND u.email = $2",
    )
    .bind(account_slug)
    .bind(email)
    .fetch_optional(db)
    .await
}

/// Stores a user's name, role, active flag and card.
pub async fn update(conn: &mut sqlx::PgConnection, u: &UserRecord) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET name = $3, role = $4, active = $5 WHERE account_id = $1 AND id = $2",
    )
    .bind(u.account_id)
    .bind(u.id)
    .bind(&u.name)
    .bind(u.role.as_str())
    .bind(u.active)
    .execute(&mut *conn)
    .await?;
    let strings = |it: Vec<&str>| it.into_iter().map(str::to_string).collect::<Vec<String>>();
    sqlx::query(
        "INSERT INTO agent_cards (user_id, account_id, stages, channels, languages, listing_groups, max_active, groups) \
         VALUES ($2, $1, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id) DO UPDATE SET stages = $3, channels = $4, \
         languages = $5, listing_groups = $6, max_active = $7, groups = $8",
    )
    .bind(u.account_id)
    .bind(u.id)
    .bind(strings(u.card.stages.iter().map(|s| s.as_str()).collect()))
    .bind(strings(u.card.channels.iter().map(|c| c.as_str()).collect()))
    .bind(u.card.languages.iter().cloned().collect::<Vec<_>>())
    .bind(u.card.listing_groups.iter().cloned().collect::<Vec<_>>())
    .bind(u.card.max_active)
    .bind(u.card.groups.iter().copied().collect::<Vec<GroupId>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces a user's password hash.
pub async fn set_password(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    user_id: UserId,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $3 WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(user_id)
        .bind(hash)
        .execute(db)
        .await?;
    Ok(())
}

/// How many active managers the account has besides `except`.
pub async fn other_active_managers(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    except: UserId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE account_id = $1 AND role = 'manager' AND active AND id <> $2",
    )
    .bind(account_id)
    .bind(except)
    .fetch_one(db)
    .await
}
