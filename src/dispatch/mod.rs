//! One dispatcher actor per account (SPEC §2). It owns the account's live intake state (the
//! `domain::dispatch::Board`), asks it what to do on each event, commits every decision to
//! PostgreSQL (ticket rows and events, batched into one transaction while a commit is in
//! flight), and only then pushes frames to the sessions.
//!
//! Dispatchers start on first use and rebuild their state from the database, so a restarted
//! server continues exactly where the database says. A dispatcher that panics is restarted
//! by its supervisor and rebuilds the same way.
//!
//! With several nodes, exactly one runs each account's dispatcher: the node holding the
//! account's lease (`store::leases`), taken first-come by the first node that needs it and
//! over by any node once it lapses. Every other node forwards what it would have told that
//! dispatcher through PostgreSQL ([`remote`]); [`keeper`] renews, takes over and listens.

mod actor;
mod keeper;
pub mod messages;
mod persist;
mod rebuild;
mod rechecks;
pub mod remote;

pub use actor::Dispatcher;

use crate::domain::ids::{AccountId, TicketId, UserId};
use crate::metrics::Metrics;
use crate::presence::PresenceStore;
use crate::session::hub::Hub;
use crate::store::leases::{self, Held};
use actix::prelude::*;
use futures_util::future::BoxFuture;
use messages::{AssignTicket, ClaimTicket, DispatchRefusal, OffersFor};
use remote::{Answer, Ask, Event, Forwarded};
use serde_json::value::RawValue;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long a node waits for another node's dispatcher to answer an ask.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a dispatcher gets the wallboard it pushes to managers (the application computes
/// it; the dispatcher only decides when).
pub trait WallboardSource: Send + Sync + 'static {
    /// The account's wallboard now, serialised.
    fn serialised(
        &self,
        account_id: AccountId,
    ) -> BoxFuture<'static, Result<Arc<RawValue>, String>>;
}

/// Who this node is among the deployment's nodes, and how long its leases last.
#[derive(Debug, Clone)]
pub struct NodeLeases {
    /// `SWITCHBOARD_NODE_ID`: unique among live nodes, and the same after a restart (a
    /// restarted node takes its own leases back at once).
    pub node: Arc<str>,
    /// A lease lapses this long after its last renewal; it is renewed at half of it.
    pub ttl: Duration,
}

/// What every dispatcher of a node shares.
#[derive(Clone)]
pub(crate) struct Shared {
    /// The dispatchers' own pool, used only on their thread, so its connections are opened
    /// and driven there (see `store::pool_like`).
    pub pool: PgPool,
    /// The dispatchers' pool for statements that are each their own transaction (`persist`:
    /// the assignments from the queue, the frames' read-backs): every connection's session is
    /// `store::UNFLUSHED_PROBING_SESSION`, so nothing else is sent on it.
    pub probing: PgPool,
    pub hub: Arc<Hub>,
    pub presence: Arc<dyn PresenceStore>,
    pub wallboards: Arc<dyn WallboardSource>,
    pub metrics: Arc<Metrics>,
    pub node: Arc<str>,
    /// Where a dispatcher that found its lease gone at commit says so.
    pub lost: mpsc::UnboundedSender<Held>,
}

/// Where an account's dispatcher runs, as this node knows it.
enum Owner {
    /// Here, under this lease.
    Here {
        dispatcher: Addr<Dispatcher>,
        held: Held,
    },
    /// Another node held the lease when this node last asked; events go through PostgreSQL.
    Elsewhere,
}

/// The dispatchers of this node, by account, and the way to the others'.
pub struct Dispatchers {
    shared: Shared,
    /// The node's pool, for the leases and the notifications between nodes (off the
    /// dispatchers' thread).
    pool: PgPool,
    leases: NodeLeases,
    /// One thread hosts every dispatcher of the node: decisions take microseconds, and the
    /// database work they wait on is asynchronous.
    arbiter: Arbiter,
    owners: Mutex<HashMap<AccountId, Owner>>,
    /// Finding out who owns an account (and taking its lease) happens one at a time, so the
    /// node never takes one lease twice.
    resolving: tokio::sync::Mutex<()>,
    /// Events for dispatchers elsewhere (or not yet known), in the order they were told.
    forwarding: mpsc::UnboundedSender<(AccountId, Event)>,
    /// Asks sent to other nodes, waiting for their answers.
    asks: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    next_ask: AtomicU64,
    keeper: Mutex<Option<keeper::Running>>,
}

