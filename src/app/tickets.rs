//! Ticket actions (SPEC §5): open, reply, pending, done, a manager's assignment and a
//! broadcast claim. Each checks who may act and whether the state machine allows it, commits
//! the change with its event, and only then tells the dispatcher, which updates loads and
//! pushes the change to the sockets.
//!
//! Who may act: the assignee, or any manager. An agent acting on someone else's ticket is
//! refused as not theirs (agents can see the account's tickets in the `all` view, so hiding
//! them behind "not found" would only confuse). Assignments go through the dispatcher, which
//! owns them.

use super::failure::{failure_from, Failure};
use super::outbound::DeliveryBell;
use crate::app::action_writer::{Action, ActionWriter};
use crate::dispatch::messages::{
    AssignTicket, ClaimTicket, DispatchRefusal, Known, TicketChange, TicketChanged,
};
use crate::dispatch::Dispatchers;
use crate::domain::card::Mismatch;
use crate::domain::dispatch::Refusal;
use crate::domain::ids::{TicketId, UserId};
use crate::domain::ticket::{InvalidTransition, TicketAction};
use crate::domain::user::Role;
use crate::metrics::Metrics;
use crate::store::{self, sessions::Identity, tickets::TicketRecord, writer_thread::WriterThread};
use crate::wire::{ActivityLog, Code, ErrorCode, TicketView};
use sqlx::PgPool;
use std::sync::Arc;

/// The longest reply and pending note accepted.
pub const MAX_REPLY_CHARS: usize = 20_000;
pub const MAX_NOTE_CHARS: usize = 2_000;

/// A manager's assignment as it holds.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Assigned {
    #[serde(flatten)]
    pub ticket: TicketView,
    /// False when the agent is not taking work now (timer stopped or intake paused): the
    /// ticket waits for them.
    pub agent_working: bool,
}

/// Why a ticket action was refused.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("ticket not found")]
    NotFound,
    #[error("agent not found")]
    AgentNotFound,
    #[error("the agent's card does not take this ticket ({}); assign with force to do it anyway", .0.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "))]
    CardMismatch(Vec<Mismatch>),
    #[error("this ticket is assigned to someone else")]
    NotYours,
    /// Said apart from [`TicketError::NotYours`]: "someone else" about a ticket nobody has
    /// sent agents looking for a colleague who does not exist.
    #[error("this ticket waits in the queue and is assigned to nobody yet; a manager can give it to you")]
    InQueue,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    #[error("{0}")]
    NotPossible(String),
    #[error("the dispatcher could not commit; try again")]
    DispatcherUnavailable,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(TicketError);

impl ErrorCode for TicketError {
    fn code(&self) -> Code {
        match self {
            TicketError::NotFound | TicketError::AgentNotFound => Code::NotFound,
            TicketError::NotYours | TicketError::InQueue => Code::Forbidden,
            TicketError::CardMismatch(_) => Code::CardMismatch,
            TicketError::Invalid(_) => Code::InvalidInput,
            TicketError::Transition(_) | TicketError::NotPossible(_) => Code::InvalidState,
            TicketError::DispatcherUnavailable => Code::Unavailable,
            TicketError::Failure(f) => f.code(),
        }
    }

    fn details(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match self {
            TicketError::CardMismatch(mismatches) => {
                let mut details = serde_json::Map::new();
                details.insert("mismatches".into(), serde_json::json!(mismatches));
                Some(details)
            }
            _ => None,
        }
    }
}

impl From<DispatchRefusal> for TicketError {
    fn from(e: DispatchRefusal) -> TicketError {
        match e {
            DispatchRefusal::Refused(Refusal::UnknownTicket) => TicketError::NotFound,
            DispatchRefusal::Refused(Refusal::UnknownAgent) => TicketError::AgentNotFound,
            DispatchRefusal::Refused(Refusal::CardMismatch(m)) => TicketError::CardMismatch(m),
            DispatchRefusal::Refused(Refusal::NotPossible(why)) => {
                TicketError::NotPossible(why.into_owned())
            }
            DispatchRefusal::Unavailable => TicketError::DispatcherUnavailable,
        }
    }
}

impl From<actix::MailboxError> for TicketError {
    fn from(_: actix::MailboxError) -> TicketError {
        TicketError::DispatcherUnavailable
    }
}

