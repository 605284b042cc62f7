//! Building and running the application: the same value the binary serves and the tests spawn.

use crate::config::Config;
use crate::http;
use crate::presence::{MemoryPresence, PresenceStore, RedisPresence};
use crate::realtime::Realtime;
use crate::security::rate_limit::{RateLimits, RateQuotas};
use crate::security::session_cache::SessionCache;
use crate::state::AppState;
use actix_web::dev::Server;
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
fn presence_store(config: &Config) -> anyhow::Result<Arc<dyn PresenceStore>> {
    Ok(match &config.redis_url {
        Some(url) => Arc::new(RedisPresence::new(
            url.expose_secret(),
            &config.redis_prefix,
        )?),
        None => {
            tracing::info!(
                "REDIS_URL is not set: presence is in-process and the server runs as a single node"
            );
            Arc::new(MemoryPresence::new())
        }
    })
}

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
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
        let presence = presence_store(&config)?;
        let realtime = Realtime::new(pool.clone(), presence);
        let state = web::Data::new(AppState {
            pool,
            limits: RateLimits::new(quotas),
            config: config.clone(),
            realtime,
            sessions: SessionCache::new(SessionCache::TTL),
        });
        let body_limit = config.body_limit;
        let web_dir = config.web_dir.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .configure(|cfg| http::api(cfg, body_limit))
                .service(actix_files::Files::new("/", &web_dir).index_file("index.html"))
        })
        .listen(listener)?
        .run();
        Ok(Application { port, server })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is asked to stop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
