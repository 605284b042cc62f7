//! Follow-ups (issue 14, SPEC §9 `POST /tickets/{id}/follow-up {at, note}`): the assignee (or
//! a manager) parks a ticket until a time. It leaves the dispatcher's board and the working
//! tabs, shows in the `follow_ups` view, and comes back at that time (or as soon as the guest
//! writes again) to the agent who had it when they may take it then, else through normal
//! dispatching, with reason `follow_up`.
//!
//! A sweeper on every node takes the due follow-ups once a second; the rows it takes are
//! locked, so two nodes never return the same ticket. It never decides who gets a ticket:
//! it puts it back in the queue and tells the dispatcher, which does.

use super::failure::{failure_from, Failure};
use crate::dispatch::messages::{FollowUpDue, TicketChange, TicketChanged};
use crate::dispatch::Dispatchers;
use crate::domain::follow_up::{FollowUp, FollowUpError};
use crate::domain::ids::TicketId;
use crate::domain::user::Role;
use crate::store::{self, follow_ups::Park, sessions::Identity};
use crate::wire::{Code, ErrorCode, TicketView};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often the sweeper looks for due follow-ups.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// The most follow-ups one sweep returns (the next sweep takes the rest).
const SWEEP_BATCH: i64 = 500;

/// Why a follow-up was not set.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpActionError {
    #[error("ticket not found")]
    NotFound,
    #[error("this ticket is assigned to someone else")]
    NotYours,
    #[error("this ticket waits in the queue; a manager can set its follow-up")]
    InQueue,
    #[error("a done ticket cannot be followed up")]
    Done,
    #[error(transparent)]
    Invalid(#[from] FollowUpError),
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(FollowUpActionError);

impl ErrorCode for FollowUpActionError {
    fn code(&self) -> Code {
        match self {
            FollowUpActionError::NotFound => Code::NotFound,
            FollowUpActionError::NotYours | FollowUpActionError::InQueue => Code::Forbidden,
            FollowUpActionError::Done => Code::InvalidState,
            FollowUpActionError::Invalid(FollowUpError::NoteTooLong) => Code::TextTooLong,
            FollowUpActionError::Invalid(_) => Code::InvalidInput,
            FollowUpActionError::Failure(f) => f.code(),
        }
    }
}

/// Parks tickets and brings them back.
pub struct FollowUps {
    pool: PgPool,
    dispatchers: Arc<Dispatchers>,
}

impl FollowUps {
    /// The service, with its sweeper running for as long as the service lives.
    pub fn start(pool: PgPool, dispatchers: Arc<Dispatchers>) -> Arc<FollowUps> {
        let follow_ups = Arc::new(FollowUps { pool, dispatchers });
        tokio::spawn(sweep_while_alive(Arc::downgrade(&follow_ups)));
        follow_ups
    }

    /// Parks the ticket until `at` with `note` (a second follow-up replaces the first).
    #[tracing::instrument(skip(self, who, note), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn set(
        &self,
        who: &Identity,
        ticket_id: TicketId,
        at: DateTime<Utc>,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<TicketView, FollowUpActionError> {
        let follow_up = FollowUp::parse(at, note, now)?;
        let ticket = store::tickets::record(&self.pool, who.account_id, ticket_id)
            .await?
            .ok_or(FollowUpActionError::NotFound)?;
        if who.role != Role::Manager && ticket.assignee_id != Some(who.user_id) {
            return Err(match ticket.assignee_id {
                None => FollowUpActionError::InQueue,
                Some(_) => FollowUpActionError::NotYours,
            });
        }
        let mut tx = self.pool.begin().await.map_err(Failure::from)?;
        let parked = store::follow_ups::park(
            &mut tx,
            &Park {
                account_id: who.account_id,
                ticket_id,
                at: follow_up.at,
                note: follow_up.note,
                by: who.user_id,
                now,
            },
        )
        .await?;
        if !parked {
            return Err(FollowUpActionError::Done);
        }
        tx.commit().await.map_err(Failure::from)?;
        self.dispatchers.tell(
            who.account_id,
            TicketChanged {
                ticket_id,
                change: TicketChange::Parked,
                known: None,
            },
        );
        let record = store::tickets::record(&self.pool, who.account_id, ticket_id)
            .await?
            .ok_or(FollowUpActionError::NotFound)?;
        Ok(TicketView::new(record, who.viewer()))
    }

    /// Returns every follow-up due at `now` to the queue and tells each account's
    /// dispatcher; answers how many came back.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let returned = store::follow_ups::take_due(&mut tx, now, SWEEP_BATCH).await?;
        tx.commit().await?;
        for r in &returned {
            self.dispatchers.tell(
                r.account_id,
                FollowUpDue {
                    ticket_id: r.ticket.id,
                    traits: r.ticket.traits.clone(),
                    created_at: r.ticket.created_at,
                    unanswered: r.ticket.unanswered,
                    agent: r.agent,
                },
            );
        }
        Ok(returned.len())
    }
}

async fn sweep_while_alive(follow_ups: Weak<FollowUps>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(follow_ups) = follow_ups.upgrade() else {
            return;
        };
        if let Err(e) = follow_ups.sweep(Utc::now()).await {
            tracing::warn!(error = %e, "could not return due follow-ups; trying again");
        }
    }
}
