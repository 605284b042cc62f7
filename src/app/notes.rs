//! Internal notes on a ticket (SPEC §9 `POST /tickets/{id}/notes`): the team talking about a
//! conversation, never to the guest. A note is stored in its own table (`store::notes`), is
//! not a message and changes nothing about the ticket (it stays unanswered, its state and
//! assignee are untouched), so no delivery path, reply count or response time can include it.
//!
//! Anyone of the account who can read the ticket may write one: its assignee, any manager,
//! and any agent (agents read the account's tickets in the `all` view). Once committed, the
//! note goes out as `note.created` to the ticket's assignee, the author's other tabs and every
//! manager, and as `mention` to each active user of the account it `@mentions`
//! (`domain::note` says how names are matched; the author is never mentioned).

use super::failure::{failure_from, Failure};
use crate::domain::ids::{AccountId, TicketId, UserId};
use crate::domain::note::{mentioned, note_text, NoteError};
use crate::session::frames::{EventFrame, ServerEvent};
use crate::session::hub::Hub;
use crate::store::{self, notes::NewNote, sessions::Identity};
use crate::wire::{Code, ErrorCode, NoteView};
use sqlx::PgPool;
use std::sync::Arc;

/// Why a note was not added.
#[derive(Debug, thiserror::Error)]
pub enum NoteActionError {
    #[error("ticket not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] NoteError),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(NoteActionError);

impl ErrorCode for NoteActionError {
    fn code(&self) -> Code {
        match self {
            NoteActionError::NotFound => Code::NotFound,
            NoteActionError::Invalid(NoteError::Empty) => Code::InvalidInput,
            NoteActionError::Invalid(NoteError::TooLong) => Code::TextTooLong,
            NoteActionError::Failure(f) => f.code(),
        }
    }
}

/// Adds internal notes and tells whoever should know.
#[derive(Clone)]
pub struct Notes {
    pool: PgPool,
    hub: Arc<Hub>,
}

impl Notes {
    pub fn new(pool: PgPool, hub: Arc<Hub>) -> Notes {
        Notes { pool, hub }
    }

    /// Adds a note to one of the account's tickets.
    #[tracing::instrument(skip(self, who, body), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn add(
        &self,
        who: &Identity,
        ticket_id: TicketId,
        body: &str,
    ) -> Result<NoteView, NoteActionError> {
        let body = note_text(body)?;
        let account_id = who.account_id;
        let ticket = store::tickets::record(&self.pool, account_id, ticket_id)
            .await?
            .ok_or(NoteActionError::NotFound)?;
        let people: Vec<(UserId, String)> = store::users::list(&self.pool, account_id)
            .await?
            .into_iter()
            .filter(|u| u.active && u.id != who.user_id)
            .map(|u| (u.id, u.name))
            .collect();
        let mentions = mentioned(body, &people);
        let note = NoteView::from(
            store::notes::insert(
                &self.pool,
                NewNote {
                    account_id,
                    ticket_id,
                    thread_id: ticket.thread_id,
                    author_id: who.user_id,
                    body,
                    mentions: &mentions,
                },
            )
            .await?,
        );
        let audience: Vec<UserId> = ticket
            .assignee_id
            .into_iter()
            .chain([who.user_id])
            .collect();
        self.announce(account_id, &audience, &note);
        Ok(note)
    }

    /// Pushes the committed note to the ticket's audience and to each user it mentions.
    fn announce(&self, account_id: AccountId, audience: &[UserId], note: &NoteView) {
        let created = ServerEvent::NoteCreated {
            ticket_id: note.ticket_id,
            note: note.clone(),
        };
        let mention = ServerEvent::Mention {
            ticket_id: note.ticket_id,
            note: note.clone(),
        };
        match (EventFrame::new(&created), EventFrame::new(&mention)) {
            (Ok(created), Ok(mention)) => {
                self.hub
                    .push_to_users_and_managers(account_id, audience, &created);
                for user in &note.mentions {
                    self.hub.push(account_id, *user, &mention);
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "a note frame did not serialise")
            }
        }
    }
}
