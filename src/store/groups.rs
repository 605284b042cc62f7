//! SQL of routing groups: the groups themselves, what dispatching and ingest need of them,
//! the coverage floor's count of working members, and the wallboard's queue per group.

use crate::domain::channel::Channel;
use crate::domain::ids::{AccountId, GroupId, UserId};
use crate::domain::routing::{Coverage, GroupRules, Overflow, RoutingGroup};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryScalar;
use sqlx::{PgConnection, PgExecutor, Postgres, Row};
use std::collections::HashMap;

/// A routing group as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub rules: GroupRules,
    /// Working agents the group must keep: a pause or a timer stop that would leave fewer is
    /// refused (409 `coverage_floor`) unless a manager does it.
    pub min_agents: i32,
    pub overflow_group_id: Option<GroupId>,
    pub overflow_after_seconds: Option<i32>,
}

impl Group {
    /// The group as dispatching needs it.
    pub fn routing(&self) -> RoutingGroup {
        RoutingGroup {
            id: self.id,
            rules: self.rules.clone(),
            min_agents: self.min_agents,
            overflow: match (self.overflow_group_id, self.overflow_after_seconds) {
                (Some(group), Some(after)) => Some(Overflow {
                    group,
                    after: chrono::Duration::seconds(i64::from(after)),
                }),
                _ => None,
            },
        }
    }
}

/// A group's fields as written by a manager (already validated).
#[derive(Debug, Clone)]
pub struct GroupDraft {
    pub name: String,
    pub rules: GroupRules,
    pub min_agents: i32,
    pub overflow_group_id: Option<GroupId>,
    pub overflow_after_seconds: Option<i32>,
}

const COLUMNS: &str = "id, account_id, name, channels, listing_groups, languages, entry_points, \
     min_agents, overflow_group_id, overflow_after_seconds";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<(AccountId, Group), sqlx::Error> {
    let channels: Vec<String> = row.try_get("channels")?;
    Ok((
        row.try_get("account_id")?,
        Group {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            rules: GroupRules {
                channels: channels
                    .iter()
                    .map(|c| Channel::parse(c))
                    .collect::<Result<_, _>>()
                    .map_err(|e| sqlx::Error::Decode(e.into()))?,
                listing_groups: row
                    .try_get::<Vec<String>, _>("listing_groups")?
                    .into_iter()
                    .collect(),
                languages: row
                    .try_get::<Vec<String>, _>("languages")?
                    .into_iter()
                    .collect(),
                entry_points: row
                    .try_get::<Vec<String>, _>("entry_points")?
                    .into_iter()
                    .collect(),
            },
            min_agents: row.try_get("min_agents")?,
            overflow_group_id: row.try_get("overflow_group_id")?,
            overflow_after_seconds: row.try_get("overflow_after_seconds")?,
        },
    ))
}

fn strings<T: AsRef<str>>(set: impl IntoIterator<Item = T>) -> Vec<String> {
    set.into_iter().map(|s| s.as_ref().to_string()).collect()
}

/// The account's groups, by id (the order that decides which group a ticket belongs to).
pub async fn list(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Vec<Group>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM routing_groups WHERE account_id = $1 ORDER BY id"
    ))
    .bind(account_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| from_row(r).map(|(_, g)| g)).collect()
}

/// One group of the account.
pub async fn get(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: GroupId,
) -> Result<Option<Group>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM routing_groups WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref()
        .map(|r| from_row(r).map(|(_, g)| g))
        .transpose()
}

/// Creates a group. A taken name is a unique violation.
pub async fn insert(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    d: &GroupDraft,
) -> Result<GroupId, sqlx::Error> {
    let insert = sqlx::query_scalar(
        "INSERT INTO routing_groups (account_id, name, channels, listing_groups, languages, entry_points, \
           min_agents, overflow_group_id, overflow_after_seconds) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    );
    with_draft(insert.bind(account_id), d).fetch_one(db).await
}

/// Replaces a group's fields; false when the account has no such group.
pub async fn update(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: GroupId,
    d: &GroupDraft,
) -> Result<bool, sqlx::Error> {
    let update = sqlx::query_scalar(
        "UPDATE routing_groups SET name = $3, channels = $4, listing_groups = $5, languages = $6, \
           entry_points = $7, min_agents = $8, overflow_group_id = $9, overflow_after_seconds = $10 \
         WHERE account_id = $1 AND id = $2 RETURNING id",
    );
    let updated = with_draft(update.bind(account_id).bind(id), d)
        .fetch_optional(db)
        .await?;
    Ok(updated.is_some())
}

/// Binds a draft's fields, in the order both `insert` and `update` name them, after the
/// parameters `query` already has.
fn with_draft<'q>(
    query: QueryScalar<'q, Postgres, GroupId, PgArguments>,
    d: &'q GroupDraft,
) -> QueryScalar<'q, Postgres, GroupId, PgArguments> {
    query
        .bind(&d.name)
        .bind(strings(d.rules.channels.iter().map(Channel::as_str)))
        .bind(strings(&d.rules.listing_groups))
        .bind(strings(&d.rules.languages))
        .bind(strings(&d.rules.entry_points))
        .bind(d.min_agents)
        .bind(d.overflow_group_id)
        .bind(d.overflow_after_seconds)
}

