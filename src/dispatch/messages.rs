//! What the rest of the server tells a dispatcher, and asks of it. Facts in the past tense
//! (`TicketCreated`), commands in the imperative (`AssignTicket`).

use crate::domain::card::TicketTraits;
use crate::domain::dispatch::Refusal;
use crate::domain::ids::{MessageId, TicketId, UserId};
use crate::domain::work::WorkChange;
use crate::store::tickets::{MessageRecord, TicketRecord};
use actix::prelude::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// A new ticket was committed (queued) by ingest; the dispatcher decides who gets it.
#[derive(Message, Debug, Clone, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct TicketCreated {
    pub ticket_id: TicketId,
    pub traits: TicketTraits,
    pub created_at: DateTime<Utc>,
    /// The agent who closed the thread's previous ticket (SPEC §2 rule 2).
    pub previous_agent: Option<UserId>,
}

/// Something committed about an existing ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum TicketChange {
    /// A guest message arrived (the ticket is unanswered again).
    MessageArrived { message_id: MessageId },
    /// The assignee looked at it.
    Opened,
    /// An agent or manager replied (it is answered).
    Replied { message_id: MessageId },
    /// Flagged for a manager.
    Pending,
    /// Finished; it leaves the board.
    Done,
    /// Parked until a follow-up; it leaves the board until [`FollowUpDue`].
    Parked,
}

/// A parked ticket's follow-up came due and was committed back to the queue: give it to
/// `agent` if they may take it now, else dispatch it (reason `follow_up`).
#[derive(Message, Debug, Clone, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct FollowUpDue {
    pub ticket_id: TicketId,
    pub traits: TicketTraits,
    pub created_at: DateTime<Utc>,
    pub unanswered: bool,
    /// Who parked it (its assignee then); `None`: it was in the queue.
    pub agent: Option<UserId>,
}

/// A ticket changed in the database; the dispatcher updates loads and tells the sockets.
#[derive(Message, Debug, Clone, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct TicketChanged {
    pub ticket_id: TicketId,
    pub change: TicketChange,
    /// The ticket (and the message the change is about) as the change's own statement
    /// returned them, when the sender has them: pushed as they are, with nothing read back.
    /// Never forwarded to another node: its dispatcher reads the ticket back instead.
    #[serde(skip)]
    pub known: Option<Arc<Known>>,
}

/// What a change's statement returned.
#[derive(Debug)]
pub struct Known {
    pub ticket: TicketRecord,
    pub message: Option<MessageRecord>,
}

/// Why a request to the dispatcher was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatchRefusal {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the dispatcher is unavailable, try again")]
    Unavailable,
}

/// A manager moves a ticket (any state but done) to an agent (SPEC §2 rule 5).
#[derive(Message, Debug, Clone, Serialize, Deserialize)]
#[rtype(result = "Result<(), DispatchRefusal>")]
pub struct AssignTicket {
    pub ticket_id: TicketId,
    pub agent_id: UserId,
    pub manager_id: UserId,
    /// Past the agent's card.
    pub force: bool,
}

/// An agent claims a ticket offered to them (broadcast strategy).
#[derive(Message, Debug, Clone, Serialize, Deserialize)]
#[rtype(result = "Result<(), DispatchRefusal>")]
pub struct ClaimTicket {
    pub ticket_id: TicketId,
    pub agent_id: UserId,
}

/// An agent's work state, card, role, activity or presence may have changed: reload them.
#[derive(Message, Debug, Clone, Copy, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct AgentChanged {
    pub agent_id: UserId,
    /// The work-state change the sender committed, if it was one: applied before the reload.
    #[serde(default)]
    pub switched: Option<WorkChange>,
}

/// Check the agent's presence again once `after` has passed (the grace period).
#[derive(Message, Debug, Clone, Copy, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct RecheckAgentAfter {
    pub agent_id: UserId,
    pub after: Duration,
}

/// The account's settings or routing groups changed: reload them (a rebuild).
#[derive(Message, Debug, Clone, Copy, Serialize, Deserialize)]
#[rtype(result = "()")]
pub struct SettingsChanged;

/// The tickets currently offered to an agent (broadcast strategy).
#[derive(Message, Debug, Clone, Copy, Serialize, Deserialize)]
#[rtype(result = "Vec<TicketId>")]
pub struct OffersFor {
    pub agent_id: UserId,
}

/// Commit everything decided so far, then answer: the server is shutting down.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Drain;

/// This node no longer holds the account's lease: commit nothing more, and stop.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Retire;
