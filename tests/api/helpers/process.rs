//! A real `switchboard` process on a test database, for tests that signal or kill it.

use super::TestDatabase;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// `switchboard` with the test database and no Redis, its output discarded.
pub fn switchboard(db: &TestDatabase) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.env("DATABASE_URL", &db.url)
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Creates account `slug` through the command line, with manager `m@{slug}.test` and
/// `password`; answers the account's ingest API key.
pub async fn create_account(db: &TestDatabase, slug: &str, password: &str) -> String {
    let out = switchboard(db)
        .args(["account", "create", "--slug", slug, "--name", slug])
        .args(["--manager-email", &format!("m@{slug}.test")])
        .args(["--manager-password", password])
        .stdout(Stdio::piped())
        .output()
        .await
        .unwrap();
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    created["api_key"].as_str().unwrap().to_string()
}

/// Starts `switchboard serve` on a free port with extra environment `vars`, waits until it is
/// ready, and answers it with its API base URL (`http://127.0.0.1:PORT/api/v1`).
pub async fn serve(db: &TestDatabase, vars: &[(&str, &str)]) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = switchboard(db)
        .arg("serve")
        .env("SWITCHBOARD_BIND", format!("127.0.0.1:{port}"))
        .envs(vars.iter().copied())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    for _ in 0..200 {
        if let Ok(res) = reqwest::get(format!("{base}/readyz")).await {
            if res.status() == 200 {
                return (child, base);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

impl super::TestApp {
    /// Another node of this app as a real `switchboard serve` process: the same database,
    /// Redis and key prefix, a port of its own. Answers the process (killed when dropped) and
    /// this app as seen through that node.
    pub async fn node_process(&self) -> (Child, super::TestApp) {
        let vars: Vec<(&str, &str)> = self
            .vars
            .iter()
            .filter(|(k, _)| k.as_str() != "SWITCHBOARD_BIND")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (child, base) = serve(&self._db, &vars).await;
        let address = base.trim_end_matches("/api/v1").to_string();
        let port = address.rsplit(':').next().unwrap().parse().unwrap();
        let node = super::TestApp {
            address,
            port,
            client: reqwest::Client::new(),
            setup_manager: tokio::sync::OnceCell::new(),
            ..self.clone()
        };
        (child, node)
    }
}
