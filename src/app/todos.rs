//! To-dos on a ticket and the ticket's mood (issue 14, part): SPEC §9 `/tickets/{id}/todos`
//! and `POST /tickets/{id}/mood`.
//!
//! Whoever may read a ticket may manage its to-dos: any user of the ticket's account (agents
//! read the account's tickets in the `all` view), like internal notes. Another account's
//! ticket, or a to-do of another ticket, is not found. Each change, once committed, goes out
//! as `todo.updated` / `todo.deleted` to the ticket's assignee, the user who made it and every
//! manager, the audience of `note.created`; a mood goes out to the same people as
//! `ticket.mood`.

use super::failure::{failure_from, Failure};
use super::live_counts::LiveCounts;
use crate::domain::ids::{AccountId, TicketId, TodoId, UserId};
use crate::domain::todo::{todo_title, Mood, TodoError, TodoKind};
use crate::session::frames::{EventFrame, ServerEvent};
use crate::session::hub::Hub;
use crate::store::{self, sessions::Identity, tickets::TicketRecord, todos::NewTodo};
use crate::wire::{Code, ErrorCode, MyTodoView, TodoView};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::sync::Arc;

pub use crate::store::todos::TodoChange;

/// Why a to-do or a mood was not changed.
#[derive(Debug, thiserror::Error)]
pub enum TodoActionError {
    #[error("ticket not found")]
    NotFound,
    #[error("to-do not found")]
    TodoNotFound,
    #[error(transparent)]
    Invalid(#[from] TodoError),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(TodoActionError);

impl ErrorCode for TodoActionError {
    fn code(&self) -> Code {
        match self {
            TodoActionError::NotFound | TodoActionError::TodoNotFound => Code::NotFound,
            TodoActionError::Invalid(TodoError::TitleTooLong) => Code::TextTooLong,
            TodoActionError::Invalid(TodoError::UnknownKind) => Code::UnknownTodoKind,
            TodoActionError::Invalid(TodoError::InvalidMood) => Code::InvalidMood,
            TodoActionError::Invalid(
                TodoError::EmptyTitle | TodoError::NulInTitle | TodoError::DueAtOutOfRange,
            ) => Code::InvalidInput,
            TodoActionError::Failure(f) => f.code(),
        }
    }
}

/// A new to-do as sent, before validation.
pub struct TodoInput<'a> {
    pub title: &'a str,
    pub kind: &'a str,
    pub due_at: Option<DateTime<Utc>>,
}

/// Manages to-dos and moods and tells whoever should know.
#[derive(Clone)]
pub struct Todos {
    pool: PgPool,
    hub: Arc<Hub>,
    /// Told of every change, so the guest views' counts are pushed (coalesced).
    counts: Arc<LiveCounts>,
}

impl Todos {
    pub fn new(pool: PgPool, hub: Arc<Hub>, counts: Arc<LiveCounts>) -> Todos {
        Todos { pool, hub, counts }
    }

    async fn ticket(
        &self,
        account_id: AccountId,
        ticket_id: TicketId,
    ) -> Result<TicketRecord, TodoActionError> {
        store::tickets::record(&self.pool, account_id, ticket_id)
            .await?
            .ok_or(TodoActionError::NotFound)
    }

    /// The ticket's to-dos, oldest first.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn list(
        &self,
        who: &Identity,
        ticket_id: TicketId,
    ) -> Result<Vec<TodoView>, TodoActionError> {
        self.ticket(who.account_id, ticket_id).await?;
        Ok(
            store::todos::of_ticket(&self.pool, who.account_id, ticket_id)
                .await?
                .into_iter()
                .map(TodoView::from)
                .collect(),
        )
    }

