//! The application as one value, built once at start-up: each capability holds only the
//! parts it needs (a pool handle, the dispatchers, presence, the hub), and handlers reach
//! exactly the capability they call.

use super::account_share::AccountShare;
use super::accounts::Accounts;
use super::agents::Agents;
use super::alerts::Alerts;
use super::auth::Auth;
use super::auth::KnownKeys;
use super::calendar::Calendars;
use super::follow_ups::FollowUps;
use super::groups::Groups;
use super::guest_panel::GuestPanels;
use super::health::Health;
use super::inbox::Inbox;
use super::ingest::{writer::Writer, Ingest};
use super::live::Live;
use super::live_counts::LiveCounts;
use super::metrics::Exposition;
use super::notes::Notes;
use super::outbound::Outbound;
use super::recent::KnownAccounts;
use super::reports::Reports;
use super::reviews::Reviews;
use super::revocations::Revocations;
use super::templates::Templates;
use super::tickets::TicketActions;
use super::todos::Todos;
use super::users::Users;
use super::wallboard::Wallboards;
use super::work::WorkState;
use crate::cluster::frames::FrameRelay;
use crate::cluster::{RedisAt, RevocationRelay};
use crate::dispatch::{Dispatchers, NodeLeases};
use crate::domain::delivery::DeliveryPolicy;
use crate::metrics::Metrics;
use crate::presence::PresenceStore;
use crate::security::rate_limit::RateLimits;
use crate::security::session_cache::SessionCache;
use crate::session::hub::{Closing, Hub, RelayQueue};
use crate::session::viewing::Viewing;
use crate::store::writer_thread::WriterThread;
use secrecy::SecretString;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// Every capability of the server.
pub struct Services {
    pub auth: Auth,
    pub ingest: Ingest,
    pub reviews: Reviews,
    pub tickets: TicketActions,
    pub notes: Notes,
    pub todos: Todos,
    pub follow_ups: Arc<FollowUps>,
    pub calendars: Calendars,
    pub guest_panels: GuestPanels,
    pub inbox: Inbox,
    pub work: WorkState,
    pub reports: Reports,
    pub wallboards: Wallboards,
    pub accounts: Accounts,
    pub agents: Agents,
    /// Routing groups.
    pub groups: Groups,
    pub templates: Templates,
    pub health: Health,
    /// The node's operational figures.
    pub metrics: Exposition,
    /// Channel connections, delivery reports, the pull feed, and the delivery worker.
    pub outbound: Outbound,
    /// Alerts for managers, and the node's watcher that raises them.
    pub alerts: Alerts,
    /// What sockets call.
    pub live: Arc<Live>,
    /// Live sessions of this node.
    pub hub: Arc<Hub>,
    /// Who views which ticket (the collision notice), for the sockets of this node.
    pub viewing: Arc<Viewing>,
    dispatchers: Arc<Dispatchers>,
}

/// What the services are made from.
pub struct Parts {
    pub pool: PgPool,
    /// The batch writers' thread and pool (see `store::writer_thread`).
    pub writers: WriterThread,
    pub presence: Arc<dyn PresenceStore>,
    /// How revocations reach the other nodes (`None`: a single node without Redis).
    pub relay: Option<Arc<RevocationRelay>>,
    /// Where live frames meet the other nodes' (`None`: a single node without Redis).
    pub cluster: Option<RedisAt>,
    pub limits: RateLimits,
    pub session_hours: i64,
    /// Who may read the figures (`SWITCHBOARD_METRICS_TOKEN`; anyone when unset).
    pub metrics_token: Option<SecretString>,
    pub delivery: DeliveryPolicy,
    /// Room in the ingest writer's queue.
    pub ingest_queue: usize,
    /// This node's id and its dispatcher leases' TTL.
    pub leases: NodeLeases,
}

