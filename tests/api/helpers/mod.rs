//! `TestApp`: the real application on a free port, backed by a database of its own that is
//! dropped when the test ends, with one method per endpoint of SPEC §5 (`endpoints.rs`),
//! signed-in test agents (`agents.rs`), guest messages (`guests.rs`) and a WebSocket client
//! (`ws_client.rs`).
//!
//! This file is the only place the tests name the `switchboard` crate: starting the app,
//! creating an account and seeding the demo, none of which has an HTTP endpoint. When the
//! server's modules move, the fix is a `use` line here.

mod agents;
mod endpoints;
mod groups;
mod guests;
mod outbound;
pub mod process;
mod receiver;
mod redis_server;
pub mod writers;
mod ws_client;

pub use agents::LiveAgent;
pub use endpoints::{assert_error, Session};
pub use guests::inquiry;
pub use receiver::{signature_is_valid, Received, Receiver, Reply};
pub use redis_server::RedisServer;
pub use ws_client::WsClient;

use sqlx::{Connection, Executor, PgConnection, PgPool};
use std::collections::HashMap;
use std::sync::Arc;
use switchboard::app::accounts::create_account;
use switchboard::config::Config;
use switchboard::security::rate_limit::RateQuotas;
use switchboard::startup::Application;
use switchboard::telemetry;

pub const MANAGER_EMAIL: &str = "manager@test.test";
pub const PASSWORD: &str = "correct horse battery";

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A URL for database `name` on the admin server.
fn database_url(name: &str) -> String {
    let admin = admin_url();
    let base = admin
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(&admin);
    format!("{base}/{name}")
}

/// A throwaway database, dropped (with its connections) when this value is dropped.
pub struct TestDatabase {
    name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let name = format!("sb_test_{}", hex::encode(rand::random::<[u8; 8]>()));
        let mut admin = PgConnection::connect(&admin_url())
            .await
            .expect("connect to the admin database");
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .expect("create test database");
        TestDatabase {
            url: database_url(&name),
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&admin_url()).await {
                    let _ = admin
                        .execute(
                            format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str(),
                        )
                        .await;
                }
            });
        })
        .join();
    }
}

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A Redis key prefix of one test, whose keys are deleted when the test ends.
struct RedisPrefix(String);

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        let pattern = format!("{}:*", self.0);
        let _ = std::thread::spawn(move || {
            let Ok(client) = redis::Client::open(redis_url()) else {
                return;
            };
            let Ok(mut conn) = client.get_connection() else {
                return;
            };
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(&pattern)
                .query(&mut conn)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _ = redis::cmd("DEL").arg(keys).query::<()>(&mut conn);
            }
        })
        .join();
    }
}

/// One account in the test app: its slug and ingest key (its manager is [`MANAGER_EMAIL`] /
/// [`PASSWORD`]).
#[derive(Debug, Clone)]
pub struct TestAccount {
    pub slug: String,
    pub api_key: String,
}

/// The running app. Cloned only by [`TestApp::restart`]: the clones share one database.
#[derive(Clone)]
pub struct TestApp {
    /// The test database, for assertions about what is stored.
    pub pool: PgPool,
    pub account: TestAccount,
    /// `http://127.0.0.1:PORT`: the origin the app's own pages have.
    pub address: String,
    pub port: u16,
    client: reqwest::Client,
    /// The environment the app was configured from (to start it again).
    vars: HashMap<String, String>,
    /// A manager session the helpers themselves use (creating agents, reading tickets).
    setup_manager: tokio::sync::OnceCell<Session>,
    redis_prefix: Option<Arc<RedisPrefix>>,
    _db: Arc<TestDatabase>,
}

/// Options for [`spawn_app_with`].
#[derive(Default)]
pub struct Options {
    /// Failed logins allowed per user and minute (default: plenty).
    pub logins_per_user_per_minute: Option<u32>,
    /// Failed logins allowed per client address and minute (default: plenty).
    pub logins_per_ip_per_minute: Option<u32>,
    /// `SWITCHBOARD_BODY_LIMIT`, in bytes.
    pub body_limit: Option<usize>,
    /// `SWITCHBOARD_DB_POOL` (default here 10).
    pub db_pool: Option<u32>,
    /// Use Redis presence (under a key prefix of this test's own) instead of in-process.
    pub redis: bool,
    /// `SWITCHBOARD_METRICS_TOKEN`.
    pub metrics_token: Option<String>,
    /// The Redis to use instead of the shared one (implies `redis`).
    pub redis_url: Option<String>,
    /// Refuse delivery URLs on loopback and private addresses, as production does (tests
    /// otherwise allow them, for their receivers on 127.0.0.1).
    pub strict_delivery_urls: bool,
    /// `SWITCHBOARD_INGEST_QUEUE`: guest messages that may wait for the ingest writer.
    pub ingest_queue: Option<usize>,
    /// `SWITCHBOARD_DELIVERY_TIMEOUT_MS` (default 10 s).
    pub delivery_timeout_ms: Option<u64>,
    /// `SWITCHBOARD_DELIVERY_RETRY_WINDOW` (default 24 h).
    pub delivery_retry_window: Option<&'static str>,
    /// `SWITCHBOARD_LEASE_TTL_MS` (default 8 s): how soon a dead node's accounts move.
    pub lease_ttl_ms: Option<u64>,
}

