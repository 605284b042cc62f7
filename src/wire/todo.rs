//! A to-do as clients see it: in `GET /tickets/{id}/todos` and in the `todo.updated` frame.

use crate::domain::ids::{TicketId, TodoId, UserId};
use crate::domain::ticket::TicketState;
use crate::domain::todo::{is_overdue, TodoKind};
use crate::store::todos::{MyTodoRecord, TodoRecord};
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

/// A row of "My to-dos" (`GET /todos`): the to-do, whether it is overdue, and enough of its
/// ticket to find it in the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyTodoView {
    #[serde(flatten)]
    pub todo: TodoView,
    /// Not done and past its due time (`domain::todo::is_overdue`).
    pub overdue: bool,
    pub guest_name: String,
    pub ticket_state: TicketState,
}

impl MyTodoView {
    pub fn new(r: MyTodoRecord, now: DateTime<Utc>) -> MyTodoView {
        MyTodoView {
            overdue: is_overdue(r.todo.done, r.todo.due_at, now),
            todo: TodoView::from(r.todo),
            guest_name: r.guest_name,
            ticket_state: r.ticket_state,
        }
    }
}
