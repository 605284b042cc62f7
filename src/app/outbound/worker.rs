//! The delivery worker of one node: a few slots (the policy's concurrency), each claiming up
//! to [`CLAIM_BATCH`] due deliveries at once with `FOR UPDATE SKIP LOCKED`, leasing them (their
//! next attempt moves past two request time-outs), sending them side by side without holding a
//! database connection, and recording each outcome in one statement. State lives only in
//! PostgreSQL: no other slot or node sends a leased delivery, and one whose node died is sent
//! again when its lease ends. A stop lets each slot finish the attempts it is making (at most
//! the request time-out) and then ends.

use super::{announce, DeliveryBell, Outcome, Outcomes, Sender};
use crate::domain::delivery::{judge, next_step, Answer, DeliveryPolicy, SigningSecret, Step};
use crate::session::hub::Hub;
use crate::store;
use crate::store::held::HeldConnection;
use crate::store::outbound::DueDelivery;
use crate::wire::outbound::{reply_webhook_id, WebhookBody};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;

/// Deliveries one slot claims and sends side by side.
const CLAIM_BATCH: i64 = 16;

/// How much longer than two request time-outs a claim is leased: the time to record the
/// outcome of the slowest attempt, with room for a busy database.
const LEASE_MARGIN: Duration = Duration::from_secs(10);

/// What every slot shares.
pub(super) struct Courier {
    /// The connection the slots claim on, one at a time: a claim is one short statement.
    pub claims: Mutex<HeldConnection>,
    pub hub: Arc<Hub>,
    pub sender: Arc<Sender>,
    pub policy: DeliveryPolicy,
    pub bell: DeliveryBell,
    /// The node's outcome writer.
    pub outcomes: Outcomes,
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

    /// Lets each slot finish its attempts, waiting at most `limit`; an attempt cut short is
    /// sent again by whoever claims it when its lease ends.
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
            match self.deliver_batch().await {
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

    /// Claims up to [`CLAIM_BATCH`] due deliveries, sends them side by side and records each
    /// outcome; false when none is due.
    async fn deliver_batch(&self) -> Result<bool, sqlx::Error> {
        let lease = self.policy.timeout * 2 + LEASE_MARGIN;
        let claimed = {
            let mut line = self.claims.lock().await;
            let claimed = match line.get().await {
                Ok(conn) => store::outbound::claim_due(conn, CLAIM_BATCH, lease).await,
                Err(e) => Err(e),
            };
            if let Err(e) = &claimed {
                line.failed(e);
            }
            claimed?
        };
        if claimed.is_empty() {
            return Ok(false);
        }
        let attempts = claimed.into_iter().map(|due| self.attempt(due));
        futures_util::future::join_all(attempts).await;
        Ok(true)
    }

    /// Sends one claimed delivery and records the outcome. One that cannot be recorded stays
    /// leased and is sent again when its lease ends (same `webhook-id`, so the bridge can
    /// tell).
    async fn attempt(&self, mut due: DueDelivery) {
        let answer = match (due.reply.take(), SigningSecret::parse(&due.secret)) {
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
        match self.outcomes.record(Outcome::of(&due, step, code)).await {
            Ok(Some((message, ticket_id, to))) => {
                announce(&self.hub, due.account_id, ticket_id, &to, message)
            }
            Ok(None) => {
                tracing::info!(delivery_id = %due.id, "the delivery's lease ran out before its outcome was recorded")
            }
            Err(e) => {
                tracing::warn!(delivery_id = %due.id, error = %e, "could not record a delivery's outcome; it is sent again when its lease ends")
            }
        }
    }
}
