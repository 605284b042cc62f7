//! The delivery worker of one node: a few slots (the policy's concurrency), each claiming one
//! due delivery at a time with `FOR UPDATE SKIP LOCKED`, sending it, and writing the outcome in
//! the same transaction, so the row stays locked while it is being sent and no other slot or
//! node sends it meanwhile. State lives only in PostgreSQL: a killed node's locks go with its
//! connections, and the next node (or the restarted one) carries on. A stop lets each slot
//! finish the attempt it is making (at most the request time-out) and then ends.

use super::{announce, DeliveryBell, Sender};
use crate::domain::delivery::{judge, next_step, Answer, DeliveryPolicy, SigningSecret, Step};
use crate::session::hub::Hub;
use crate::store;
use crate::wire::outbound::{reply_webhook_id, WebhookBody};
use chrono::Utc;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What every slot shares.
pub(super) struct Courier {
    pub pool: PgPool,
    pub hub: Arc<Hub>,
    pub sender: Arc<Sender>,
    pub policy: DeliveryPolicy,
    pub bell: DeliveryBell,
}

/// The running worker; [`DeliveryWorker::stop`] ends it.
pub struct DeliveryWorker {
    stop: watch::Sender<bool>,
    slots: Vec<JoinHandle<()>>,
}

impl DeliveryWorker {
    pub(super) fn start(courier: Courier) -> DeliveryWorker {
        let courier = Arc::new(courier);
        let (stop, stopped) = watch::channel(false);
        let slots = (0..courier.policy.concurrency)
            .map(|_| tokio::spawn(courier.clone().run(stopped.clone())))
            .collect();
        DeliveryWorker { stop, slots }
    }

    /// Lets each slot finish its attempt, waiting at most `limit`; an attempt cut short is
    /// rolled back and sent again by whoever claims it next.
    pub async fn stop(self, limit: Duration) {
        let _ = self.stop.send(true);
        let all = futures_util::future::join_all(self.slots);
        if tokio::time::timeout(limit, all).await.is_err() {
            tracing::warn!("delivery worker did not stop in time; unfinished attempts are retried");
        }
    }
}

impl Courier {
    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        while !*stopped.borrow() {
            match self.deliver_one().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "delivery worker could not reach the database")
                }
            }
            tokio::select! {
                () = self.bell.0.notified() => {}
                () = tokio::time::sleep(self.policy.poll) => {}
                changed = stopped.changed() => if changed.is_err() { break },
            }
        }
    }

    /// Claims, sends and records one due delivery; false when none is due.
    async fn deliver_one(&self) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let Some(due) = store::outbound::claim_due(&mut tx).await? else {
            return Ok(false);
        };
        let event = store::outbound::reply_event(&mut *tx, due.account_id, due.message_id).await?;
        let answer = match (event, SigningSecret::parse(&due.secret)) {
            (Some(event), Ok(secret)) => match serde_json::to_string(&WebhookBody::reply(event)) {
                Ok(body) => {
                    let id = reply_webhook_id(due.message_id);
                    self.sender.send(&due.url, &secret, &id, &body).await
                }
                Err(e) => Answer::Refused(format!("the reply could not be encoded: {e}")),
            },
            (None, _) => Answer::Refused("the reply is no longer stored".into()),
            (_, Err(e)) => Answer::Refused(format!("the connection's secret is unusable: {e}")),
        };
        let code = match answer {
            Answer::Status { code, .. } => Some(code),
            _ => None,
        };
        let attempt = u32::try_from(due.attempts).unwrap_or(0) + 1;
        let jitter: f64 = rand::random();
        let step = next_step(
            judge(&answer),
            attempt,
            Utc::now(),
            due.window_from,
            &self.policy,
            jitter,
        );
        match &step {
            Step::Sent => tracing::debug!(delivery_id = %due.id, attempt, "delivered to bridge"),
            Step::RetryAt { at, reason } => {
                tracing::info!(delivery_id = %due.id, attempt, %at, reason, "delivery will be retried")
            }
            Step::Failed { reason } => {
                tracing::warn!(delivery_id = %due.id, attempt, reason, "delivery failed")
            }
        }
        store::outbound::record_attempt(&mut tx, &due, &step, code).await?;
        let message = store::tickets::messages(&mut *tx, due.account_id, &[due.message_id])
            .await?
            .pop();
        let audience = store::outbound::audience(&mut *tx, due.message_id).await?;
        tx.commit().await?;
        if let (Some(message), Some((ticket_id, to))) = (message, audience) {
            announce(&self.hub, due.account_id, ticket_id, &to, message);
        }
        Ok(true)
    }
}
