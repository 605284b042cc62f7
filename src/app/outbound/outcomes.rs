//! Group commit for the delivery worker's outcomes: one writer per node takes every outcome
//! waiting (up to [`MAX_BATCH`]) and writes them with one statement, its own transaction (the
//! writer's connection carries the statement's settings in its session).
//! Under the `target` load an outcome written on its own (a pool checkout, `BEGIN`, the
//! statement, `COMMIT`) was a fifth of PostgreSQL's busy time, more than any statement but
//! the agents' actions.
//!
//! The worker's slot waits for its outcome as before (it announces the reply's new status
//! once written). Two outcomes on one message never share a statement: the second waits for
//! the next one. A batch that fails is written again one outcome per transaction, so one bad
//! row costs only its own delivery (which is sent again when its lease ends).

use super::Announced;
use crate::domain::delivery::Step;
use crate::domain::ids::{DeliveryId, MessageId};
use crate::metrics::Metrics;
use crate::store::held::HeldConnection;
use crate::store::outbound::{self, AttemptRow, DueDelivery};
use crate::store::UNFLUSHED_PROBING_SESSION;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most outcomes one statement writes.
const MAX_BATCH: usize = 256;
/// Outcomes waiting beyond this hold their slots back until there is room.
const QUEUE: usize = 1024;

/// An attempt's outcome, as it waits in the queue.
pub struct Outcome {
    pub delivery_id: DeliveryId,
    pub message_id: MessageId,
    pub leased_until: chrono::DateTime<chrono::Utc>,
    pub step: Step,
    pub status_code: Option<u16>,
}

impl Outcome {
    /// The outcome of an attempt at `due`.
    pub fn of(due: &DueDelivery, step: Step, status_code: Option<u16>) -> Outcome {
        Outcome {
            delivery_id: due.id,
            message_id: due.message_id,
            leased_until: due.leased_until,
            step,
            status_code,
        }
    }

    fn row(&self) -> AttemptRow<'_> {
        AttemptRow {
            delivery_id: self.delivery_id,
            leased_until: self.leased_until,
            step: &self.step,
            status_code: self.status_code,
        }
    }
}

type Answer = oneshot::Sender<Result<Option<Announced>, sqlx::Error>>;

struct Job {
    outcome: Outcome,
    answer: Answer,
}

/// A handle on the node's outcome writer.
#[derive(Clone)]
pub struct Outcomes {
    queue: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
}

impl Outcomes {
    /// Starts the writer.
    pub fn start(pool: PgPool, metrics: Arc<Metrics>) -> Outcomes {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let line = HeldConnection::with_session(pool, UNFLUSHED_PROBING_SESSION);
        tokio::spawn(run(jobs, line, metrics.clone()));
        Outcomes { queue, metrics }
    }

    /// Writes `outcome` with whatever else is waiting; `None` when the claim's lease ran out
    /// (the delivery was claimed again) and nothing was written.
    pub async fn record(&self, outcome: Outcome) -> Result<Option<Announced>, sqlx::Error> {
        let (answer, written) = oneshot::channel();
        self.queue
            .send(Job { outcome, answer })
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        self.metrics.outcome_queued();
        written.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run(mut jobs: mpsc::Receiver<Job>, mut line: HeldConnection, metrics: Arc<Metrics>) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while !waiting.is_empty() || jobs.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let mut batch = one_per_message(&mut waiting);
        metrics.outcome_batch(batch.len());
        write_batch(&mut line, &mut batch).await;
    }
}

/// Takes from `waiting` the first outcome of each message; the others stay for the next
/// batch.
fn one_per_message(waiting: &mut Vec<Job>) -> Vec<Job> {
    let mut seen = HashSet::new();
    let (batch, later): (Vec<Job>, Vec<Job>) = waiting
        .drain(..)
        .partition(|job| seen.insert(job.outcome.message_id));
    *waiting = later;
    batch
}

/// Writes `batch` in one statement (one by one when that fails) and answers every caller.
async fn write_batch(line: &mut HeldConnection, batch: &mut Vec<Job>) {
    let rows: Vec<AttemptRow<'_>> = batch.iter().map(|job| job.outcome.row()).collect();
    let written = match line.get().await {
        Ok(conn) => outbound::record_attempts(conn, &rows).await,
        Err(e) => Err(e),
    };
    drop(rows);
    match written {
        Ok(written) => {
            let mut by_delivery: HashMap<DeliveryId, Announced> = written
                .into_iter()
                .map(|(delivery, message, ticket, to)| (delivery, (message, ticket, to)))
                .collect();
            for job in batch.drain(..) {
                let _ = job
                    .answer
                    .send(Ok(by_delivery.remove(&job.outcome.delivery_id)));
            }
        }
        Err(e) => {
            line.failed(&e);
            tracing::debug!(error = %e, outcomes = batch.len(), "a batch of delivery outcomes failed; writing them one by one");
            for job in batch.drain(..) {
                let alone = match line.get().await {
                    Ok(conn) => outbound::record_attempts(conn, &[job.outcome.row()]).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = &alone {
                    line.failed(e);
                }
                let _ = job.answer.send(
                    alone.map(|rows| rows.into_iter().next().map(|(_, m, t, to)| (m, t, to))),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn job(delivery: i64, message: i64) -> Job {
        let (answer, _) = oneshot::channel();
        Job {
            outcome: Outcome {
                delivery_id: DeliveryId(delivery),
                message_id: MessageId(message),
                leased_until: Utc::now(),
                step: Step::Sent,
                status_code: Some(200),
            },
            answer,
        }
    }

    fn ids(jobs: &[Job]) -> Vec<i64> {
        jobs.iter().map(|j| j.outcome.delivery_id.0).collect()
    }

    #[test]
    fn a_message_has_one_outcome_per_batch() {
        let mut waiting = vec![job(1, 30), job(2, 10), job(3, 30), job(4, 20), job(5, 30)];
        let batch = one_per_message(&mut waiting);
        assert_eq!(ids(&batch), vec![1, 2, 4]);
        assert_eq!(ids(&waiting), vec![3, 5]);
        let batch = one_per_message(&mut waiting);
        assert_eq!(ids(&batch), vec![3]);
        assert_eq!(ids(&waiting), vec![5]);
    }
}