/// Builds and spawns an application; answers its port.
async fn start(vars: &HashMap<String, String>, quotas: RateQuotas) -> u16 {
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("config");
    let app = Application::build_with_quotas(config, quotas)
        .await
        .expect("build app");
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    port
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        telemetry::init();
    }
    let db = TestDatabase::create().await;
    let mut vars = HashMap::new();
    vars.insert("DATABASE_URL".to_string(), db.url.clone());
    vars.insert("SWITCHBOARD_BIND".to_string(), "127.0.0.1:0".to_string());
    vars.insert(
        "SWITCHBOARD_DB_POOL".to_string(),
        options.db_pool.unwrap_or(10).to_string(),
    );
    if let Some(limit) = options.body_limit {
        vars.insert("SWITCHBOARD_BODY_LIMIT".to_string(), limit.to_string());
    }
    if let Some(queue) = options.ingest_queue {
        vars.insert("SWITCHBOARD_INGEST_QUEUE".to_string(), queue.to_string());
    }
    if let Some(token) = options.metrics_token {
        vars.insert("SWITCHBOARD_METRICS_TOKEN".to_string(), token);
    }
    if !options.strict_delivery_urls {
        vars.insert(
            "SWITCHBOARD_DELIVERY_ALLOW_PRIVATE".to_string(),
            "true".to_string(),
        );
    }
    // Retries within a few hundred milliseconds, so tests of back-off stay short.
    vars.insert(
        "SWITCHBOARD_DELIVERY_BACKOFF_MS".to_string(),
        "100".to_string(),
    );
    vars.insert("SWITCHBOARD_DELIVERY_POLL_MS".to_string(), "50".to_string());
    if let Some(ms) = options.delivery_timeout_ms {
        vars.insert(
            "SWITCHBOARD_DELIVERY_TIMEOUT_MS".to_string(),
            ms.to_string(),
        );
    }
    if let Some(window) = options.delivery_retry_window {
        vars.insert(
            "SWITCHBOARD_DELIVERY_RETRY_WINDOW".to_string(),
            window.to_string(),
        );
    }
    if let Some(ms) = options.lease_ttl_ms {
        vars.insert("SWITCHBOARD_LEASE_TTL_MS".to_string(), ms.to_string());
    }
    let redis_prefix = (options.redis || options.redis_url.is_some())
        .then(|| RedisPrefix(format!("sbtest-{}", hex::encode(rand::random::<[u8; 6]>()))));
    if let Some(prefix) = &redis_prefix {
        vars.insert(
            "REDIS_URL".to_string(),
            options.redis_url.clone().unwrap_or_else(redis_url),
        );
        vars.insert("SWITCHBOARD_REDIS_PREFIX".to_string(), prefix.0.clone());
    }
    let quotas = RateQuotas {
        login_per_user_per_minute: options.logins_per_user_per_minute.unwrap_or(1000),
        login_per_ip_per_minute: options.logins_per_ip_per_minute.unwrap_or(10_000),
        ingest_per_key_per_second: 100_000,
    };
    let port = start(&vars, quotas).await;
    let pool = PgPool::connect(&db.url)
        .await
        .expect("connect to test database");
    let mut app = TestApp {
        pool,
        account: TestAccount {
            slug: String::new(),
            api_key: String::new(),
        },
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::new(),
        vars,
        setup_manager: tokio::sync::OnceCell::new(),
        redis_prefix: redis_prefix.map(Arc::new),
        _db: Arc::new(db),
    };
    app.account = provision(&app.pool, "acme", "Acme Stays").await;
    app
}

async fn provision(pool: &PgPool, slug: &str, name: &str) -> TestAccount {
    let created = create_account(pool, slug, name, MANAGER_EMAIL, PASSWORD)
        .await
        .expect("account");
    TestAccount {
        slug: slug.into(),
        api_key: created.api_key,
    }
}

/// What `switchboard demo` seeded: the ingest key it printed, and all it printed.
pub struct DemoSeed {
    pub api_key: String,
    pub printed: String,
}

impl TestApp {
    /// The Redis key prefix this app's nodes share, when it uses Redis.
    pub fn redis_prefix(&self) -> Option<&str> {
        self.redis_prefix.as_deref().map(|p| p.0.as_str())
    }

    /// Starts another server on the same database and configuration, as after a crash and
    /// restart or as a second node beside this one (with Redis, under the same key prefix),
    /// and answers it (this app's account and database, the new server's address).
    pub async fn restart(&self) -> TestApp {
        let port = start(&self.vars, RateQuotas::default()).await;
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: reqwest::Client::new(),
            setup_manager: tokio::sync::OnceCell::new(),
            ..self.clone()
        }
    }

    /// Starts this server again, as after a crash: the same database, configuration and node
    /// id, so it takes the dispatcher leases this one held back at once (this one, still
    /// running in the test's process, is fenced out of them).
    pub async fn restart_in_place(&self) -> TestApp {
        let holder: String = sqlx::query_scalar("SELECT holder FROM dispatcher_leases LIMIT 1")
            .fetch_one(&self.pool)
            .await
            .expect("this server holds a dispatcher lease");
        let mut again = self.clone();
        again.vars.insert("SWITCHBOARD_NODE_ID".to_string(), holder);
        again.restart().await
    }

    /// Creates an account (as `switchboard account create` does) whose manager is
    /// [`MANAGER_EMAIL`] / [`PASSWORD`]; a second one serves isolation tests.
    pub async fn create_account(&self, slug: &str) -> TestAccount {
        provision(&self.pool, slug, slug).await
    }

    /// Runs `switchboard demo --agents N` (SPEC §5a) against this app's database.
    pub async fn seed_demo(&self, agents: usize) -> DemoSeed {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["demo", "--agents", &agents.to_string()])
            .env("DATABASE_URL", &self.vars["DATABASE_URL"])
            .env_remove("REDIS_URL")
            .output()
            .await
            .expect("run switchboard demo");
        let printed = String::from_utf8(out.stdout).expect("utf-8");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let api_key = printed
            .lines()
            .find_map(|l| l.strip_prefix("ingest api key: "))
            .expect("an ingest key line")
            .to_string();
        DemoSeed { api_key, printed }
    }
}
