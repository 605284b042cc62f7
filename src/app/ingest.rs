//! Receiving what the channels deliver: one transaction per delivery, committed before it is
//! acknowledged, idempotent on the channel's message id; then the dispatcher is told.

use super::failure::{failure_from, Failure};
use crate::dispatch::messages::{TicketChange, TicketChanged, TicketCreated};
use crate::dispatch::Dispatchers;
use crate::domain::card::TicketTraits;
use crate::domain::ids::{AccountId, MessageId, ReservationId, ThreadId, TicketId};
use crate::domain::ingest::{InboundMessage, Stay};
use crate::domain::stage::derive_stage;
use crate::store::{self, events::NewEvent, ingest::NewTicket};
use crate::wire::{Code, ErrorCode};
use serde::Serialize;
use serde_json::json;
use sqlx::PgPool;
use std::sync::Arc;

/// Why a delivery was not stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("account not found")]
    AccountNotFound,
    /// The same message id arrived at once on two requests and neither can be read back yet.
    #[error("the message was stored concurrently; send it again")]
    Concurrent,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(IngestError);

impl ErrorCode for IngestError {
    fn code(&self) -> Code {
        match self {
            IngestError::AccountNotFound => Code::NotFound,
            IngestError::Concurrent => Code::Conflict,
            IngestError::Failure(f) => f.code(),
        }
    }
}

/// The ids a delivered message is stored under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StoredIds {
    /// None for a history message, which opens no ticket.
    pub ticket_id: Option<TicketId>,
    pub message_id: MessageId,
    pub thread_id: ThreadId,
}

/// Whether a delivery was new or a repeat of one already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    New(StoredIds),
    Repeat(StoredIds),
}

/// Stores what channels deliver.
#[derive(Clone)]
pub struct Ingest {
    pool: PgPool,
    dispatchers: Arc<Dispatchers>,
}

impl Ingest {
    pub fn new(pool: PgPool, dispatchers: Arc<Dispatchers>) -> Ingest {
        Ingest { pool, dispatchers }
    }