/// What an action does beyond changing the state.
enum Effect<'a> {
    None,
    Reply(&'a str),
    Note(&'a str),
}

/// Acts on tickets.
#[derive(Clone)]
pub struct TicketActions {
    pool: PgPool,
    writer: ActionWriter,
    dispatchers: Arc<Dispatchers>,
    /// Wakes the delivery worker once a reply's deliveries are committed.
    deliveries: DeliveryBell,
}

/// A text between 1 and `max` characters once trimmed.
fn bounded<'a>(text: &'a str, what: &str, max: usize) -> Result<&'a str, TicketError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(TicketError::Invalid(format!(
            "the {what} must have 1 to {max} characters"
        )));
    }
    Ok(text)
}

impl TicketActions {
    pub fn new(
        pool: PgPool,
        writers: &WriterThread,
        dispatchers: Arc<Dispatchers>,
        deliveries: DeliveryBell,
        metrics: Arc<Metrics>,
    ) -> TicketActions {
        TicketActions {
            writer: ActionWriter::start(writers, metrics),
            pool,
            dispatchers,
            deliveries,
        }
    }

    /// Applies `action` in one statement ([`store::ticket_actions`], group-committed by the
    /// [`ActionWriter`]) and tells the dispatcher
    /// what changed, with the ticket as the statement returned it. When the action did not
    /// apply, the same answer says why; a repeated open is answered with the ticket as it is.
    async fn act(
        &self,
        who: &Identity,
        ticket_id: TicketId,
        action: TicketAction,
        effect: Effect<'_>,
    ) -> Result<TicketView, TicketError> {
        let (event, reply, note) = match (action, effect) {
            (_, Effect::Reply(body)) => ("ticket.replied", Some(body), None),
            (_, Effect::Note(note)) => ("ticket.pending", None, Some(note)),
            (TicketAction::MarkDone, Effect::None) => ("ticket.done", None, None),
            (_, Effect::None) => ("ticket.opened", None, None),
        };
        // A transition that changes nothing and stores nothing (opening an opened ticket) is
        // not written: it touches no row and tells nobody.
        let transitions: Vec<_> = action
            .transitions()
            .into_iter()
            .filter(|(from, to)| from != to || reply.is_some() || note.is_some())
            .collect();
        let acted = self
            .writer
            .act(Action {
                account_id: who.account_id,
                ticket_id,
                actor: who.user_id,
                is_manager: who.role == Role::Manager,
                transitions,
                event,
                reply: reply.map(str::to_string),
                note: note.map(str::to_string),
            })
            .await?
            .ok_or(TicketError::NotFound)?;
        if !acted.applied {
            return self.not_applied(who, action, acted.record);
        }
        let change = match (&acted.reply, action) {
            (Some(message), _) => TicketChange::Replied {
                message_id: message.id,
            },
            (None, TicketAction::MarkPending) => TicketChange::Pending,
            (None, TicketAction::MarkDone) => TicketChange::Done,
            (None, _) => TicketChange::Opened,
        };
        if acted.reply.is_some() {
            self.deliveries.ring();
        }
        let view = TicketView::new(acted.record.clone(), who.viewer());
        self.dispatchers.tell(
            who.account_id,
            TicketChanged {
                ticket_id,
                change,
                known: Some(Arc::new(Known {
                    ticket: acted.record,
                    message: acted.reply,
                })),
            },
        );
        Ok(view)
    }

    /// Why an action changed nothing, from the ticket as it is: not theirs, a state the
    /// action does not apply to, or (for an open) nothing to do, answered with the ticket.
    fn not_applied(
        &self,
        who: &Identity,
        action: TicketAction,
        ticket: TicketRecord,
    ) -> Result<TicketView, TicketError> {
        if who.role != Role::Manager && ticket.assignee_id != Some(who.user_id) {
            return Err(match ticket.assignee_id {
                None => TicketError::InQueue,
                Some(_) => TicketError::NotYours,
            });
        }
        ticket.state.apply(action)?;
        if action == TicketAction::Open {
            return Ok(TicketView::new(ticket, who.viewer()));
        }
        // Allowed now, so the ticket changed between the guard and this answer's snapshot.
        Err(TicketError::NotPossible(
            "the ticket changed meanwhile; try again".into(),
        ))
    }

