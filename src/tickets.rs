//! Ticket actions (SPEC §5): open, reply, pending, done, a manager's assignment and a
//! broadcast claim. Each checks who may act and whether the state machine allows it, commits
//! the change with its event, and only then tells the dispatcher, which updates loads and
//! pushes the change to the sockets.
//!
//! Who may act: the assignee, or any manager. An agent acting on someone else's ticket gets
//! 403 (agents can see the account's tickets in the `all` view, so hiding them behind 404
//! would only confuse). Assignments go through the dispatcher, which owns them.

use crate::dispatch::messages::{
    AssignTicket, ClaimTicket, DispatchRefusal, TicketChange, TicketChanged,
};
use crate::domain::dispatch::Refusal;
use crate::domain::ticket::{TicketAction, TicketState};
use crate::domain::user::Role;
use crate::http::error::ApiError;
use crate::realtime::Realtime;
use crate::store::{self, events::NewEvent, sessions::Identity, tickets::TicketView};
use serde_json::json;

/// The longest reply and pending note accepted.
pub const MAX_REPLY_CHARS: usize = 20_000;
pub const MAX_NOTE_CHARS: usize = 2_000;

/// What an action does beyond changing the state.
enum Effect<'a> {
    None,
    Reply(&'a str),
    Note(&'a str),
}

async fn act(
    rt: &Realtime,
    who: &Identity,
    ticket_id: i64,
    action: TicketAction,
    effect: Effect<'_>,
) -> Result<TicketView, ApiError> {
    let mut tx = rt.pool.begin().await?;
    let ticket = store::tickets::lock(&mut tx, who.account_id, ticket_id)
        .await?
        .ok_or(ApiError::NotFound("ticket"))?;
    if who.role != Role::Manager && ticket.assignee_id != Some(who.user_id) {
        return Err(ApiError::NotYours);
    }
    let next = ticket.state.apply(action)?;
    let (kind, change, data) = match effect {
        Effect::Reply(body) => {
            let message_id =
                store::tickets::insert_reply(&mut tx, who.account_id, &ticket, who.user_id, body)
                    .await?;
            (
                "ticket.replied",
                TicketChange::Replied { message_id },
                json!({"message_id": message_id.to_string()}),
            )
        }
        Effect::Note(note) => (
            "ticket.pending",
            TicketChange::Pending,
            json!({"note": note}),
        ),
        Effect::None => match next {
            TicketState::Done => ("ticket.done", TicketChange::Done, json!({})),
            _ => ("ticket.opened", TicketChange::Opened, json!({})),
        },
    };
    let note = match effect {
        Effect::Note(n) => Some(n),
        _ => None,
    };
    if next != ticket.state || note.is_some() {
        store::tickets::set_state(&mut tx, ticket.id, next, who.user_id, note).await?;
    }
    let first_open = action == TicketAction::Open && ticket.state == TicketState::Assigned;
    if action != TicketAction::Open || first_open {
        let event = NewEvent {
            account_id: who.account_id,
            kind,
            ticket_id: Some(ticket.id),
            agent_id: Some(who.user_id),
            actor_id: Some(who.user_id),
            data: Some(data),
            ..Default::default()
        };
        store::events::append(&mut *tx, event).await?;
    }
    // Read on the transaction's connection: what was just written, without a second checkout.
    let view = store::tickets::view(&mut *tx, who.account_id, ticket_id)
        .await?
        .ok_or(ApiError::NotFound("ticket"))?;
    tx.commit().await?;
    if action != TicketAction::Open || first_open {
        rt.dispatchers
            .get(who.account_id)
            .do_send(TicketChanged { ticket_id, change });
    }
    Ok(view)
}

/// The assignee looks at the ticket; from now on only a manager can move it.
pub async fn open(rt: &Realtime, who: &Identity, ticket_id: i64) -> Result<TicketView, ApiError> {
    act(rt, who, ticket_id, TicketAction::Open, Effect::None).await
}

/// Answers the guest: an outbound message, and the ticket is no longer unanswered.
pub async fn reply(
    rt: &Realtime,
    who: &Identity,
    ticket_id: i64,
    body: &str,
) -> Result<TicketView, ApiError> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > MAX_REPLY_CHARS {
        return Err(ApiError::invalid(format!(
            "the reply must have 1 to {MAX_REPLY_CHARS} characters"
        )));
    }
    act(rt, who, ticket_id, TicketAction::Reply, Effect::Reply(body)).await
}

/// Flags the ticket for a manager, with a note saying why.
pub async fn mark_pending(
    rt: &Realtime,
    who: &Identity,
    ticket_id: i64,
    note: &str,
) -> Result<TicketView, ApiError> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::invalid(format!(
            "the note must have 1 to {MAX_NOTE_CHARS} characters"
        )));
    }
    act(
        rt,
        who,
        ticket_id,
        TicketAction::MarkPending,
        Effect::Note(note),
    )
    .await
}

/// Finishes the ticket.
pub async fn mark_done(
    rt: &Realtime,
    who: &Identity,
    ticket_id: i64,
) -> Result<TicketView, ApiError> {
    act(rt, who, ticket_id, TicketAction::MarkDone, Effect::None).await
}

fn refused(e: DispatchRefusal) -> ApiError {
    match e {
        DispatchRefusal::Refused(Refusal::UnknownTicket) => ApiError::NotFound("ticket"),
        DispatchRefusal::Refused(Refusal::UnknownAgent) => ApiError::NotFound("agent"),
        DispatchRefusal::Refused(Refusal::NotPossible(why)) => ApiError::InvalidState(why.into()),
        DispatchRefusal::Unavailable => {
            ApiError::Unavailable("the dispatcher could not commit".into())
        }
    }
}

/// A manager gives the ticket to an agent (any state but done; SPEC §2 rule 5).
pub async fn assign(
    rt: &Realtime,
    manager: &Identity,
    ticket_id: i64,
    agent_id: i64,
) -> Result<TicketView, ApiError> {
    let ticket = store::tickets::view(&rt.pool, manager.account_id, ticket_id)
        .await?
        .ok_or(ApiError::NotFound("ticket"))?;
    if ticket.state == TicketState::Done.as_str() {
        return Err(ApiError::InvalidState(
            "a done ticket cannot be assigned".into(),
        ));
    }
    let agent = store::users::get(&rt.pool, manager.account_id, agent_id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    if !agent.active {
        return Err(ApiError::InvalidState("the agent is deactivated".into()));
    }
    let message = AssignTicket {
        ticket_id,
        agent_id,
        manager_id: manager.user_id,
    };
    rt.dispatchers
        .get(manager.account_id)
        .send(message)
        .await
        .map_err(|e| ApiError::Internal(Box::new(e)))?
        .map_err(refused)?;
    store::tickets::view(&rt.pool, manager.account_id, ticket_id)
        .await?
        .ok_or(ApiError::NotFound("ticket"))
}

/// An agent claims a ticket offered to them (broadcast strategy).
pub async fn claim(rt: &Realtime, who: &Identity, ticket_id: i64) -> Result<TicketView, ApiError> {
    store::tickets::view(&rt.pool, who.account_id, ticket_id)
        .await?
        .ok_or(ApiError::NotFound("ticket"))?;
    let message = ClaimTicket {
        ticket_id,
        agent_id: who.user_id,
    };
    rt.dispatchers
        .get(who.account_id)
        .send(message)
        .await
        .map_err(|e| ApiError::Internal(Box::new(e)))?
        .map_err(refused)?;
    store::tickets::view(&rt.pool, who.account_id, ticket_id)
        .await?
        .ok_or(ApiError::NotFound("ticket"))
}