    /// Stores a guest message (and the guest, listing, reservation and thread it names), opening
    /// a ticket when the thread has none that is not done.
    #[tracing::instrument(skip(self, msg), fields(account_id = %account_id, channel = %msg.channel))]
    pub async fn receive_message(
        &self,
        account_id: AccountId,
        msg: &InboundMessage,
    ) -> Result<Delivery, IngestError> {
        let account = store::accounts::get(&self.pool, account_id)
            .await?
            .ok_or(IngestError::AccountNotFound)?;
        let channel = msg.channel.as_str();
        let mut tx = self.pool.begin().await?;
        let guest_id =
            store::ingest::upsert_guest(&mut tx, account_id, channel, &msg.guest).await?;
        let (listing, reservation_id) = match &msg.reservation {
            Some(stay) => {
                let listing = store::ingest::upsert_listing(
                    &mut tx,
                    account_id,
                    &stay.listing_external_id,
                    stay.listing_name.as_deref(),
                )
                .await?;
                let stored = store::ingest::upsert_reservation(
                    &mut tx,
                    account_id,
                    stay,
                    listing.0,
                    Some(guest_id),
                )
                .await?;
                (Some(listing), Some(stored.id))
            }
            None => (None, None),
        };
        let thread_id = store::ingest::upsert_thread(
            &mut tx,
            account_id,
            channel,
            &msg.thread_external_id,
            guest_id,
            reservation_id,
        )
        .await?;
        if let Some((ticket_id, message_id, thread_id)) =
            store::ingest::find_message(&mut tx, account_id, channel, &msg.message_external_id)
                .await?
        {
            tx.rollback().await?;
            return Ok(Delivery::Repeat(StoredIds {
                ticket_id,
                message_id,
                thread_id,
            }));
        }
        if msg.history {
            let inserted =
                store::ingest::insert_inbound(&mut tx, account_id, thread_id, None, msg).await?;
            let Some(message_id) = inserted else {
                tx.rollback().await?;
                return self.stored_concurrently(account_id, msg).await;
            };
            tx.commit().await?;
            return Ok(Delivery::New(StoredIds {
                ticket_id: None,
                message_id,
                thread_id,
            }));
        }

        let existing = store::ingest::open_ticket_of_thread(&mut tx, thread_id).await?;
        let created = match existing {
            Some(ticket_id) => {
                store::ingest::mark_unanswered(&mut tx, ticket_id, msg.sent_at).await?;
                None
            }
            None => {
                let today = chrono::Utc::now()
                    .with_timezone(&account.settings.timezone)
                    .date_naive();
                let stage = derive_stage(msg.reservation.as_ref().map(Stay::facts), today);
                let previous_agent = store::ingest::previous_agent(&mut tx, thread_id).await?;
                let listing_group = listing.as_ref().and_then(|(_, group)| group.clone());
                let (ticket_id, created_at) = store::ingest::insert_ticket(
                    &mut tx,
                    NewTicket {
                        account_id,
                        thread_id,
                        stage: stage.as_str(),
                        channel,
                        language: msg.guest.language.as_deref(),
                        listing_group: listing_group.as_deref(),
                        guest_id,
                        reservation_id,
                        listing_id: listing.as_ref().map(|(id, _)| *id),
                        awaiting_since: msg.sent_at,
                    },
                )
                .await?;
                let data = json!({"stage": stage, "channel": channel, "previous_agent_id": previous_agent});
                store::events::append(
                    &mut *tx,
                    NewEvent {
                        account_id,
                        kind: "ticket.created",
                        ticket_id: Some(ticket_id),
                        data: Some(data),
                        ..Default::default()
                    },
                )
                .await?;
                let traits = TicketTraits {
                    stage,
                    channel: msg.channel.clone(),
                    language: msg.guest.language.clone(),
                    listing_group,
                };
                Some(TicketCreated {
                    ticket_id,
                    traits,
                    created_at,
                    previous_agent,
                })
            }
        };
        let ticket_id = existing
            .or(created.as_ref().map(|c| c.ticket_id))
            .ok_or(IngestError::Concurrent)?;
        let inserted =
            store::ingest::insert_inbound(&mut tx, account_id, thread_id, Some(ticket_id), msg)
                .await?;
        let Some(message_id) = inserted else {
            tx.rollback().await?;
            return self.stored_concurrently(account_id, msg).await;
        };
        let data = json!({ "message_id": message_id });
        store::events::append(
            &mut *tx,
            NewEvent {
                account_id,
                kind: "message.received",
                ticket_id: Some(ticket_id),
                data: Some(data),
                at: Some(msg.sent_at),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;

        let dispatcher = self.dispatchers.get(account_id);
        match created {
            Some(new) => dispatcher.do_send(new),
            None => dispatcher.do_send(TicketChanged {
                ticket_id,
                change: TicketChange::MessageArrived { message_id },
            }),
        }
        Ok(Delivery::New(StoredIds {
            ticket_id: Some(ticket_id),
            message_id,
            thread_id,
        }))
    }

    /// The same external id arrived at once on another request and that one committed first:
    /// it wins, and this delivery answers as its repeat.
    async fn stored_concurrently(
        &self,
        account_id: AccountId,
        msg: &InboundMessage,
    ) -> Result<Delivery, IngestError> {
        let mut conn = self.pool.acquire().await?;
        let (ticket_id, message_id, thread_id) = store::ingest::find_message(
            &mut conn,
            account_id,
            msg.channel.as_str(),
            &msg.message_external_id,
        )
        .await?
        .ok_or(IngestError::Concurrent)?;
        Ok(Delivery::Repeat(StoredIds {
            ticket_id,
            message_id,
            thread_id,
        }))
    }

    /// Stores a reservation (status changes drive conversion); answers its id and whether
    /// anything changed.
    #[tracing::instrument(skip(self, stay), fields(account_id = %account_id))]
    pub async fn receive_reservation(
        &self,
        account_id: AccountId,
        stay: &Stay,
    ) -> Result<(ReservationId, bool), IngestError> {
        let mut tx = self.pool.begin().await?;
        let guest_id = match &stay.guest {
            Some(g) => Some(
                store::ingest::upsert_guest(&mut tx, account_id, stay.channel.as_str(), g).await?,
            ),
            None => None,
        };
        let listing = store::ingest::upsert_listing(
            &mut tx,
            account_id,
            &stay.listing_external_id,
            stay.listing_name.as_deref(),
        )
        .await?;
        let stored =
            store::ingest::upsert_reservation(&mut tx, account_id, stay, listing.0, guest_id)
                .await?;
        if stored.changed {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok((stored.id, stored.changed))
    }
}