    /// "My to-dos": the caller's open to-dos across tickets (on their tickets or written by
    /// them), soonest due first, each marked overdue as of `now`.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn mine(
        &self,
        who: &Identity,
        now: DateTime<Utc>,
    ) -> Result<Vec<MyTodoView>, TodoActionError> {
        Ok(
            store::todos::open_of_user(&self.pool, who.account_id, who.user_id)
                .await?
                .into_iter()
                .map(|r| MyTodoView::new(r, now))
                .collect(),
        )
    }

    /// Adds a to-do, not done.
    #[tracing::instrument(skip(self, who, input), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn add(
        &self,
        who: &Identity,
        ticket_id: TicketId,
        input: TodoInput<'_>,
    ) -> Result<TodoView, TodoActionError> {
        let title = todo_title(input.title)?;
        let kind = TodoKind::parse(input.kind)?;
        let due_at = input
            .due_at
            .map(|t| crate::domain::time_range::time("due_at", t))
            .transpose()
            .map_err(|_| TodoError::DueAtOutOfRange)?;
        let ticket = self.ticket(who.account_id, ticket_id).await?;
        let todo = TodoView::from(
            store::todos::insert(
                &self.pool,
                NewTodo {
                    account_id: who.account_id,
                    ticket_id,
                    title,
                    kind,
                    due_at,
                    created_by: who.user_id,
                },
            )
            .await?,
        );
        self.announce(
            who,
            &ticket,
            ServerEvent::TodoUpdated {
                ticket_id,
                todo: todo.clone(),
            },
        );
        Ok(todo)
    }

    /// Changes a to-do: its title, kind, due time or done.
    #[tracing::instrument(skip(self, who, change), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn update(
        &self,
        who: &Identity,
        ticket_id: TicketId,
        todo_id: TodoId,
        change: TodoChange<'_>,
    ) -> Result<TodoView, TodoActionError> {
        if let Some(title) = change.title {
            todo_title(title)?;
        }
        let change = TodoChange {
            title: change.title.map(str::trim),
            ..change
        };
        let ticket = self.ticket(who.account_id, ticket_id).await?;
        let todo = store::todos::update(&self.pool, who.account_id, ticket_id, todo_id, &change)
            .await?
            .map(TodoView::from)
            .ok_or(TodoActionError::TodoNotFound)?;
        self.announce(
            who,
            &ticket,
            ServerEvent::TodoUpdated {
                ticket_id,
                todo: todo.clone(),
            },
        );
        Ok(todo)
    }

    /// Deletes a to-do.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn delete(
        &self,
        who: &Identity,
        ticket_id: TicketId,
        todo_id: TodoId,
    ) -> Result<(), TodoActionError> {
        let ticket = self.ticket(who.account_id, ticket_id).await?;
        if !store::todos::delete(&self.pool, who.account_id, ticket_id, todo_id).await? {
            return Err(TodoActionError::TodoNotFound);
        }
        self.announce(
            who,
            &ticket,
            ServerEvent::TodoDeleted { ticket_id, todo_id },
        );
        Ok(())
    }

    /// Sets the ticket's mood (1–5) as `who`; the latest value wins.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn set_mood(
        &self,
        who: &Identity,
        ticket_id: TicketId,
        mood: i64,
        now: DateTime<Utc>,
    ) -> Result<(), TodoActionError> {
        let mood = Mood::parse(mood)?;
        let ticket = self.ticket(who.account_id, ticket_id).await?;
        store::todos::set_mood(
            &self.pool,
            who.account_id,
            ticket_id,
            mood.value(),
            Some(who.user_id),
            now,
        )
        .await?;
        self.announce(
            who,
            &ticket,
            ServerEvent::TicketMood {
                ticket_id,
                mood: mood.value(),
                set_by: Some(who.user_id),
                set_at: now,
            },
        );
        Ok(())
    }

    /// Pushes a committed change to the ticket's assignee, the user who made it and managers,
    /// and marks the account's guest-view counts changed.
    fn announce(&self, who: &Identity, ticket: &TicketRecord, event: ServerEvent) {
        self.counts.touch(who.account_id);
        let audience: Vec<UserId> = ticket
            .assignee_id
            .into_iter()
            .chain([who.user_id])
            .collect();
        match EventFrame::new(&event) {
            Ok(frame) => self
                .hub
                .push_to_users_and_managers(who.account_id, &audience, &frame),
            Err(e) => tracing::error!(error = %e, "a to-do frame did not serialise"),
        }
    }
}
