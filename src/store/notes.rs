//! SQL of internal notes. Notes have a table of their own, apart from `messages`: whatever
//! reads messages (to deliver replies to a channel, to count replies in reports) cannot see
//! them, so a note can never reach a guest.

use crate::domain::ids::{AccountId, NoteId, ThreadId, TicketId, UserId};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};

/// A stored note, with its author's name.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRecord {
    pub id: NoteId,
    pub ticket_id: TicketId,
    pub author_id: UserId,
    pub author_name: String,
    pub body: String,
    pub mentions: Vec<UserId>,
    pub created_at: DateTime<Utc>,
}

fn from_row(r: &sqlx::postgres::PgRow) -> Result<NoteRecord, sqlx::Error> {
    Ok(NoteRecord {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        author_id: r.try_get("author_id")?,
        author_name: r.try_get("author_name")?,
        body: r.try_get("body")?,
        mentions: r.try_get("mentions")?,
        created_at: r.try_get("created_at")?,
    })
}

/// What a new note is made of.
pub struct NewNote<'a> {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub thread_id: ThreadId,
    pub author_id: UserId,
    pub body: &'a str,
    pub mentions: &'a [UserId],
}

/// Stores a note; answers it as stored.
pub async fn insert(db: impl PgExecutor<'_>, n: NewNote<'_>) -> Result<NoteRecord, sqlx::Error> {
    let row = sqlx::query(
        "WITH n AS (INSERT INTO ticket_notes (account_id, ticket_id, thread_id, author_id, body, mentions) \
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *) \
         SELECT n.id, n.ticket_id, n.author_id, u.name AS author_name, n.body, n.mentions, n.created_at \
         FROM n JOIN users u ON u.id = n.author_id",
    )
    .bind(n.account_id)
    .bind(n.ticket_id)
    .bind(n.thread_id)
    .bind(n.author_id)
    .bind(n.body)
    .bind(n.mentions)
    .fetch_one(db)
    .await?;
    from_row(&row)
}

/// Every note on the thread's tickets, oldest first.
pub async fn of_thread(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    thread_id: ThreadId,
) -> Result<Vec<NoteRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT n.id, n.ticket_id, n.author_id, u.name AS author_name, n.body, n.mentions, n.created_at \
         FROM ticket_notes n JOIN users u ON u.id = n.author_id \
         WHERE n.account_id = $1 AND n.thread_id = $2 ORDER BY n.created_at, n.id",
    )
    .bind(account_id)
    .bind(thread_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}
