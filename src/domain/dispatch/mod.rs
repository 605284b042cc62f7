//! The dispatching rules of SPEC §2 as a pure state machine: the [`Board`] holds one
//! account's agents and open tickets, takes events, and answers the [`Decision`]s they lead
//! to, already applied to itself. No I/O and no clock: the caller passes `now` and persists
//! each decision before telling anyone.

mod board;
mod ranking;
#[cfg(test)]
mod tests;

pub use board::{Board, OFFER_SECONDS};

use super::card::{AgentCard, TicketTraits};
use super::ids::{TicketId, UserId};
use super::ticket::TicketState;
use super::work::WorkChange;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Why a ticket reached or left an agent; every push says it (SPEC §2 rule 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    New,
    Rebalanced,
    AgentLeft,
    Manager,
    FollowUp,
    /// Its agent did not open it within the account's `return_after_seconds`.
    ReturnTimer,
    /// It waited in its routing group's queue past `overflow_after_seconds` and went to an
    /// agent of the overflow group.
    Overflow,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::New => "new",
            Reason::Rebalanced => "rebalanced",
            Reason::AgentLeft => "agent_left",
            Reason::Manager => "manager",
            Reason::FollowUp => "follow_up",
            Reason::ReturnTimer => "return_timer",
            Reason::Overflow => "overflow",
        }
    }
}

/// What the board decided. A move is an `Unassign` followed by an `Assign` of the same ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Give the ticket to the agent (from the queue; or from anyone, when by a manager).
    Assign {
        ticket: TicketId,
        agent: UserId,
        reason: Reason,
    },
    /// Take an unopened ticket back from the agent into the queue.
    Unassign {
        ticket: TicketId,
        agent: UserId,
        reason: Reason,
    },
    /// Nobody is eligible: the ticket waits in the queue.
    Queue { ticket: TicketId },
    /// Broadcast: offer the ticket to these agents; the first to claim it gets it.
    Offer {
        ticket: TicketId,
        agents: Vec<UserId>,
    },
    /// Broadcast: the offer to these agents is over.
    WithdrawOffer {
        ticket: TicketId,
        agents: Vec<UserId>,
    },
}

/// Why the board refused a manager's assignment or an agent's claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "refusal", content = "detail", rename_all = "snake_case")]
pub enum Refusal {
    #[error("ticket not found")]
    UnknownTicket,
    #[error("agent not found or not active")]
    UnknownAgent,
    /// The agent's card does not take the ticket; a manager may force it.
    #[error("the agent's card does not take this ticket")]
    CardMismatch(Vec<crate::domain::card::Mismatch>),
    #[error("{0}")]
    NotPossible(Cow<'static, str>),
}

/// An agent as the board needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEntry {
    pub id: UserId,
    pub card: AgentCard,
    /// The user is active (not deactivated by a manager).
    pub active: bool,
    /// The work timer runs.
    pub working: bool,
    pub intake_paused: bool,
    /// A live session, or disconnected for less than the grace period.
    pub present: bool,
}

impl AgentEntry {
    /// The entry after a committed work-state change, which the dispatcher applies at once,
    /// before the reload of the agent it also sets off: a ticket that arrives meanwhile
    /// cannot go to an agent who has just paused intake or stopped the timer.
    pub fn after(self, change: WorkChange) -> AgentEntry {
        match change {
            WorkChange::StartTimer => AgentEntry {
                working: true,
                ..self
            },
            WorkChange::StopTimer => AgentEntry {
                working: false,
                intake_paused: false,
                ..self
            },
            WorkChange::PauseIntake => AgentEntry {
                intake_paused: true,
                ..self
            },
            WorkChange::ResumeIntake => AgentEntry {
                intake_paused: false,
                ..self
            },
        }
    }

    /// This entry, freshly read, with the work state of `known` (the board's): for a read
    /// that may predate a work-state change the board already holds ([`AgentEntry::after`]).
    pub fn keeping_work_state_of(self, known: &AgentEntry) -> AgentEntry {
        AgentEntry {
            working: known.working,
            intake_paused: known.intake_paused,
            ..self
        }
    }

    /// Eligible for some ticket, before the card and the cap are checked.
    pub fn available(&self) -> bool {
        self.active && self.working && !self.intake_paused && self.present
    }

    /// On duty: the agent keeps their unopened tickets. Stopping the timer, going away past
    /// the grace period or being deactivated is leaving (SPEC §2 rule 6); pausing is not.
    pub fn on_duty(&self) -> bool {
        self.active && self.working && self.present
    }
}

/// An open ticket as the board needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEntry {
    pub id: TicketId,
    pub traits: TicketTraits,
    /// Not `done`: done tickets leave the board.
    pub state: TicketState,
    pub assignee: Option<UserId>,
    /// Its latest message is inbound.
    pub unanswered: bool,
    pub created_at: DateTime<Utc>,
    /// When its current assignee got it (the return timer counts from here).
    pub assigned_at: Option<DateTime<Utc>>,
    /// Who closed the thread's previous ticket.
    pub previous_agent: Option<UserId>,
    /// A manager gave it to its assignee: no automatic move takes it away (rebalancing and
    /// release on leave leave it be; leaving queues it back instead of moving it).
    pub pinned: bool,
    /// Agents who let it lapse under the return timer: it is never given back to them
    /// automatically (only a manager may).
    pub lapsed_with: Vec<UserId>,
}
