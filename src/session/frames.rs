//! The JSON text frames of SPEC §6. Server events carry typed payloads and are serialised
//! once ([`EventFrame`]); each user's `seq` is spliced in when the hub numbers the frame, so
//! one event sent to many managers is not serialised once per manager.

use crate::domain::dispatch::Reason;
use crate::domain::ids::{TicketId, TodoId, UserId};
use crate::domain::viewers::Viewer;
use crate::wire::view_counts::ViewCount;
use crate::wire::{Code, MessageView, NoteView, TicketView, TodoView, UserView, WorkStateView};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::sync::Arc;

/// A ticket inside a frame: the whole view, or only its id when the committed ticket could
/// not be read back (the frame still goes out; the client fetches the ticket or gets it in
/// the next snapshot).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum TicketPayload {
    View(Box<TicketView>),
    Id { id: TicketId },
}

/// A server → client event. Payload objects are the same shapes the HTTP API answers with.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub enum ServerEvent {
    #[serde(rename = "ticket.assigned")]
    TicketAssigned {
        reason: Reason,
        ticket: TicketPayload,
    },
    #[serde(rename = "ticket.unassigned")]
    TicketUnassigned { reason: Reason, ticket_id: TicketId },
    #[serde(rename = "ticket.updated")]
    TicketUpdated { ticket: TicketPayload },
    #[serde(rename = "message.created")]
    MessageCreated {
        ticket_id: TicketId,
        message: MessageView,
    },
    /// An internal note, to everyone who sees the ticket (its assignee, the author, managers).
    #[serde(rename = "note.created")]
    NoteCreated { ticket_id: TicketId, note: NoteView },
    /// A to-do was added or changed (to the ticket's assignee, its author and managers).
    #[serde(rename = "todo.updated")]
    TodoUpdated { ticket_id: TicketId, todo: TodoView },
    /// The account-wide guest views' counts changed (coalesced, at most one a second per
    /// account; `app::live_counts`).
    #[serde(rename = "views.counts")]
    ViewsCounts {
        items: Vec<ViewCount>,
        capped_at: i64,
    },
    /// A to-do was deleted.
    #[serde(rename = "todo.deleted")]
    TodoDeleted {
        ticket_id: TicketId,
        todo_id: TodoId,
    },
    /// The ticket's mood was set (by a user, or by the bridge when `set_by` is null).
    #[serde(rename = "ticket.mood")]
    TicketMood {
        ticket_id: TicketId,
        mood: i16,
        set_by: Option<UserId>,
        set_at: DateTime<Utc>,
    },
    /// A note that mentions the receiving user.
    #[serde(rename = "mention")]
    Mention { ticket_id: TicketId, note: NoteView },
    /// A reply's delivery status changed.
    #[serde(rename = "message.updated")]
    MessageUpdated {
        ticket_id: TicketId,
        message: MessageView,
    },
    #[serde(rename = "agent.state")]
    AgentState {
        agent_id: UserId,
        state: WorkStateView,
    },
    #[serde(rename = "offer")]
    Offer {
        ticket: TicketPayload,
        expires_at: DateTime<Utc>,
    },
    #[serde(rename = "offer.withdrawn")]
    OfferWithdrawn { ticket_id: TicketId },
    /// The live wallboard, already serialised by whoever computed it.
    #[serde(rename = "wallboard")]
    Wallboard { wallboard: Arc<RawValue> },
    /// To managers: an alert was raised (`GET /alerts` lists them).
    #[serde(rename = "alert")]
    Alert { alert: crate::store::alerts::Alert },
    /// To a user looking at a ticket: the other people looking at it now (the receiver never
    /// among them), each once, `typing` while they write on it. Sent whenever that changes.
    #[serde(rename = "ticket.viewers")]
    TicketViewers {
        ticket_id: TicketId,
        viewers: Vec<Viewer>,
    },
}

/// An event serialised once, waiting for each user's `seq`.
#[derive(Debug, Clone)]
pub struct EventFrame(Arc<str>);

impl EventFrame {
    /// Serialises `event` (an object, so it always starts with `{`).
    pub fn new(event: &ServerEvent) -> Result<EventFrame, serde_json::Error> {
        serde_json::to_string(event).map(|text| EventFrame(text.into()))
    }

    /// A frame serialised by another node (relayed through Redis).
    pub fn from_serialised(text: Arc<str>) -> EventFrame {
        EventFrame(text)
    }

    /// The serialised event, without a `seq`.
    pub fn serialised(&self) -> &Arc<str> {
        &self.0
    }

