//! Receiving what the channels deliver, committed before it is acknowledged and idempotent on
//! the channel's message id: guest messages through the node's group-committing [`writer`],
//! reservations one transaction each.

pub mod writer;

use super::failure::{failure_from, Failure};
use super::live_counts::LiveCounts;
use super::recent::{recent_account, KnownAccounts};
use crate::domain::ids::{AccountId, MessageId, ReservationId, ThreadId, TicketId};
use crate::domain::ingest::{InboundMessage, Stay};
use crate::domain::stage::derive_stage;
use crate::store::{
    self,
    ingest_batch::{Ids, Item, Outcome},
};
use crate::wire::{Code, ErrorCode};
use serde::Serialize;
use sqlx::PgPool;
use std::sync::Arc;
use store::accounts::Account;
use writer::{WriteError, Writer};

/// Why a delivery was not stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("account not found")]
    AccountNotFound,
    /// The node's writer cannot take the message now (its queue is full, or it is stopping).
    #[error(transparent)]
    Busy(WriteError),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(IngestError);

impl ErrorCode for IngestError {
    fn code(&self) -> Code {
        match self {
            IngestError::AccountNotFound => Code::NotFound,
            IngestError::Busy(_) => Code::Unavailable,
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

impl From<WriteError> for IngestError {
    fn from(e: WriteError) -> IngestError {
        match e {
            WriteError::Database(e) => match e.as_ref() {
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                    IngestError::Failure(Failure::Unavailable(Box::new(e)))
                }
                _ => IngestError::Failure(Failure::Internal(Box::new(e))),
            },
            busy => IngestError::Busy(busy),
        }
    }
}

impl From<Ids> for StoredIds {
    fn from(ids: Ids) -> StoredIds {
        StoredIds {
            ticket_id: ids.ticket_id,
            message_id: ids.message_id,
            thread_id: ids.thread_id,
        }
    }
}

/// Stores what channels deliver.
#[derive(Clone)]
pub struct Ingest {
    pool: PgPool,
    writer: Writer,
    accounts: Arc<KnownAccounts>,
    /// Told of every stored change, so the guest views' counts are pushed (coalesced).
    counts: Arc<LiveCounts>,
}

impl Ingest {
    pub fn new(
        pool: PgPool,
        writer: Writer,
        accounts: Arc<KnownAccounts>,
        counts: Arc<LiveCounts>,
    ) -> Ingest {
        Ingest {
            pool,
            writer,
            accounts,
            counts,
        }
    }

    /// The account, as read a moment ago or now.
    async fn account(&self, account_id: AccountId) -> Result<Account, IngestError> {
        recent_account(&self.accounts, &self.pool, account_id)
            .await?
            .ok_or(IngestError::AccountNotFound)
    }

    /// Stores a guest message (and the guest, listing, reservation and thread it names), opening
    /// a ticket when the thread has none that is not done. The message waits for the node's
    /// writer and is stored with whatever else is waiting (see [`writer`]).
    #[tracing::instrument(skip(self, msg), fields(account_id = %account_id, channel = %msg.channel))]
    pub async fn receive_message(
        &self,
        account_id: AccountId,
        msg: &InboundMessage,
    ) -> Result<Delivery, IngestError> {
        let account = self.account(account_id).await?;
        let today = chrono::Utc::now()
            .with_timezone(&account.settings.timezone)
            .date_naive();
        let item = Item {
            account_id,
            stage: derive_stage(msg.reservation.as_ref().map(Stay::facts), today),
            message: msg.clone(),
        };
        let delivery = match self.writer.write(item).await? {
            Outcome::New(ids) => Delivery::New(ids.into()),
            Outcome::Repeat(ids) => Delivery::Repeat(ids.into()),
        };
        // The bridge's mood replaces the ticket's, set by nobody (the bridge). Only a new
        // delivery sets it: a repeat must not undo a mood an agent set since.
        if let (Delivery::New(ids), Some(mood)) = (delivery, msg.mood) {
            if let Some(ticket_id) = ids.ticket_id {
                store::todos::set_mood(
                    &self.pool,
                    account_id,
                    ticket_id,
                    mood.value(),
                    None,
                    chrono::Utc::now(),
                )
                .await?;
            }
        }
        if matches!(delivery, Delivery::New(_)) {
            self.counts.touch(account_id);
        }
        Ok(delivery)
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
            self.counts.touch(account_id);
        } else {
            tx.rollback().await?;
        }
        Ok((stored.id, stored.changed))
    }
}
