//! Group commit for agents' and managers' ticket actions (open, reply, pending, done): a few
//! writers per node each take every action waiting (up to [`MAX_BATCH`]) and apply them in one
//! transaction with one statement ([`ticket_actions::act_all`]), so a burst of actions shares
//! one round trip, one executor start and one commit (one WAL flush), instead of paying one
//! each. Under the `target` load, actions committed one by one spent most of their time
//! queueing for the WAL writer, and those applied one statement each in their batch most of
//! theirs on the statements' fixed costs.
//!
//! Each caller is answered once its batch committed, with what the statement returned for its
//! action. A quiet node gives each action a batch of its own, as before; batches grow with the
//! load by themselves, while the other writers are busy.
//!
//! A batch holds the locks of the tickets it acted on until it commits, so it must never be
//! the one to wait in a deadlock with the dispatcher (whose failed commit rebuilds its board):
//! it waits at most 200 ms for a ticket (`lock_timeout`), well under PostgreSQL's deadlock
//! check, and a batch that fails for any reason is applied again one action per transaction,
//! which holds one lock at a time, as before.
//!
//! A writer's connection carries those settings in its session
//! ([`ticket_actions::WRITER_SESSION`]), so a batch that is one statement (nearly all are) is
//! sent as its own transaction, without `BEGIN` and `COMMIT`: one round trip, and its tickets'
//! locks let go as soon as it is done.

use crate::domain::ids::{AccountId, TicketId, UserId};
use crate::domain::ticket::TicketState;
use crate::metrics::Metrics;
use crate::store::held::HeldConnection;
use crate::store::ticket_actions::{self, Acted, ActionSql};
use crate::store::writer_thread::WriterThread;
use crate::store::BEGIN_PROBING;
use sqlx::{Connection, PgConnection, PgPool};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// The most actions one transaction applies. A batch holds its tickets' locks until it
/// commits, and the dispatcher's and ingest's statements on those tickets wait that long:
/// under `target`, batches of up to 64 (52 on average) took about 400 ms each.
const MAX_BATCH: usize = 16;
/// Writers per node, each holding a connection of its own, so batches are applied side by
/// side: one per five connections of the pool, at most [`MAX_WRITERS`] (four for the default
/// pool of 20). Each action is its own round trip, so under load the writers' number, not
/// PostgreSQL, bounded how many actions a second went through: with four writers on a pool of
/// 40, `target` kept about 750 actions waiting.
const CONNECTIONS_PER_WRITER: usize = 5;
const MAX_WRITERS: usize = 8;
/// Actions waiting beyond this make their callers wait to be queued.
const QUEUE: usize = 4096;

/// An action, owned, as it waits in the queue.
#[derive(Debug, Clone)]
pub struct Action {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub actor: UserId,
    pub is_manager: bool,
    pub transitions: Vec<(TicketState, TicketState)>,
    pub event: &'static str,
    pub reply: Option<String>,
    pub note: Option<String>,
}

impl Action {
    fn sql(&self) -> ActionSql<'_> {
        ActionSql {
            account_id: self.account_id,
            ticket_id: self.ticket_id,
            actor: self.actor,
            is_manager: self.is_manager,
            transitions: &self.transitions,
            event: self.event,
            reply: self.reply.as_deref(),
            note: self.note.as_deref(),
        }
    }
}

type Answer = oneshot::Sender<Result<Option<Acted>, sqlx::Error>>;

struct Job {
    action: Action,
    answer: Answer,
}

/// A handle on the node's action writers.
#[derive(Clone)]
pub struct ActionWriter {
    queue: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
}

impl ActionWriter {
    /// Starts the writers.
    pub fn start(thread: &WriterThread, metrics: Arc<Metrics>) -> ActionWriter {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let jobs = Arc::new(Mutex::new(jobs));
        let connections = thread.pool().options().get_max_connections() as usize;
        let writers = (connections / CONNECTIONS_PER_WRITER).clamp(1, MAX_WRITERS);
        for _ in 0..writers {
            thread.spawn(write(thread.pool().clone(), jobs.clone(), metrics.clone()));
        }
        ActionWriter { queue, metrics }
    }

    /// Applies `action` with whatever else is waiting; `None` when the account has no such
    /// ticket. Answers once its batch committed; writers that are gone (the node is stopping)
    /// answer as a closed pool would.
    pub async fn act(&self, action: Action) -> Result<Option<Acted>, sqlx::Error> {
        let (answer, acted) = oneshot::channel();
        self.queue
            .send(Job { action, answer })
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        self.metrics.action_queued();
        acted.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

/// One writer: takes a batch (the queue is shared, one writer gathers at a time) and applies
/// it, until the queue closes.
async fn write(pool: PgPool, jobs: Arc<Mutex<mpsc::Receiver<Job>>>, metrics: Arc<Metrics>) {
    let mut line = HeldConnection::with_session(pool, ticket_actions::WRITER_SESSION);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if jobs.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        metrics.action_batch(batch.len());
        // Tickets are locked in one order by every batch.
        batch.sort_by_key(|job: &Job| job.action.ticket_id);
        let applied = match line.get().await {
            Ok(conn) => apply(conn, &batch).await,
            Err(e) => Err(e),
        };
        match applied {
            Ok(acted) => {
                for (job, acted) in batch.drain(..).zip(acted) {
                    let _ = job.answer.send(Ok(acted));
                }
            }
            Err(e) => {
                line.failed(&e);
                tracing::debug!(error = %e, actions = batch.len(), "a batch of ticket actions failed; applying them one by one");
                for job in batch.drain(..) {
                    let _ = job.answer.send(alone(line.pool(), &job.action).await);
                }
            }
        }
    }
}

/// Applies one action in a transaction of its own.
async fn alone(pool: &PgPool, action: &Action) -> Result<Option<Acted>, sqlx::Error> {
    let mut tx = pool.begin_with(BEGIN_PROBING).await?;
    let acted = ticket_actions::act_all(&mut tx, &[action.sql()])
        .await?
        .pop();
    tx.commit().await?;
    Ok(acted.flatten())
}

/// Applies `batch` atomically on a connection whose session is
/// [`ticket_actions::WRITER_SESSION`]: one statement on its own, more in a transaction.
async fn apply(conn: &mut PgConnection, batch: &[Job]) -> Result<Vec<Option<Acted>>, sqlx::Error> {
    let actions: Vec<ActionSql<'_>> = batch.iter().map(|job| job.action.sql()).collect();
    if ticket_actions::in_one_statement(&actions) {
        // Its own transaction, committed before PostgreSQL answers its last row.
        return ticket_actions::act_all(conn, &actions).await;
    }
    let mut tx = conn.begin().await?;
    let acted = ticket_actions::act_all(&mut tx, &actions).await?;
    tx.commit().await?;
    Ok(acted)
}
