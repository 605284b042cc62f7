//! Building and running the application: the same value the binary serves and the tests spawn.

use crate::app::alerts::AlertWatcher;
use crate::app::outbound::DeliveryWorker;
use crate::app::rollups::RollupWorker;
use crate::app::services::{Parts, Services};
use crate::cluster::{RedisAt, RevocationRelay};
use crate::config::Config;
use crate::dispatch::NodeLeases;
use crate::http;
use crate::presence::{MemoryPresence, PresenceStore, RedisPresence};
use crate::security::rate_limit::{RateLimits, RateQuotas};
use crate::store::writer_thread::WriterThread;
use actix_web::dev::Server;
use actix_web::dev::Service as _;
use actix_web::{web, App, HttpServer};
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::net::TcpListener;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::TracingLogger;

/// The migrations of `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a shutdown waits for requests in flight, and then for the dispatchers' commits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Opens a pool to the configured database (lazily: the server starts even while PostgreSQL
/// is down, and `/readyz` says so).
pub fn connect_pool(config: &Config) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(config.database_url.expose_secret())?;
    Ok(PgPoolOptions::new()
        .max_connections(config.db_pool_size)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx already pings every connection when it comes back to the pool; a second ping on
        // the way out doubled the round trips of every query under load.
        .test_before_acquire(false)
        .connect_lazy_with(options))
}

/// Redis presence when `REDIS_URL` is set, else in-process presence for a single node.
async fn presence_store(config: &Config) -> anyhow::Result<Arc<dyn PresenceStore>> {
    Ok(match &config.redis_url {
        Some(url) => RedisPresence::start(url.expose_secret(), &config.redis_prefix).await?,
        None => {
            tracing::info!(
                "REDIS_URL is not set: presence is in-process and the server runs as a single node"
            );
            Arc::new(MemoryPresence::new())
        }
    })
}

/// With Redis, the channel that takes revocations to the other nodes.
fn revocation_relay(config: &Config) -> anyhow::Result<Option<Arc<RevocationRelay>>> {
    Ok(match &config.redis_url {
        Some(url) => Some(Arc::new(RevocationRelay::new(
            url.expose_secret(),
            &config.redis_prefix,
        )?)),
        None => None,
    })
}

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    services: web::Data<Services>,
    /// This node's delivery worker (outbound replies to channel bridges).
    deliveries: DeliveryWorker,
    /// This node's alert watcher.
    alerts: AlertWatcher,
    /// This node's rollup worker (the reports' daily rollups).
    rollups: RollupWorker,
}

impl Application {
    /// Connects, migrates, binds the listener (port 0 picks a free one) and prepares the server.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let quotas = config.quotas;
        Self::build_with_quotas(config, quotas).await
    }

    /// [`Application::build`] with explicit rate limits (tests tighten them).
    pub async fn build_with_quotas(
        config: Config,
        quotas: RateQuotas,
    ) -> anyhow::Result<Application> {
        let pool = connect_pool(&config)?;
        MIGRATOR.run(&pool).await?;
        let listener = TcpListener::bind(&config.bind)?;
        let port = listener.local_addr()?.port();
        let rollups = RollupWorker::start(pool.clone());
        let services = web::Data::new(Services::new(Parts {
            writers: WriterThread::start(&pool)?,
            pool,
            presence: presence_store(&config).await?,
            relay: revocation_relay(&config)?,
            cluster: config
                .redis_url
                .as_ref()
                .map(|url| RedisAt::open(url.expose_secret(), &config.redis_prefix))
                .transpose()?,
            limits: RateLimits::new(quotas),
            session_hours: config.session_hours,
            metrics_token: config.metrics_token.clone(),
            delivery: config.delivery,
            ingest_queue: config.ingest_queue,
            leases: NodeLeases {
                node: node_id(&config, port).into(),
                ttl: config.lease_ttl,
            },
        })?);
        let deliveries = services.outbound.start_worker();
        let alerts = services.alerts.start_watcher();
        let body_limit = config.body_limit;
        let origins = http::origin::OriginPolicy {
            allowed: config.allowed_origins.clone(),
        };
        let web_dir = config.web_dir.clone();
        let data = services.clone();
        let server = HttpServer::new(move || {
            App::new()
                // Innermost wrapper: a request a stopping worker drops mid-query lets go of
                // its database connection cleanly (see `detached`).
                .wrap_fn(|req, srv| crate::detached::bound(srv.call(req)))
                .wrap(http::security_headers())
                .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
                .app_data(data.clone())
                .configure(|cfg| http::api(cfg, body_limit, origins.clone()))
                .service(actix_files::Files::new("/", &web_dir).index_file("index.html"))
        })
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            services,
            deliveries,
            alerts,
            rollups,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stop = shutdown_signal();
        self.run_until(stop).await
    }

    /// Serves until `stop` resolves, then shuts down gracefully: sockets get a close frame
    /// telling clients to reconnect, the listener stops accepting, requests in flight finish
    /// (an ingest answered 202 is already committed), and every dispatcher commits what it
    /// has decided, and the delivery worker finishes the attempts it is making, before the
    /// process ends.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        tokio::select! {
            served = &mut server => return served,
            () = stop => {}
        }
        tracing::info!("shutting down: closing sockets, finishing requests, committing dispatch");
        self.services.close_sockets();
        let stopping = handle.stop(true);
        let (_, served) = tokio::join!(stopping, server);
        self.services.drain_dispatchers(SHUTDOWN_GRACE).await;
        tokio::join!(
            self.deliveries.stop(SHUTDOWN_GRACE),
            self.alerts.stop(SHUTDOWN_GRACE),
            self.rollups.stop(SHUTDOWN_GRACE)
        );
        tracing::info!("shut down");
        served
    }
}

/// `SWITCHBOARD_NODE_ID`, or the host name and the port this node listens on.
fn node_id(config: &Config, port: u16) -> String {
    config.node_id.clone().unwrap_or_else(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        format!("{host}:{port}")
    })
}

/// Resolves on SIGTERM (what orchestrators and `kill` send) or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