    /// The frame with its place in a user's sequence: `{"seq":N,` followed by the event's
    /// own fields.
    pub fn numbered(&self, seq: u64) -> Arc<str> {
        let fields = self.0.strip_prefix('{').unwrap_or(&self.0);
        format!("{{\"seq\":{seq},{fields}").into()
    }
}

/// Frames that describe the connection rather than the inbox; they do not advance `seq`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControlFrame {
    /// First frame of every connection.
    Hello {
        seq: u64,
        /// The history `seq` counts in: a client resuming says it, so a node never replays
        /// frames of another history as if they were the missed ones.
        epoch: u64,
        user: Option<UserView>,
        heartbeat_seconds: u64,
    },
    /// The user's whole inbox and work state as the database has it; replaces client state.
    Snapshot {
        seq: u64,
        #[serde(flatten)]
        inbox: Snapshot,
    },
    /// The frames after this one count in history `epoch`, from `seq` on: the node moved
    /// between numbering frames itself and the shared history (Redis lost or back). A client
    /// takes both as if a `hello` had said them.
    Epoch { epoch: u64, seq: u64 },
    /// Answer to a client `ping`.
    Pong,
    /// A client frame that could not be used.
    Error { code: &'static str, message: String },
}

/// What a snapshot holds.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub tickets: Vec<TicketView>,
    pub state: WorkStateView,
    pub offers: Vec<TicketView>,
}

/// Why a client's request over the socket was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    pub code: Code,
    pub message: String,
}

impl ControlFrame {
    /// The frame that reports `e` to the client.
    pub fn error(e: FrameError) -> ControlFrame {
        ControlFrame::Error {
            code: e.code.as_str(),
            message: e.message,
        }
    }
}

/// A client → server frame.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Replay everything after `last_seq`, or send a fresh snapshot if that is too old.
    Resume {
        last_seq: u64,
        /// The `epoch` of the `hello` that `last_seq` was counted after.
        #[serde(default)]
        epoch: Option<u64>,
    },
    /// The agent looks at a ticket (same as `POST /tickets/{id}/open`).
    Open {
        ticket_id: TicketId,
    },
    /// The tab shows this ticket (`typing` while the user writes on it), again every ten
    /// seconds while it does; an empty or absent `ticket_id`: it shows none any more.
    Viewing {
        #[serde(default, deserialize_with = "blank_or_id")]
        ticket_id: Option<TicketId>,
        #[serde(default)]
        typing: bool,
    },
    Ping,
}

/// A ticket id, or none for `""` or `null`.
fn blank_or_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<TicketId>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(i64),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Raw::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("`ticket_id` is not a ticket id")),
        Some(Raw::Number(n)) => Ok(Some(TicketId(n))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbered_events_put_type_and_seq_side_by_side() {
        let event = ServerEvent::TicketUnassigned {
            reason: Reason::Rebalanced,
            ticket_id: TicketId(7),
        };
        let frame = EventFrame::new(&event).unwrap();
        let first: serde_json::Value = serde_json::from_str(&frame.numbered(3)).unwrap();
        assert_eq!(
            first,
            json!({"type": "ticket.unassigned", "seq": 3, "reason": "rebalanced", "ticket_id": "7"})
        );
        let again: serde_json::Value = serde_json::from_str(&frame.numbered(41)).unwrap();
        assert_eq!(again["seq"], 41, "one serialisation, any number of users");
    }

    #[test]
    fn client_frames_parse_and_junk_is_refused() {
        let resume: ClientFrame =
            serde_json::from_str(r#"{"type":"resume","last_seq":12}"#).unwrap();
        assert_eq!(
            resume,
            ClientFrame::Resume {
                last_seq: 12,
                epoch: None
            }
        );
        let open: ClientFrame =
            serde_json::from_str(r#"{"type":"open","ticket_id":"44"}"#).unwrap();
        assert_eq!(
            open,
            ClientFrame::Open {
                ticket_id: TicketId(44)
            }
        );
        let viewing: ClientFrame =
            serde_json::from_str(r#"{"type":"viewing","ticket_id":"44","typing":true}"#).unwrap();
        assert_eq!(
            viewing,
            ClientFrame::Viewing {
                ticket_id: Some(TicketId(44)),
                typing: true
            }
        );
        for left in [
            r#"{"type":"viewing","ticket_id":""}"#,
            r#"{"type":"viewing","ticket_id":null}"#,
            r#"{"type":"viewing"}"#,
        ] {
            assert_eq!(
                serde_json::from_str::<ClientFrame>(left).unwrap(),
                ClientFrame::Viewing {
                    ticket_id: None,
                    typing: false
                },
                "{left}"
            );
        }
        assert!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"viewing","ticket_id":"x1"}"#).is_err()
        );
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"shout"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"resume"}"#).is_err());
    }
}
