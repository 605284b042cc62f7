//! Work-timer and intake-pause intervals. At most one open interval of each kind per user
//! (enforced by partial unique indexes), so starting twice is a no-op, not a second interval.

use crate::domain::ids::{AccountId, UserId};
use crate::domain::work::WorkChange;
use crate::store::events::{self, NewEvent};
use sqlx::PgConnection;

async fn open_interval(
    conn: &mut PgConnection,
    table: &str,
    account_id: AccountId,
    user_id: UserId,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "INSERT INTO {table} (account_id, user_id, started_at) VALUES ($1, $2, now()) \
         ON CONFLICT (user_id) WHERE ended_at IS NULL DO NOTHING"
    );
    Ok(sqlx::query(&sql)
        .bind(account_id)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

async fn close_interval(
    conn: &mut PgConnection,
    table: &str,
    account_id: AccountId,
    user_id: UserId,
) -> Result<bool, sqlx::Error> {
    let sql = format!("UPDATE {table} SET ended_at = now() WHERE account_id = $1 AND user_id = $2 AND ended_at IS NULL");
    Ok(sqlx::query(&sql)
        .bind(account_id)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

/// Applies `change` and logs it; answers whether anything changed. Stopping the timer also
/// ends a pause: the next shift starts with intake open.
pub async fn apply(
    conn: &mut PgConnection,
    account_id: AccountId,
    user_id: UserId,
    change: WorkChange,
    actor_id: Option<UserId>,
) -> Result<bool, sqlx::Error> {
    let changed = match change {
        WorkChange::StartTimer => {
            open_interval(conn, "work_intervals", account_id, user_id).await?
        }
        WorkChange::StopTimer => {
            if close_interval(conn, "intake_pauses", account_id, user_id).await? {
                log(
                    conn,
                    account_id,
                    user_id,
                    WorkChange::ResumeIntake,
                    actor_id,
                )
                .await?;
            }
            close_interval(conn, "work_intervals", account_id, user_id).await?
        }
        WorkChange::PauseIntake => {
            open_interval(conn, "intake_pauses", account_id, user_id).await?
        }
        WorkChange::ResumeIntake => {
            close_interval(conn, "intake_pauses", account_id, user_id).await?
        }
    };
    if changed {
        log(conn, account_id, user_id, change, actor_id).await?;
    }
    Ok(changed)
}

async fn log(
    conn: &mut PgConnection,
    account_id: AccountId,
    user_id: UserId,
    change: WorkChange,
    actor_id: Option<UserId>,
) -> Result<(), sqlx::Error> {
    events::append(
        conn,
        NewEvent {
            account_id,
            kind: change.event_kind(),
            agent_id: Some(user_id),
            actor_id,
            ..Default::default()
        },
    )
    .await
}