/// Deletes a group and takes it off every card; its open tickets are left without a group
/// (dispatched to anyone). False when the account has no such group.
pub async fn delete(
    conn: &mut PgConnection,
    account_id: AccountId,
    id: GroupId,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE agent_cards SET groups = array_remove(groups, $2) WHERE account_id = $1 AND $2 = ANY(groups)",
    )
    .bind(account_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query("DELETE FROM routing_groups WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The groups of the account that overflow to `id`.
pub async fn overflowing_to(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: GroupId,
) -> Result<Vec<GroupId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM routing_groups WHERE account_id = $1 AND overflow_group_id = $2 ORDER BY id",
    )
    .bind(account_id)
    .bind(id)
    .fetch_all(db)
    .await
}

/// Which of `ids` are groups of the account.
pub async fn existing(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ids: &[GroupId],
) -> Result<Vec<GroupId>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM routing_groups WHERE account_id = $1 AND id = ANY($2)")
        .bind(account_id)
        .bind(ids)
        .fetch_all(db)
        .await
}

/// The routing groups of these accounts (ingest routes the tickets it opens with them).
pub async fn routing_of(
    db: impl PgExecutor<'_>,
    accounts: &[AccountId],
) -> Result<HashMap<AccountId, Vec<RoutingGroup>>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM routing_groups WHERE account_id = ANY($1) ORDER BY id"
    ))
    .bind(accounts)
    .fetch_all(db)
    .await?;
    let mut out: HashMap<AccountId, Vec<RoutingGroup>> = HashMap::new();
    for row in &rows {
        let (account, group) = from_row(row)?;
        out.entry(account).or_default().push(group.routing());
    }
    Ok(out)
}

/// The SQL condition "user `u` works now": active, timer running, intake open.
macro_rules! working_member {
    () => {
        "u.active AND EXISTS (SELECT 1 FROM work_intervals w WHERE w.user_id = u.id AND w.ended_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM intake_pauses p WHERE p.user_id = u.id AND p.ended_at IS NULL)"
    };
}

/// For each group with a floor that `user` belongs to: its floor and how many of its other
/// members work now.
pub async fn coverage_without(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    user: UserId,
) -> Result<Vec<Coverage>, sqlx::Error> {
    let rows: Vec<(GroupId, String, i32, i64)> = sqlx::query_as(concat!(
        "SELECT g.id, g.name, g.min_agents, (SELECT count(*) FROM agent_cards c JOIN users u ON u.id = c.user_id \
           WHERE c.account_id = g.account_id AND g.id = ANY(c.groups) AND u.id <> $2 AND ",
        working_member!(),
        ") FROM routing_groups g JOIN agent_cards me ON me.user_id = $2 AND g.id = ANY(me.groups) \
         WHERE g.account_id = $1 AND g.min_agents > 0 ORDER BY g.id"
    ))
    .bind(account_id)
    .bind(user)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(group_id, name, min_agents, others_working)| Coverage {
            group_id,
            name,
            min_agents,
            others_working,
        })
        .collect())
}

/// One group's line on the wallboard.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupQueue {
    pub id: GroupId,
    pub name: String,
    pub min_agents: i32,
    pub working: i64,
    pub queued: i64,
    pub oldest_queued: Option<DateTime<Utc>>,
}

/// Queued tickets and working members of each group of the account, by id.
pub async fn queues(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Vec<GroupQueue>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT g.id, g.name, g.min_agents, (SELECT count(*) FROM agent_cards c JOIN users u ON u.id = c.user_id \
           WHERE c.account_id = g.account_id AND g.id = ANY(c.groups) AND ",
        working_member!(),
        ") AS working, q.n AS queued, q.oldest AS oldest_queued FROM routing_groups g CROSS JOIN LATERAL \
           (SELECT count(*) AS n, min(t.created_at) AS oldest FROM tickets t \
            WHERE t.account_id = g.account_id AND t.group_id = g.id AND t.state = ",
        state_sql!(Queued),
        ") q WHERE g.account_id = $1 ORDER BY g.id"
    ))
    .bind(account_id)
    .fetch_all(db)
    .await
}
