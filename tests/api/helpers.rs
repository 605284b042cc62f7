#![allow(dead_code)] // each test file uses a different part of the helpers
//! `TestApp`: the real application on a free port, backed by a database of its own that is
//! dropped when the test ends, with one method per endpoint.

use reqwest::{Client, Response};
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use switchboard::app::accounts as provision;
use switchboard::config::Config;
use switchboard::security::rate_limit::RateQuotas;
use switchboard::startup::Application;

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
    pub name: String,
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

/// One account in the test app: its slug, id, manager credentials and ingest key.
#[derive(Debug, Clone)]
pub struct TestAccount {
    pub slug: String,
    pub id: String,
    pub api_key: String,
}

pub struct TestApp {
    /// The environment the app was configured from (to start it again).
    pub vars: std::collections::HashMap<String, String>,
    pub address: String,
    pub port: u16,
    pub pool: PgPool,
    pub account: TestAccount,
    /// A client without a session (each login gets its own client and token).
    pub client: Client,
    _redis_prefix: Option<RedisPrefix>,
    pub db: TestDatabase,
}

/// Builds and spawns an application; answers its port.
async fn start(config: Config, quotas: RateQuotas) -> u16 {
    let app = Application::build_with_quotas(config, quotas)
        .await
        .expect("build app");
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    port
}

/// A second server started on the same database (see [`TestApp::restart`]).
pub struct Restarted {
    pub port: u16,
}

/// Options for [`spawn_app_with`].
#[derive(Default)]
pub struct Options {
    pub quotas: Option<RateQuotas>,
    pub body_limit: Option<usize>,
    /// Use Redis presence (under a key prefix of this test's own) instead of in-process.
    pub redis: bool,
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

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        switchboard::telemetry::init();
    }
    let db = TestDatabase::create().await;
    let mut vars = std::collections::HashMap::new();
    vars.insert("DATABASE_URL".to_string(), db.url.clone());
    vars.insert("SWITCHBOARD_BIND".to_string(), "127.0.0.1:0".to_string());
    vars.insert("SWITCHBOARD_DB_POOL".to_string(), "10".to_string());
    if let Some(limit) = options.body_limit {
        vars.insert("SWITCHBOARD_BODY_LIMIT".to_string(), limit.to_string());
    }
    let redis_prefix = options
        .redis
        .then(|| RedisPrefix(format!("sbtest-{}", hex::encode(rand::random::<[u8; 6]>()))));
    if let Some(prefix) = &redis_prefix {
        vars.insert("REDIS_URL".to_string(), redis_url());
        vars.insert("SWITCHBOARD_REDIS_PREFIX".to_string(), prefix.0.clone());
    }
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("config");
    let quotas = options.quotas.unwrap_or(RateQuotas {
        login_per_user_per_minute: 1000,
        login_per_ip_per_minute: 10_000,
        ingest_per_key_per_second: 100_000,
    });
    let app = Application::build_with_quotas(config, quotas)
        .await
        .expect("build app");
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    let pool = PgPool::connect(&db.url)
        .await
        .expect("connect to test database");
    let slug = "acme".to_string();
    let created = provision::create_account(&pool, &slug, "Acme Stays", MANAGER_EMAIL, PASSWORD)
        .await
        .expect("account");
    TestApp {
        vars,
        _redis_prefix: redis_prefix,
        address: format!("http://127.0.0.1:{port}"),
        port,
        pool,
        account: TestAccount {
            slug,
            id: created.account_id.to_string(),
            api_key: created.api_key,
        },
        client: Client::new(),
        db,
    }
}

/// A signed-in user: their bearer token and id.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub user_id: String,
}

impl TestApp {
    /// Starts another server on the same database and configuration, as after a restart.
    pub async fn restart(&self) -> Restarted {
        let config = Config::from_lookup(|k| self.vars.get(k).cloned()).expect("config");
        Restarted {
            port: start(config, RateQuotas::default()).await,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.address, path)
    }

    /// Creates a second account in the same app (for isolation tests).
    pub async fn create_account(&self, slug: &str) -> TestAccount {
        let created = provision::create_account(&self.pool, slug, slug, MANAGER_EMAIL, PASSWORD)
            .await
            .expect("account");
        TestAccount {
            slug: slug.into(),
            id: created.account_id.to_string(),
            api_key: created.api_key,
        }
    }

    pub async fn post_login(&self, body: &Value) -> Response {
        self.client
            .post(self.url("/auth/login"))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Logs in and returns the session, panicking on failure.
    pub async fn login_as(&self, account: &str, email: &str, password: &str) -> Session {
        let res = self
            .post_login(&json!({"account": account, "email": email, "password": password}))
            .await;
        assert_eq!(res.status(), 200, "login of {email}");
        let body: Value = res.json().await.expect("json");
        Session {
            token: body["token"].as_str().expect("token").to_string(),
            user_id: body["user"]["id"].as_str().expect("user id").to_string(),
        }
    }

    /// The manager of the main test account.
    pub async fn manager(&self) -> Session {
        self.login_as(&self.account.slug, MANAGER_EMAIL, PASSWORD)
            .await
    }

    /// An authenticated request as `session`.
    pub fn as_user(
        &self,
        method: reqwest::Method,
        path: &str,
        session: &Session,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&session.token)
    }

    pub async fn get(&self, path: &str, session: &Session) -> Response {
        self.as_user(reqwest::Method::GET, path, session)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, session: &Session, body: &Value) -> Response {
        self.as_user(reqwest::Method::POST, path, session)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch(&self, path: &str, session: &Session, body: &Value) -> Response {
        self.as_user(reqwest::Method::PATCH, path, session)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str, session: &Session) -> Response {
        self.as_user(reqwest::Method::DELETE, path, session)
            .send()
            .await
            .expect("request")
    }
}

/// Asserts the status and the SPEC §5 error shape, returning the error code.
pub async fn assert_error(res: Response, status: u16) -> String {
    let got = res.status().as_u16();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("error body is not JSON: {text}"));
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "error without a message: {text}");
    body["error"]["code"]
        .as_str()
        .expect("error code")
        .to_string()
}