impl Dispatchers {
    /// The node's dispatcher host; starts renewing, taking over and listening at once.
    pub fn start(
        pool: PgPool,
        hub: Arc<Hub>,
        presence: Arc<dyn PresenceStore>,
        wallboards: Arc<dyn WallboardSource>,
        leases: NodeLeases,
    ) -> Arc<Dispatchers> {
        let (lost, lost_rx) = mpsc::unbounded_channel();
        let (forwarding, forward_rx) = mpsc::unbounded_channel();
        let dispatchers = Arc::new(Dispatchers {
            shared: Shared {
                pool: crate::store::pool_like(&pool),
                probing: crate::store::pool_with_session(
                    &pool,
                    crate::store::UNFLUSHED_PROBING_SESSION,
                ),
                metrics: hub.metrics().clone(),
                hub,
                presence,
                wallboards,
                node: leases.node.clone(),
                lost,
            },
            pool,
            leases,
            arbiter: Arbiter::new(),
            owners: Mutex::new(HashMap::new()),
            resolving: tokio::sync::Mutex::new(()),
            forwarding,
            asks: Mutex::new(HashMap::new()),
            next_ask: AtomicU64::new(1),
            keeper: Mutex::new(None),
        });
        let running = keeper::start(&dispatchers, lost_rx, forward_rx);
        *lock(&dispatchers.keeper) = Some(running);
        dispatchers
    }

    /// The dispatchers' own pools (for counting their connections; used only on their thread).
    pub fn actors_pools(&self) -> [PgPool; 2] {
        [self.shared.pool.clone(), self.shared.probing.clone()]
    }

    /// This node's id.
    pub fn node(&self) -> &str {
        &self.leases.node
    }

    /// How many accounts' dispatchers run on this node.
    pub fn running(&self) -> usize {
        here_count(&lock(&self.owners))
    }

    /// Tells the account's dispatcher, wherever it runs; never waits. Events for one account
    /// reach it in the order this node told them.
    pub fn tell(&self, account_id: AccountId, event: impl Into<Event>) {
        let event = event.into();
        match self.here(account_id) {
            Some(dispatcher) => event.deliver(&dispatcher),
            None => {
                let _ = self.forwarding.send((account_id, event));
            }
        }
    }

    /// A manager's assignment, answered once committed (or refused).
    pub async fn assign(
        &self,
        account_id: AccountId,
        m: AssignTicket,
    ) -> Result<(), DispatchRefusal> {
        done(self.ask(account_id, Ask::Assign(m)).await)
    }

    /// An agent's claim of an offered ticket, answered once committed (or refused).
    pub async fn claim(
        &self,
        account_id: AccountId,
        m: ClaimTicket,
    ) -> Result<(), DispatchRefusal> {
        done(self.ask(account_id, Ask::Claim(m)).await)
    }

    /// The tickets offered to an agent now (none when the dispatcher cannot be asked).
    pub async fn offers_for(&self, account_id: AccountId, agent_id: UserId) -> Vec<TicketId> {
        match self
            .ask(account_id, Ask::OffersFor(OffersFor { agent_id }))
            .await
        {
            Ok(Answer::Offers(offers)) => offers,
            _ => Vec::new(),
        }
    }

