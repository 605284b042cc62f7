//! Group commit for the bridges' reports on replies (`POST /ingest/deliveries`): one writer
//! per node takes every report waiting (up to [`MAX_BATCH`]) and stores them with one
//! statement, so a burst of reports shares one commit and one WAL flush. Under the `target`
//! load, reports stored one per transaction took a quarter of PostgreSQL's busy time, most
//! of it waiting for their own flush.
//!
//! Each caller is answered once its batch committed: the bridge is told its report is
//! stored, so the commit stays synchronous. Reports on one reply in one batch are stored as
//! the last of them says, and each of their callers gets the reply as stored. A batch that
//! fails is stored again one report per statement, so one bad row costs only its own caller.

use super::super::failure::Failure;
use super::Announced;
use crate::domain::delivery::DeliveryStatus;
use crate::domain::ids::{AccountId, MessageId};
use crate::metrics::Metrics;
use crate::store::held::HeldConnection;
use crate::store::outbound::{self, ReceiptRow};
use crate::store::PROBING_SESSION;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most reports one statement stores.
const MAX_BATCH: usize = 256;
/// Reports waiting beyond this are refused at once (503, `Retry-After`).
const QUEUE: usize = 4096;

/// A bridge's report, owned, as it waits in the queue.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub account_id: AccountId,
    pub message_id: MessageId,
    pub status: DeliveryStatus,
    pub error: Option<String>,
}

impl Receipt {
    fn row(&self) -> ReceiptRow<'_> {
        ReceiptRow {
            account_id: self.account_id,
            message_id: self.message_id,
            status: self.status,
            error: self.error.as_deref(),
        }
    }

    fn key(&self) -> (AccountId, MessageId) {
        (self.account_id, self.message_id)
    }
}

/// The writer's queue is full: PostgreSQL is not keeping up with the reports.
#[derive(Debug, thiserror::Error)]
#[error("delivery reports arrive faster than they are stored; send the report again shortly")]
struct Busy;

type Answer = oneshot::Sender<Result<Option<Announced>, Failure>>;

struct Job {
    receipt: Receipt,
    answer: Answer,
}

/// A handle on the node's report writer.
#[derive(Clone)]
pub struct Receipts {
    queue: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
}

impl Receipts {
    /// Starts the writer.
    pub fn start(pool: PgPool, metrics: Arc<Metrics>) -> Receipts {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let line = HeldConnection::with_session(pool, PROBING_SESSION);
        tokio::spawn(run(jobs, line, metrics.clone()));
        Receipts { queue, metrics }
    }

    /// Stores `receipt` with whatever else is waiting; `None` when its account has no such
    /// outbound message. Answers once its batch committed.
    pub async fn store(&self, receipt: Receipt) -> Result<Option<Announced>, Failure> {
        let (answer, stored) = oneshot::channel();
        self.queue
            .try_send(Job { receipt, answer })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => Failure::Unavailable(Box::new(Busy)),
                mpsc::error::TrySendError::Closed(_) => sqlx::Error::PoolClosed.into(),
            })?;
        self.metrics.receipt_queued();
        stored
            .await
            .map_err(|_| Failure::from(sqlx::Error::PoolClosed))?
    }
}

async fn run(mut jobs: mpsc::Receiver<Job>, mut line: HeldConnection, metrics: Arc<Metrics>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        metrics.receipt_batch(batch.len());
        store_batch(&mut line, &mut batch).await;
    }
}

/// Stores `batch` in one statement (one by one when that fails) and answers every caller.
async fn store_batch(line: &mut HeldConnection, batch: &mut Vec<Job>) {
    // The last report on each reply is the one stored.
    let last: HashMap<(AccountId, MessageId), usize> = batch
        .iter()
        .enumerate()
        .map(|(i, job)| (job.receipt.key(), i))
        .collect();
    let rows: Vec<ReceiptRow<'_>> = last.values().map(|&i| batch[i].receipt.row()).collect();
    let stored = match line.get().await {
        Ok(conn) => outbound::report_deliveries(conn, &rows).await,
        Err(e) => Err(e),
    };
    match stored {
        Ok(stored) => {
            let mut by_key: HashMap<(AccountId, MessageId), Announced> = stored
                .into_iter()
                .map(|(account_id, message, ticket, to)| {
                    ((account_id, message.id), (message, ticket, to))
                })
                .collect();
            for (i, job) in batch.drain(..).enumerate() {
                let key = job.receipt.key();
                // The last caller of a reply takes its row, the ones before it a copy.
                let reported = if last.get(&key) == Some(&i) {
                    by_key.remove(&key)
                } else {
                    by_key.get(&key).cloned()
                };
                let _ = job.answer.send(Ok(reported));
            }
        }
        Err(e) => {
            line.failed(&e);
            tracing::debug!(error = %e, reports = batch.len(), "a batch of delivery reports failed; storing them one by one");
            for job in batch.drain(..) {
                let alone = match line.get().await {
                    Ok(conn) => outbound::report_deliveries(conn, &[job.receipt.row()]).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = &alone {
                    line.failed(e);
                }
                let _ = job.answer.send(
                    alone
                        .map(|rows| rows.into_iter().next().map(|(_, m, t, to)| (m, t, to)))
                        .map_err(Failure::from),
                );
            }
        }
    }
}
