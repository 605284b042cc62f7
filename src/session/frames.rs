//! The JSON text frames of SPEC §6. Server frames carry a per-user rising `seq`, added by the
//! hub when the frame is numbered ([`Numbered`]).

use crate::domain::dispatch::Reason;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A server → client event. Payload objects (tickets, messages, states) are the same JSON
/// the HTTP API answers with, so clients parse one shape.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub enum ServerEvent {
    #[serde(rename = "ticket.assigned")]
    TicketAssigned { reason: Reason, ticket: Value },
    #[serde(rename = "ticket.unassigned")]
    TicketUnassigned { reason: Reason, ticket_id: String },
    #[serde(rename = "ticket.updated")]
    TicketUpdated { ticket: Value },
    #[serde(rename = "message.created")]
    MessageCreated { ticket_id: String, message: Value },
    #[serde(rename = "agent.state")]
    AgentState { agent_id: String, state: Value },
    #[serde(rename = "offer")]
    Offer { ticket: Value, expires_at: String },
    #[serde(rename = "offer.withdrawn")]
    OfferWithdrawn { ticket_id: String },
    #[serde(rename = "wallboard")]
    Wallboard { wallboard: Value },
}

/// An event with its place in the user's sequence.
#[derive(Serialize)]
pub struct Numbered<'a> {
    pub seq: u64,
    #[serde(flatten)]
    pub event: &'a ServerEvent,
}

/// Frames that describe the connection rather than the inbox; they do not advance `seq`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControlFrame {
    /// First frame of every connection.
    Hello {
        seq: u64,
        user: Value,
        heartbeat_seconds: u64,
    },
    /// The user's whole inbox and work state as the database has it; replaces client state.
    Snapshot {
        seq: u64,
        tickets: Vec<Value>,
        state: Value,
        offers: Vec<Value>,
    },
    /// Answer to a client `ping`.
    Pong,
    /// A client frame that could not be used.
    Error { code: &'static str, message: String },
}

/// A client → server frame.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Replay everything after `last_seq`, or send a fresh snapshot if that is too old.
    Resume {
        last_seq: u64,
    },
    /// The agent looks at a ticket (same as `POST /tickets/{id}/open`).
    Open {
        #[serde(with = "crate::domain::ids::as_string")]
        ticket_id: i64,
    },
    Ping,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbered_events_put_type_and_seq_side_by_side() {
        let event = ServerEvent::TicketUnassigned {
            reason: Reason::Rebalanced,
            ticket_id: "7".into(),
        };
        let frame = serde_json::to_value(Numbered {
            seq: 3,
            event: &event,
        })
        .unwrap();
        assert_eq!(
            frame,
            json!({"type": "ticket.unassigned", "seq": 3, "reason": "rebalanced", "ticket_id": "7"})
        );
    }

    #[test]
    fn client_frames_parse_and_junk_is_refused() {
        let resume: ClientFrame =
            serde_json::from_str(r#"{"type":"resume","last_seq":12}"#).unwrap();
        assert_eq!(resume, ClientFrame::Resume { last_seq: 12 });
        let open: ClientFrame =
            serde_json::from_str(r#"{"type":"open","ticket_id":"44"}"#).unwrap();
        assert_eq!(open, ClientFrame::Open { ticket_id: 44 });
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"shout"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"resume"}"#).is_err());
    }
}
