//! Group commit: one writer per node takes every guest message waiting (up to
//! [`MAX_BATCH`]) and stores them in one transaction, so a burst costs a few statements
//! instead of a transaction per message; each caller is answered once its batch committed.
//!
//! Writers per node, not per account: the batch is what saves the round trips, and accounts
//! share it best when a quiet account's message rides along with a busy one's. While a batch
//! commits the next one gathers, so batches grow with the load by themselves; nothing waits
//! on a timer. A node has one writer per [`CONNECTIONS_PER_WRITER`] connections of its pool
//! (one for the default pool of 20 and for the load scenarios' 40). A batch is some twelve
//! round trips and spends nearly all its time waiting for them, not on its rows: two writers
//! under `target` each wrote batches of 1.6 messages on average, so PostgreSQL ran twice the
//! statements for the same messages, on a machine whose cores were already full. A thread's
//! messages always go to the same writer, so they are stored in the order
//! they arrived and a repeat meets its first copy; writers that meet on shared rows (a guest
//! or listing both insert) are contended and write again, as two nodes' writers are.
//!
//! A batch that fails on its data (never on an unreachable database) is split in halves and
//! each half written again, down to single messages, so one bad row costs only its own
//! caller an error; a batch that met another writer's insert of the same keys is written
//! again once, whole.

use crate::dispatch::messages::{TicketChange, TicketChanged, TicketCreated};
use crate::dispatch::remote::Event;
use crate::dispatch::Dispatchers;
use crate::domain::card::TicketTraits;
use crate::domain::ids::AccountId;
use crate::metrics::Metrics;
use crate::store::held::HeldConnection;
use crate::store::ingest_batch::{self, BatchError, Item, Outcome, Written};
use crate::store::writer_thread::WriterThread;
use crate::store::PROBING_SESSION;
use futures_util::FutureExt;
use sqlx::{Connection, PgPool};
use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most messages one transaction stores.
pub const MAX_BATCH: usize = 256;
/// Pool connections per ingest writer, and the most writers a node runs.
pub const CONNECTIONS_PER_WRITER: usize = 40;
const MAX_WRITERS: usize = 4;

/// Why the writer did not store a message.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// Its queue is full: the database is not keeping up. Answered at once.
    #[error("ingest is busy; send the message again shortly")]
    Busy,
    /// The writer is gone (the node is stopping).
    #[error("ingest is stopping")]
    Stopped,
    /// Another node stored the same rows at the same moment, twice in a row.
    #[error("the message met a concurrent delivery of the same rows; send it again")]
    Contended,
    /// Its batch, or its own row once split off, did not commit.
    #[error(transparent)]
    Database(Arc<sqlx::Error>),
}

struct Job {
    item: Item,
    answer: oneshot::Sender<Result<Outcome, WriteError>>,
}

/// A handle on the node's ingest writer.
#[derive(Clone)]
pub struct Writer {
    queues: Arc<[mpsc::Sender<Job>]>,
    metrics: Arc<Metrics>,
}

impl Writer {
    /// Starts the writers with room for `capacity` waiting messages in all.
    pub fn start(
        thread: &WriterThread,
        dispatchers: Arc<Dispatchers>,
        metrics: Arc<Metrics>,
        capacity: usize,
    ) -> Writer {
        let connections = thread.pool().options().get_max_connections() as usize;
        let writers = (connections / CONNECTIONS_PER_WRITER).clamp(1, MAX_WRITERS);
        let queues = (0..writers)
            .map(|_| {
                let (queue, jobs) = mpsc::channel((capacity / writers).max(1));
                thread.spawn(run(
                    jobs,
                    thread.pool().clone(),
                    dispatchers.clone(),
                    metrics.clone(),
                ));
                queue
            })
            .collect();
        Writer { queues, metrics }
    }

    /// Stores `item` with whatever else is waiting for its writer; answers once that batch
    /// committed.
    pub async fn write(&self, item: Item) -> Result<Outcome, WriteError> {
        let (answer, outcome) = oneshot::channel();
        self.queues[self.writer_of(&item)]
            .try_send(Job { item, answer })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => WriteError::Busy,
                mpsc::error::TrySendError::Closed(_) => WriteError::Stopped,
            })?;
        self.metrics.ingest_queued();
        outcome.await.map_err(|_| WriteError::Stopped)?
    }

    /// The writer of `item`'s thread.
    fn writer_of(&self, item: &Item) -> usize {
        let mut thread = DefaultHasher::new();
        (
            item.account_id,
            &item.message.channel,
            &item.message.thread_external_id,
        )
            .hash(&mut thread);
        (thread.finish() % self.queues.len() as u64) as usize
    }
}

