//! Committing a batch of dispatching decisions, then turning them into frames.
//!
//! Every write is guarded by the state the board believed the ticket was in, so a decision
//! can never overwrite a concurrent change (an agent opening the ticket being moved): a guard
//! that matches no row rolls the whole batch back and the dispatcher rebuilds.

use super::messages::{Known, TicketChange};
use super::Shared;
use crate::domain::dispatch::{Decision, Reason, OFFER_SECONDS};
use crate::domain::ids::{AccountId, MessageId, TicketId, UserId};
use crate::domain::inbox::Viewer;
use crate::session::frames::{EventFrame, ServerEvent, TicketPayload};
use crate::session::hub::Hub;
use crate::store::{self, events::NewEvent, leases::Held, tickets::TicketRecord};
use crate::wire::{MessageView, TicketView};
use chrono::Utc;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use std::sync::Arc;

/// One thing the dispatcher has to commit or announce, in order.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// An automatic decision.
    Decision(Decision),
    /// A manager's decision, by that manager.
    ByManager(Decision, UserId),
    /// A change already committed elsewhere that the assignee must hear about, with what its
    /// statement returned when the sender had it.
    Changed(TicketId, TicketChange, Option<Arc<Known>>),
}

/// Why a batch did not commit.
#[derive(Debug, thiserror::Error)]
pub enum FlushError {
    /// A guarded write found the ticket changed: rebuild from the database.
    #[error("a ticket changed concurrently")]
    Conflict,
    /// The account's lease is no longer this node's (fencing): nothing was committed.
    #[error("the dispatcher lease is gone")]
    Fenced,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A frame for one user.
pub struct Push {
    to: UserId,
    event: ServerEvent,
}

impl Push {
    pub fn send(self, hub: &Hub, account_id: AccountId) {
        match EventFrame::new(&self.event) {
            Ok(frame) => hub.push(account_id, self.to, &frame),
            Err(e) => tracing::error!(error = %e, "a frame did not serialise"),
        }
    }
}

/// What a committed batch has to tell the sockets.
pub struct Flushed {
    pub pushes: Vec<Push>,
}

impl Outgoing {
    /// The decision this commits, if it is one.
    fn decision(&self) -> Option<&Decision> {
        match self {
            Outgoing::Decision(d) | Outgoing::ByManager(d, _) => Some(d),
            Outgoing::Changed(..) => None,
        }
    }
}

/// Commits `batch` in one transaction, counts its decisions, and prepares its frames. The
/// transaction commits only while the node still holds `lease`.
pub(crate) async fn commit(
    shared: &Shared,
    lease: Held,
    batch: Vec<Outgoing>,
) -> Result<Flushed, FlushError> {
    let (pool, node, metrics) = (&shared.pool, &*shared.node, &*shared.metrics);
    let account_id = lease.account_id;
    let writes = batch
        .iter()
        .any(|item| !matches!(item, Outgoing::Changed(..)));
    if !writes {
        let pushes = frames(
            &shared.probing,
            account_id,
            batch,
            HashMap::new(),
            HashMap::new(),
        )
        .await;
        return Ok(Flushed { pushes });
    }
    let mut previous_assignee = HashMap::new();
    if let Some(new_assignments) = only_new_assignments(&batch) {
        // The common case under load: tickets leaving the queue. One statement, its own
        // transaction, checks the fence, moves them, logs them and returns them as their
        // frames show them. Its commit is on every new ticket's way to its agent and does not
        // wait for the disk: only PostgreSQL crashing (not a node) can lose it, in the moment
        // before the WAL writer flushes, and the tickets are then queued again and dispatched
        // once more. Nobody outside the desk was told, and an agent's next action on such a
        // ticket waits for its own flush, which writes the assignment first (the log is one
        // sequence). A manager's decision, whose answer says it is done, still waits for the
        // disk.
        let mut conn = shared.probing.acquire().await?;
        let moved =
            store::dispatch_state::assign_queued_many(&mut conn, (node, lease), &new_assignments)
                .await?;
        if moved.len() != new_assignments.len() {
            // Either a ticket changed or the lease is gone (the statement then moved nothing):
            // the fence on its own says which, so a lost lease retires instead of rebuilding.
            fence(&mut conn, node, lease).await?;
            return Err(FlushError::Conflict);
        }
        // Back to the pool before the frames' read-backs take one.
        drop(conn);
        metrics.committed(batch.iter().filter_map(Outgoing::decision));
        let moved = moved.into_iter().map(|t| (t.id, t)).collect();
        return Ok(Flushed {
            pushes: frames(&shared.probing, account_id, batch, previous_assignee, moved).await,
        });
    }
    let mut tx = store::begin_probing(pool).await?;
    for item in &batch {
        match item {
            Outgoing::Decision(d) => {
                write(&mut tx, account_id, d, None, &mut previous_assignee).await?
            }
            Outgoing::ByManager(d, manager) => {
                write(
                    &mut tx,
                    account_id,
                    d,
                    Some(*manager),
                    &mut previous_assignee,
                )
                .await?
            }
            Outgoing::Changed(..) => {}
        }
    }
    fence(&mut tx, node, lease).await?;
    tx.commit().await?;
    metrics.committed(batch.iter().filter_map(Outgoing::decision));
    Ok(Flushed {
        pushes: frames(
            &shared.probing,
            account_id,
            batch,
            previous_assignee,
            HashMap::new(),
        )
        .await,
    })
}

/// Checks, last before the commit, that `node` still holds `lease`; the lease row stays
/// share-locked until the commit, so a takeover cannot overlap it.
async fn fence(conn: &mut PgConnection, node: &str, lease: Held) -> Result<(), FlushError> {
    if store::leases::still_held(conn, node, lease).await? {
        Ok(())
    } else {
        Err(FlushError::Fenced)
    }
}

/// When a batch holds nothing but automatic assignments from the queue (and changes to
/// announce), those assignments as (ticket, agent, reason).
fn only_new_assignments(batch: &[Outgoing]) -> Option<Vec<(TicketId, UserId, Reason)>> {
    let mut out = Vec::new();
    for item in batch {
        match item {
            Outgoing::Decision(Decision::Assign {
                ticket,
                agent,
                reason,
            }) => out.push((*ticket, *agent, *reason)),
            Outgoing::Changed(..) => {}
            _ => return None,
        }
    }
    let mut tickets: Vec<TicketId> = out.iter().map(|(t, _, _)| *t).collect();
    tickets.sort_unstable();
    tickets.dedup();
    (!out.is_empty() && tickets.len() == out.len()).then_some(out)
}

async fn write(
    conn: &mut PgConnection,
    account_id: AccountId,
    decision: &Decision,
    manager: Option<UserId>,
    previous_assignee: &mut HashMap<TicketId, UserId>,
) -> Result<(), FlushError> {
    let event =
        |kind, ticket_id: TicketId, agent_id: Option<UserId>, reason: Option<Reason>| NewEvent {
            account_id,
            kind,
            ticket_id: Some(ticket_id),
            agent_id,
            actor_id: manager,
            reason: reason.map(Reason::as_str),
            ..Default::default()
        };
    match decision {
        Decision::Assign {
            ticket,
            agent,
            reason,
        } => {
            let old = match manager {
                Some(_) => {
                    store::dispatch_state::assign_any(
                        &mut *conn,
                        account_id,
                        *ticket,
                        *agent,
                        *reason == Reason::Manager,
                    )
                    .await?
                }
                None => {
                    store::dispatch_state::assign_queued(&mut *conn, account_id, *ticket, *agent)
                        .await?
                        .map(|()| None)
                }
            };
            let Some(old) = old else {
                return Err(FlushError::Conflict);
            };
            if let Some(old) = old.filter(|old| old != agent) {
                previous_assignee.insert(*ticket, old);
                store::events::append(
                    &mut *conn,
                    event("ticket.unassigned", *ticket, Some(old), Some(*reason)),
                )
                .await?;
            }
            store::events::append(
                &mut *conn,
                event("ticket.assigned", *ticket, Some(*agent), Some(*reason)),
            )
            .await?;
        }
        Decision::Unassign {
            ticket,
            agent,
            reason,
        } => {
            if !store::dispatch_state::release_unopened(&mut *conn, account_id, *ticket, *agent)
                .await?
            {
                return Err(FlushError::Conflict);
            }
            store::events::append(
                &mut *conn,
                event("ticket.unassigned", *ticket, Some(*agent), Some(*reason)),
            )
            .await?;
        }
        Decision::Queue { ticket } => {
            store::events::append(&mut *conn, event("ticket.queued", *ticket, None, None)).await?;
        }
        Decision::Offer { ticket, agents } => {
            let mut e = event("ticket.offered", *ticket, None, None);
            e.data = Some(json!({ "agents": agents }));
            store::events::append(&mut *conn, e).await?;
        }
        Decision::WithdrawOffer { ticket, agents } => {
            let mut e = event("ticket.offer_withdrawn", *ticket, None, None);
            e.data = Some(json!({ "agents": agents }));
            store::events::append(&mut *conn, e).await?;
        }
    }
    Ok(())
}

/// The batch is committed, so its frames must go out even when their payloads cannot be
/// read: they then carry only ids, and clients fetch the ticket (or get it in the next
/// snapshot).
fn payloads_unavailable(e: sqlx::Error) -> Payloads {
    tracing::warn!(error = %e, "could not load frame payloads after commit; pushing ids only");
    Payloads::default()
}

/// The tickets and messages a batch's frames carry, by id.
type Payloads = (
    HashMap<TicketId, TicketRecord>,
    HashMap<MessageId, MessageView>,
);

/// The tickets and messages a committed batch's frames carry and no change brought along,
/// read on the dispatchers' probing pool, each statement its own transaction (nothing needs
/// the two reads to agree: both only read what is committed); nothing is read when nothing is
/// missing.
async fn read_back(
    probing: &PgPool,
    account_id: AccountId,
    ticket_ids: &[TicketId],
    message_ids: &[MessageId],
) -> Result<Payloads, sqlx::Error> {
    let mut payloads = Payloads::default();
    if ticket_ids.is_empty() && message_ids.is_empty() {
        return Ok(payloads);
    }
    let mut conn = probing.acquire().await?;
    if !ticket_ids.is_empty() {
        let records = store::tickets::records(&mut *conn, account_id, ticket_ids).await?;
        payloads.0 = records.into_iter().map(|t| (t.id, t)).collect();
    }
    if !message_ids.is_empty() {
        let messages = store::tickets::messages(&mut *conn, account_id, message_ids).await?;
        payloads.1 = messages
            .into_iter()
            .map(|m| (m.id, MessageView::from(m)))
            .collect();
    }
    Ok(payloads)
}

/// The frames of a committed batch. Ticket and message payloads a change brought along, and
/// the tickets the commit returned (`committed`), are used as they are; the others (the
/// dispatcher's other decisions) are read after the commit.
/// Each ticket frame goes to the ticket's assignee or to the agents it is offered to, and
/// carries the views it belongs to for that agent.
async fn frames(
    probing: &PgPool,
    account_id: AccountId,
    batch: Vec<Outgoing>,
    previous_assignee: HashMap<TicketId, UserId>,
    committed: HashMap<TicketId, TicketRecord>,
) -> Vec<Push> {
    let mut ticket_ids: Vec<TicketId> = batch
        .iter()
        .filter_map(|item| match item {
            Outgoing::Decision(
                Decision::Assign { ticket, .. } | Decision::Offer { ticket, .. },
            )
            | Outgoing::ByManager(Decision::Assign { ticket, .. }, _)
            | Outgoing::Changed(ticket, _, None) => Some(*ticket),
            _ => None,
        })
        .filter(|ticket| !committed.contains_key(ticket))
        .collect();
    ticket_ids.sort_unstable();
    ticket_ids.dedup();
    let message_ids: Vec<MessageId> = batch
        .iter()
        .filter_map(|item| match item {
            Outgoing::Changed(
                _,
                TicketChange::MessageArrived { message_id } | TicketChange::Replied { message_id },
                None,
            ) => Some(*message_id),
            _ => None,
        })
        .collect();
    let (mut records, messages) = read_back(probing, account_id, &ticket_ids, &message_ids)
        .await
        .unwrap_or_else(payloads_unavailable);
    records.extend(committed);
    // A ticket as `to` sees it (the frame's recipient is its assignee or an agent it is offered
    // to, for whom an agent's and a manager's views coincide).
    let viewer = |to: UserId| Viewer {
        user_id: to,
        is_manager: false,
    };
    let ticket_for = |id: TicketId, to: UserId| match records.get(&id) {
        Some(t) => TicketPayload::View(Box::new(TicketView::new(t.clone(), viewer(to)))),
        None => TicketPayload::Id { id },
    };
    let assignee = |id: &TicketId| records.get(id).and_then(|t| t.assignee_id);

    let mut pushes = Vec::new();
    for item in batch {
        let decision = match item {
            Outgoing::Decision(d) | Outgoing::ByManager(d, _) => d,
            Outgoing::Changed(id, change, known) => {
                let (to, message, ticket) = match known.as_deref() {
                    Some(known) => {
                        let Some(to) = known.ticket.assignee_id else {
                            continue;
                        };
                        let view = TicketView::new(known.ticket.clone(), viewer(to));
                        let message = known.message.clone().map(MessageView::from);
                        (to, message, TicketPayload::View(Box::new(view)))
                    }
                    None => {
                        let Some(to) = assignee(&id) else { continue };
                        let message = match change {
                            TicketChange::MessageArrived { message_id }
                            | TicketChange::Replied { message_id } => {
                                messages.get(&message_id).cloned()
                            }
                            _ => None,
                        };
                        (to, message, ticket_for(id, to))
                    }
                };
                if let Some(message) = message {
                    pushes.push(Push {
                        to,
                        event: ServerEvent::MessageCreated {
                            ticket_id: id,
                            message,
                        },
                    });
                }
                pushes.push(Push {
                    to,
                    event: ServerEvent::TicketUpdated { ticket },
                });
                continue;
            }
        };
        match decision {
            Decision::Assign {
                ticket: id,
                agent,
                reason,
            } => {
                if let Some(old) = previous_assignee.get(&id) {
                    pushes.push(Push {
                        to: *old,
                        event: ServerEvent::TicketUnassigned {
                            reason,
                            ticket_id: id,
                        },
                    });
                }
                pushes.push(Push {
                    to: agent,
                    event: ServerEvent::TicketAssigned {
                        reason,
                        ticket: ticket_for(id, agent),
                    },
                });
            }
            Decision::Unassign {
                ticket: id,
                agent,
                reason,
            } => {
                pushes.push(Push {
                    to: agent,
                    event: ServerEvent::TicketUnassigned {
                        reason,
                        ticket_id: id,
                    },
                });
            }
            Decision::Queue { .. } => {}
            Decision::Offer { ticket: id, agents } => {
                let expires_at = Utc::now() + chrono::Duration::seconds(OFFER_SECONDS);
                for agent in agents {
                    pushes.push(Push {
                        to: agent,
                        event: ServerEvent::Offer {
                            ticket: ticket_for(id, agent),
                            expires_at,
                        },
                    });
                }
            }
            Decision::WithdrawOffer { ticket: id, agents } => {
                for agent in agents {
                    pushes.push(Push {
                        to: agent,
                        event: ServerEvent::OfferWithdrawn { ticket_id: id },
                    });
                }
            }
        }
    }
    pushes
}