impl Services {
    /// Wires the capabilities together and starts the node's dispatcher host; fails only if
    /// the delivery client's TLS cannot start.
    pub fn new(parts: Parts) -> Result<Services, reqwest::Error> {
        let Parts {
            pool,
            writers,
            presence,
            relay,
            cluster,
            limits,
            session_hours,
            metrics_token,
            delivery,
            ingest_queue,
            leases,
        } = parts;
        let metrics = Arc::new(Metrics::new());
        let (notices, heard) = Viewing::notices();
        let (hub, frames) = match cluster {
            Some(at) => {
                let (queue, queued) = RelayQueue::new();
                let overflowed = queue.overflowed.clone();
                let hub = Arc::new(Hub::new(metrics.clone()).relaying(queue).hearing(notices));
                let frames = FrameRelay::start(at, overflowed, queued, Arc::downgrade(&hub));
                (hub, Some(frames))
            }
            None => (Arc::new(Hub::new(metrics.clone()).hearing(notices)), None),
        };
        let viewing = Viewing::start(hub.clone(), heard);
        super::planner_statistics::start(pool.clone());
        let live_counts = LiveCounts::start(pool.clone(), hub.clone());
        let wallboards = Wallboards::new(pool.clone(), presence.clone());
        let dispatchers = Dispatchers::start(
            pool.clone(),
            hub.clone(),
            presence.clone(),
            Arc::new(wallboards.clone()),
            leases,
        );
        let sessions = Arc::new(SessionCache::new(SessionCache::TTL));
        let known_keys = Arc::new(KnownKeys::new(KnownKeys::TTL));
        let known_accounts = Arc::new(KnownAccounts::new(KnownAccounts::TTL));
        let revocations = Revocations::start(pool.clone(), sessions.clone(), hub.clone(), relay);
        let users = Users::new(pool.clone(), presence.clone());
        let work = WorkState::new(
            pool.clone(),
            presence.clone(),
            dispatchers.clone(),
            hub.clone(),
            users.clone(),
            known_accounts.clone(),
        );
        let share = Arc::new(AccountShare::new(pool.options().get_max_connections()));
        let inbox = Inbox::new(
            pool.clone(),
            dispatchers.clone(),
            users.clone(),
            share.clone(),
        );
        let alerts = Alerts::new(pool.clone(), hub.clone(), &delivery)?;
        let outbound = Outbound::new(pool.clone(), hub.clone(), delivery, metrics.clone())?;
        let tickets = TicketActions::new(
            pool.clone(),
            &writers,
            dispatchers.clone(),
            outbound.bell(),
            metrics.clone(),
        );
        let live = Arc::new(Live {
            pool: pool.clone(),
            inbox: inbox.clone(),
            tickets: tickets.clone(),
            work: work.clone(),
            share: share.clone(),
        });
        Ok(Services {
            auth: Auth::new(
                pool.clone(),
                users.clone(),
                work.clone(),
                revocations.clone(),
                Arc::new(limits),
                sessions,
                known_keys.clone(),
                session_hours,
            ),
            ingest: Ingest::new(
                pool.clone(),
                Writer::start(&writers, dispatchers.clone(), metrics.clone(), ingest_queue),
                known_accounts.clone(),
                live_counts.clone(),
            ),
            reviews: Reviews::new(pool.clone()),
            notes: Notes::new(pool.clone(), hub.clone()),
            todos: Todos::new(pool.clone(), hub.clone(), live_counts),
            follow_ups: FollowUps::start(pool.clone(), dispatchers.clone()),
            calendars: Calendars::new(pool.clone()),
            guest_panels: GuestPanels::new(pool.clone()),
            agents: Agents::new(pool.clone(), users, work.clone(), revocations),
            groups: Groups::new(pool.clone(), dispatchers.clone()),
            tickets,
            inbox,
            work,
            reports: Reports::new(pool.clone(), share),
            wallboards,
            accounts: Accounts::new(
                pool.clone(),
                dispatchers.clone(),
                known_accounts,
                known_keys,
            ),
            templates: Templates::new(pool.clone()),
            metrics: Exposition::new(
                metrics,
                pool.clone(),
                std::iter::once(writers.pool().clone())
                    .chain(dispatchers.actors_pools())
                    .collect(),
                presence.clone(),
                metrics_token.as_ref(),
            ),
            health: Health::new(pool, presence, frames, dispatchers.clone()),
            outbound,
            alerts,
            live,
            hub,
            viewing,
            dispatchers,
        })
    }

    /// Closes every socket of this node with a close frame that tells clients to reconnect
    /// at once (they land on a node that is staying).
    pub fn close_sockets(&self) {
        self.hub.close_all(Closing::ShuttingDown);
    }

    /// Lets every dispatcher commit what it has decided, waiting at most `limit`, then lets
    /// go of this node's dispatcher leases so other nodes take its accounts over at once.
    pub async fn drain_dispatchers(&self, limit: Duration) {
        if tokio::time::timeout(limit, self.dispatchers.drain())
            .await
            .is_err()
        {
            tracing::warn!("dispatchers did not finish committing in time; the next start rebuilds from the database");
        }
        self.dispatchers.release().await;
    }
}
