//! SQL of the to-dos on tickets (issue 14). Every statement is scoped by account and ticket,
//! so a to-do id of another ticket or account is simply not found.

use crate::domain::ids::{AccountId, TicketId, TodoId, UserId};
use crate::domain::ticket::TicketState;
use crate::domain::todo::TodoKind;
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};

/// A stored to-do.
#[derive(Debug, Clone, PartialEq)]
pub struct TodoRecord {
    pub id: TodoId,
    pub ticket_id: TicketId,
    pub title: String,
    pub kind: TodoKind,
    pub due_at: Option<DateTime<Utc>>,
    pub done: bool,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, ticket_id, title, kind, due_at, done, created_by, created_at";

fn from_row(r: &sqlx::postgres::PgRow) -> Result<TodoRecord, sqlx::Error> {
    Ok(TodoRecord {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        title: r.try_get("title")?,
        kind: TodoKind::parse(r.try_get("kind")?)
            .map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
        due_at: r.try_get("due_at")?,
        done: r.try_get("done")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// What a new to-do is made of.
pub struct NewTodo<'a> {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub title: &'a str,
    pub kind: TodoKind,
    pub due_at: Option<DateTime<Utc>>,
    pub created_by: UserId,
}

/// Stores a to-do, not done; answers it as stored.
pub async fn insert(db: impl PgExecutor<'_>, n: NewTodo<'_>) -> Result<TodoRecord, sqlx::Error> {
    let row = sqlx::query(&format!(
        "INSERT INTO ticket_todos (account_id, ticket_id, title, kind, due_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(n.account_id)
    .bind(n.ticket_id)
    .bind(n.title)
    .bind(n.kind.as_str())
    .bind(n.due_at)
    .bind(n.created_by)
    .fetch_one(db)
    .await?;
    from_row(&row)
}

/// The ticket's to-dos, oldest first.
pub async fn of_ticket(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ticket_id: TicketId,
) -> Result<Vec<TodoRecord>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM ticket_todos WHERE account_id = $1 AND ticket_id = $2 \
         ORDER BY created_at, id"
    ))
    .bind(account_id)
    .bind(ticket_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The most to-dos "My to-dos" lists: an agent with more has a backlog no list fixes.
pub const MINE_LIMIT: i64 = 500;

/// An open to-do of the user's with what its list row shows of the ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct MyTodoRecord {
    pub todo: TodoRecord,
    pub guest_name: String,
    pub ticket_state: TicketState,
}

/// "My to-dos": the user's open to-dos across the account's tickets (on tickets assigned to
/// them, or written by them), soonest due first, those without a due time last, at most
/// [`MINE_LIMIT`]. The rule of the `todos` view (`domain::todo::in_my_todos`), per to-do.
pub async fn open_of_user(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    user_id: UserId,
) -> Result<Vec<MyTodoRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT d.id, d.ticket_id, d.title, d.kind, d.due_at, d.done, d.created_by, d.created_at, \
         g.name AS guest_name, t.state AS ticket_state \
         FROM ticket_todos d JOIN tickets t ON t.id = d.ticket_id AND t.account_id = d.account_id \
         JOIN guests g ON g.id = t.guest_id \
         WHERE d.account_id = $1 AND NOT d.done AND (t.assignee_id = $2 OR d.created_by = $2) \
         ORDER BY d.due_at ASC NULLS LAST, d.created_at, d.id LIMIT $3",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(MINE_LIMIT)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MyTodoRecord {
                todo: from_row(r)?,
                guest_name: r.try_get("guest_name")?,
                ticket_state: TicketState::parse(r.try_get("ticket_state")?)
                    .map_err(|e| sqlx::Error::Decode(e.into()))?,
            })
        })
        .collect()
}

/// A change to a to-do: each field given replaces the stored one (`due_at: Some(None)`
/// clears it).
#[derive(Debug, Default)]
pub struct TodoChange<'a> {
    pub title: Option<&'a str>,
    pub kind: Option<TodoKind>,
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub done: Option<bool>,
}

/// Changes a to-do of the ticket; `None` when it has no such to-do.
pub async fn update(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ticket_id: TicketId,
    id: TodoId,
    c: &TodoChange<'_>,
) -> Result<Option<TodoRecord>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "UPDATE ticket_todos SET title = COALESCE($4, title), kind = COALESCE($5, kind), \
         due_at = CASE WHEN $6 THEN $7 ELSE due_at END, done = COALESCE($8, done) \
         WHERE account_id = $1 AND ticket_id = $2 AND id = $3 RETURNING {COLUMNS}"
    ))
    .bind(account_id)
    .bind(ticket_id)
    .bind(id)
    .bind(c.title)
    .bind(c.kind.map(TodoKind::as_str))
    .bind(c.due_at.is_some())
    .bind(c.due_at.flatten())
    .bind(c.done)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Deletes a to-do of the ticket; whether there was one.
pub async fn delete(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ticket_id: TicketId,
    id: TodoId,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM ticket_todos WHERE account_id = $1 AND ticket_id = $2 AND id = $3",
    )
    .bind(account_id)
    .bind(ticket_id)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the ticket's mood, `by` a user or (None) the bridge, at `at`; whether the ticket is
/// the account's.
pub async fn set_mood(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ticket_id: TicketId,
    mood: i16,
    by: Option<UserId>,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE tickets SET mood = $3, mood_set_by = $4, mood_set_at = $5 \
         WHERE account_id = $1 AND id = $2",
    )
    .bind(account_id)
    .bind(ticket_id)
    .bind(mood)
    .bind(by)
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