async fn run(
    mut jobs: mpsc::Receiver<Job>,
    pool: PgPool,
    dispatchers: Arc<Dispatchers>,
    metrics: Arc<Metrics>,
) {
    let mut line = HeldConnection::with_session(pool, PROBING_SESSION);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        metrics.ingest_batch(batch.len());
        let writing = write_batch(&mut line, &dispatchers, std::mem::take(&mut batch));
        // A bug in one batch must not stop ingest for good: its callers (whose answers are
        // dropped with it) get 503, its transaction rolls back, and the next batch goes on.
        if AssertUnwindSafe(writing).catch_unwind().await.is_err() {
            tracing::error!(
                "writing a batch of guest messages panicked; its callers were answered 503"
            );
            line.forget();
        }
    }
}

/// Stores `items` in one transaction on the writer's own connection; the transaction also
/// carries the events for dispatchers on other nodes. Answers what was written and the events
/// for this node's dispatchers.
async fn commit(
    line: &mut HeldConnection,
    items: &[Item],
    dispatchers: &Dispatchers,
) -> Result<(Written, Vec<(AccountId, Event)>), BatchError> {
    let conn = line.get().await?;
    let outcome = async {
        let mut tx = conn.begin().await?;
        let written = ingest_batch::write(&mut tx, items).await?;
        let here = dispatchers
            .forward_in(&mut tx, dispatch_events(items, &written))
            .await?;
        tx.commit().await?;
        Ok((written, here))
    }
    .await;
    if let Err(BatchError::Database(e)) = &outcome {
        line.failed(e);
    }
    outcome
}

/// A part of a batch being written: its items, the callers waiting for them (in the same
/// order), and whether a contended write may be repeated whole.
struct Part {
    items: Vec<Item>,
    answers: Vec<oneshot::Sender<Result<Outcome, WriteError>>>,
    may_repeat: bool,
}

impl Part {
    /// Splits off the second half.
    fn halve(&mut self) -> Part {
        let at = self.items.len() / 2;
        Part {
            items: self.items.split_off(at),
            answers: self.answers.split_off(at),
            may_repeat: true,
        }
    }
}

/// Writes `batch`, splitting it on failure (see the module docs), and answers every caller.
async fn write_batch(line: &mut HeldConnection, dispatchers: &Dispatchers, batch: Vec<Job>) {
    let (items, answers): (Vec<Item>, _) = batch.into_iter().map(|j| (j.item, j.answer)).unzip();
    let accounts: BTreeSet<AccountId> = items.iter().map(|i| i.account_id).collect();
    dispatchers.resolve_all(accounts).await;
    let mut pending = vec![Part {
        items,
        answers,
        may_repeat: true,
    }];
    while let Some(mut part) = pending.pop() {
        match commit(line, &part.items, dispatchers).await {
            Ok((written, here)) => {
                for (account_id, event) in here {
                    dispatchers.tell(account_id, event);
                }
                for (answer, outcome) in part.answers.into_iter().zip(written.outcomes) {
                    let _ = answer.send(Ok(outcome));
                }
            }
            Err(BatchError::Contended) if part.may_repeat => {
                part.may_repeat = false;
                pending.push(part);
            }
            Err(e) if part.items.len() > 1 && splits(&e) => {
                let second = part.halve();
                part.may_repeat = true;
                pending.push(second);
                pending.push(part);
            }
            Err(e) => {
                tracing::warn!(error = %e, messages = part.items.len(), "a batch of guest messages was not stored");
                let failed = match e {
                    BatchError::Database(e) => WriteError::Database(Arc::new(e)),
                    BatchError::Contended => WriteError::Contended,
                };
                for answer in part.answers {
                    let _ = answer.send(Err(failed.clone()));
                }
            }
        }
    }
}

/// Whether halving a failed batch can help: a row's own fault can, an unreachable or
/// overloaded database cannot.
fn splits(e: &BatchError) -> bool {
    match e {
        BatchError::Contended => true,
        BatchError::Database(e) => matches!(e, sqlx::Error::Database(_)),
    }
}

/// What each account's dispatcher must hear of a written batch: the tickets it opened and
/// the messages that reached tickets already open, in the order they arrived.
fn dispatch_events(items: &[Item], written: &Written) -> Vec<(AccountId, Event)> {
    let opened = written.opened.iter().map(|opened| {
        let item = &items[opened.item];
        let created = TicketCreated {
            ticket_id: opened.ticket_id,
            traits: TicketTraits {
                stage: item.stage,
                channel: item.message.channel.clone(),
                language: item.message.guest.language.clone(),
                listing_group: opened.listing_group.clone(),
                entry_point: item.message.entry_point.clone(),
                group: opened.group,
            },
            created_at: opened.created_at,
            previous_agent: opened.previous_agent,
        };
        (opened.account_id, Event::from(created))
    });
    let arrived = written.arrived.iter().map(|arrived| {
        let changed = TicketChanged {
            ticket_id: arrived.ticket_id,
            change: TicketChange::MessageArrived {
                message_id: arrived.message_id,
            },
            known: None,
        };
        (arrived.account_id, Event::from(changed))
    });
    opened.chain(arrived).collect()
}