    async fn ask(&self, account_id: AccountId, ask: Ask) -> Result<Answer, DispatchRefusal> {
        if let Some(dispatcher) = self.resolve(account_id).await? {
            return Ok(ask.put_to(&dispatcher).await);
        }
        let id = self.next_ask.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        lock(&self.asks).insert(id, answer);
        let forwarded = Forwarded::Ask {
            ask,
            from: self.leases.node.to_string(),
            id,
        };
        let sent = match forwarded.payload(account_id) {
            Ok(payload) => leases::notify(&self.pool, remote::EVENTS, &[payload])
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let outcome = match sent {
            Ok(()) => tokio::time::timeout(ASK_TIMEOUT, answered)
                .await
                .ok()
                .and_then(Result::ok)
                .ok_or(DispatchRefusal::Unavailable),
            Err(e) => {
                tracing::warn!(%account_id, error = %e, "could not ask another node's dispatcher");
                Err(DispatchRefusal::Unavailable)
            }
        };
        lock(&self.asks).remove(&id);
        outcome
    }

    /// Makes sure this node knows where each account's dispatcher runs, taking the leases
    /// nobody holds: the ingest writer calls it before a batch, so that the batch's events
    /// for other nodes go out with its commit ([`Dispatchers::forward_in`]).
    pub async fn resolve_all(&self, accounts: impl IntoIterator<Item = AccountId>) {
        for account_id in accounts {
            if !lock(&self.owners).contains_key(&account_id) {
                let _ = self.resolve(account_id).await;
            }
        }
    }

    /// Sends, inside the caller's transaction, the events whose dispatcher runs on another
    /// node (delivered if and only if it commits); answers the rest, to [`Dispatchers::tell`]
    /// once it has committed.
    pub async fn forward_in(
        &self,
        conn: &mut PgConnection,
        events: Vec<(AccountId, Event)>,
    ) -> Result<Vec<(AccountId, Event)>, sqlx::Error> {
        let mut payloads = Vec::new();
        let mut rest = Vec::new();
        {
            let owners = lock(&self.owners);
            for (account_id, event) in events {
                match owners.get(&account_id) {
                    Some(Owner::Elsewhere) => {
                        match Forwarded::Event(event.clone()).payload(account_id) {
                            Ok(p) => payloads.push(p),
                            Err(_) => rest.push((account_id, event)),
                        }
                    }
                    _ => rest.push((account_id, event)),
                }
            }
        }
        leases::notify(conn, remote::EVENTS, &payloads).await?;
        Ok(rest)
    }

    /// The account's dispatcher when it runs here.
    fn here(&self, account_id: AccountId) -> Option<Addr<Dispatcher>> {
        self.known(account_id).flatten()
    }

    /// The account's dispatcher when it runs (or now starts) here; `None` when another node
    /// holds the lease.
    async fn resolve(
        &self,
        account_id: AccountId,
    ) -> Result<Option<Addr<Dispatcher>>, DispatchRefusal> {
        if let Some(known) = self.known(account_id) {
            return Ok(known);
        }
        let _one_at_a_time = self.resolving.lock().await;
        if let Some(known) = self.known(account_id) {
            return Ok(known);
        }
        let taken = leases::acquire(&self.pool, account_id, &self.leases.node, self.leases.ttl)
            .await
            .map_err(|e| {
                tracing::warn!(%account_id, error = %e, "could not read the account's dispatcher lease");
                DispatchRefusal::Unavailable
            })?;
        Ok(match taken {
            Some(held) => Some(self.run_here(held)),
            None => {
                lock(&self.owners).insert(account_id, Owner::Elsewhere);
                None
            }
        })
    }

    fn known(&self, account_id: AccountId) -> Option<Option<Addr<Dispatcher>>> {
        lock(&self.owners)
            .get(&account_id)
            .map(|owner| match owner {
                Owner::Here { dispatcher, .. } => Some(dispatcher.clone()),
                Owner::Elsewhere => None,
            })
    }

    /// Starts the account's dispatcher here under `held` (it rebuilds from the database),
    /// replacing one that ran under an older lease.
    fn run_here(&self, held: Held) -> Addr<Dispatcher> {
        let shared = self.shared.clone();
        let dispatcher = Supervisor::start_in_arbiter(&self.arbiter.handle(), move |_| {
            Dispatcher::new(held, shared)
        });
        let mut owners = lock(&self.owners);
        let replaced = owners.insert(
            held.account_id,
            Owner::Here {
                dispatcher: dispatcher.clone(),
                held,
            },
        );
        if let Some(Owner::Here { dispatcher, .. }) = replaced {
            dispatcher.do_send(messages::Retire);
        }
        self.shared.metrics.leases_held(here_count(&owners));
        dispatcher
    }

    /// Forgets the account's dispatcher here when it still runs under `held` (that lease
    /// went to another node or lapsed); its actor commits nothing more and stops.
    fn lost(&self, held: Held) {
        let mut owners = lock(&self.owners);
        let current =
            matches!(owners.get(&held.account_id), Some(Owner::Here { held: h, .. }) if *h == held);
        if !current {
            return;
        }
        if let Some(Owner::Here { dispatcher, .. }) =
            owners.insert(held.account_id, Owner::Elsewhere)
        {
            dispatcher.do_send(messages::Retire);
            tracing::warn!(account_id = %held.account_id, epoch = held.epoch, "lost the account's dispatcher lease");
        }
        self.shared.metrics.leases_held(here_count(&owners));
    }

    /// This node's dispatchers, each with its lease.
    fn running_here(&self) -> Vec<(Addr<Dispatcher>, Held)> {
        lock(&self.owners)
            .values()
            .filter_map(|o| match o {
                Owner::Here { dispatcher, held } => Some((dispatcher.clone(), *held)),
                Owner::Elsewhere => None,
            })
            .collect()
    }

    /// The leases this node holds.
    fn held(&self) -> Vec<Held> {
        self.running_here()
            .into_iter()
            .map(|(_, held)| held)
            .collect()
    }

    /// Waits until every dispatcher of this node has committed what it decided (shutdown).
    pub async fn drain(&self) {
        let running = self.running_here();
        futures_util::future::join_all(running.iter().map(|(d, _)| d.send(messages::Drain))).await;
    }

    /// Stops renewing and taking leases, lets go of this node's, and tells the other nodes
    /// to take them over now (a graceful stop, after [`Dispatchers::drain`]).
    pub async fn release(&self) {
        if let Some(running) = lock(&self.keeper).take() {
            running.stop();
        }
        let held = self.held();
        let released = async {
            leases::release(&self.pool, &self.leases.node, &held).await?;
            leases::notify(
                &self.pool,
                remote::RELEASED,
                &[self.leases.node.to_string()],
            )
            .await
        };
        match released.await {
            Ok(()) => tracing::info!(leases = held.len(), "released the dispatcher leases"),
            Err(e) => {
                tracing::warn!(error = %e, "could not release the dispatcher leases; they lapse on their own")
            }
        }
    }
}

fn done(answer: Result<Answer, DispatchRefusal>) -> Result<(), DispatchRefusal> {
    match answer? {
        Answer::Done(done) => done,
        Answer::Offers(_) => Err(DispatchRefusal::Unavailable),
    }
}

fn here_count(owners: &HashMap<AccountId, Owner>) -> usize {
    owners
        .values()
        .filter(|o| matches!(o, Owner::Here { .. }))
        .count()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for Dispatchers {
    fn drop(&mut self) {
        if let Some(running) = lock(&self.keeper).take() {
            running.stop();
        }
        self.arbiter.stop();
    }
}
