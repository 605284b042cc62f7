//! An internal note as clients see it: in a ticket's answer (`notes`, apart from `messages`)
//! and in the `note.created` and `mention` frames.

use crate::domain::ids::{NoteId, TicketId, UserId};
use crate::store::notes::NoteRecord;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The wire shape of a note (SPEC §9: `id, body, author_id, created_at, mentions[]`, plus the
/// ticket it is on and its author's name, which agents cannot look up themselves).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoteView {
    pub id: NoteId,
    pub ticket_id: TicketId,
    pub body: String,
    pub author_id: UserId,
    pub author_name: String,
    pub created_at: DateTime<Utc>,
    /// The users the note mentions.
    pub mentions: Vec<UserId>,
}

impl From<NoteRecord> for NoteView {
    fn from(n: NoteRecord) -> NoteView {
        NoteView {
            id: n.id,
            ticket_id: n.ticket_id,
            body: n.body,
            author_id: n.author_id,
            author_name: n.author_name,
            created_at: n.created_at,
            mentions: n.mentions,
        }
    }
}