    /// The assignee looks at the ticket; from now on only a manager can move it.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn open(
        &self,
        who: &Identity,
        ticket_id: TicketId,
    ) -> Result<TicketView, TicketError> {
        self.act(who, ticket_id, TicketAction::Open, Effect::None)
            .await
    }

    /// Answers the guest: an outbound message, and the ticket is no longer unanswered.
    #[tracing::instrument(skip(self, who, body), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn reply(
        &self,
        who: &Identity,
        ticket_id: TicketId,
        body: &str,
    ) -> Result<TicketView, TicketError> {
        let body = bounded(body, "reply", MAX_REPLY_CHARS)?;
        self.act(who, ticket_id, TicketAction::Reply, Effect::Reply(body))
            .await
    }

    /// Flags the ticket for a manager, with a note saying why.
    #[tracing::instrument(skip(self, who, note), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn mark_pending(
        &self,
        who: &Identity,
        ticket_id: TicketId,
        note: &str,
    ) -> Result<TicketView, TicketError> {
        let note = bounded(note, "note", MAX_NOTE_CHARS)?;
        self.act(
            who,
            ticket_id,
            TicketAction::MarkPending,
            Effect::Note(note),
        )
        .await
    }

    /// Finishes the ticket.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn mark_done(
        &self,
        who: &Identity,
        ticket_id: TicketId,
    ) -> Result<TicketView, TicketError> {
        self.act(who, ticket_id, TicketAction::MarkDone, Effect::None)
            .await
    }

    /// A manager gives the ticket to an agent (any state but done; SPEC §2 rule 5) and pins it
    /// there. An agent whose card does not take it is refused unless `force`; one who is not
    /// working may be chosen, and the answer says so.
    #[tracing::instrument(skip(self, manager), fields(account_id = %manager.account_id, user_id = %manager.user_id))]
    pub async fn assign(
        &self,
        manager: &Identity,
        ticket_id: TicketId,
        agent_id: UserId,
        force: bool,
    ) -> Result<Assigned, TicketError> {
        let account_id = manager.account_id;
        let ticket = store::tickets::record(&self.pool, account_id, ticket_id)
            .await?
            .ok_or(TicketError::NotFound)?;
        ticket.state.apply(TicketAction::Assign)?;
        let agent = store::users::get(&self.pool, account_id, agent_id)
            .await?
            .ok_or(TicketError::AgentNotFound)?;
        if !agent.active {
            return Err(TicketError::NotPossible("the agent is deactivated".into()));
        }
        let message = AssignTicket {
            ticket_id,
            agent_id,
            manager_id: manager.user_id,
            force,
        };
        self.dispatchers.assign(account_id, message).await?;
        Ok(Assigned {
            ticket: self.current(manager, ticket_id).await?,
            agent_working: agent.working && !agent.intake_paused,
        })
    }

    /// What happened to a ticket, with who and when: any user of the account may read it,
    /// as they may read the ticket.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn activity(
        &self,
        who: &Identity,
        ticket_id: TicketId,
    ) -> Result<ActivityLog, TicketError> {
        store::tickets::record(&self.pool, who.account_id, ticket_id)
            .await?
            .ok_or(TicketError::NotFound)?;
        let events = store::events::of_ticket(&self.pool, who.account_id, ticket_id).await?;
        Ok(ActivityLog {
            items: events.into_iter().map(Into::into).collect(),
        })
    }

    /// An agent claims a ticket offered to them (broadcast strategy).
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn claim(
        &self,
        who: &Identity,
        ticket_id: TicketId,
    ) -> Result<TicketView, TicketError> {
        store::tickets::record(&self.pool, who.account_id, ticket_id)
            .await?
            .ok_or(TicketError::NotFound)?;
        let message = ClaimTicket {
            ticket_id,
            agent_id: who.user_id,
        };
        self.dispatchers.claim(who.account_id, message).await?;
        self.current(who, ticket_id).await
    }

    async fn current(
        &self,
        who: &Identity,
        ticket_id: TicketId,
    ) -> Result<TicketView, TicketError> {
        let record = store::tickets::record(&self.pool, who.account_id, ticket_id)
            .await?
            .ok_or(TicketError::NotFound)?;
        Ok(TicketView::new(record, who.viewer()))
    }
}
