//! A to-do as clients see it: in `GET /tickets/{id}/todos` and in the `todo.updated` frame.

use crate::domain::ids::{TicketId, TodoId, UserId};
use crate::domain::todo::TodoKind;
use crate::store::todos::TodoRecord;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The wire shape of a to-do (SPEC §9: `id, title, kind, due_at?, done`, plus its ticket,
/// author and creation time).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TodoView {
    pub id: TodoId,
    pub ticket_id: TicketId,
    pub title: String,
    pub kind: TodoKind,
    pub due_at: Option<DateTime<Utc>>,
    pub done: bool,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

impl From<TodoRecord> for TodoView {
    fn from(t: TodoRecord) -> TodoView {
        TodoView {
            id: t.id,
            ticket_id: t.ticket_id,
            title: t.title,
            kind: t.kind,
            due_at: t.due_at,
            done: t.done,
            created_by: t.created_by,
            created_at: t.created_at,
        }
    }
}
