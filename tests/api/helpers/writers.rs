//! Holding a group-committing writer still (ingest's, or the ticket actions'): a table locked
//! from another connection makes the writer's statement wait, while the next requests gather
//! in its queue, watched through the node's metrics.

use super::{Session, TestApp};
use sqlx::{Connection, Executor, PgConnection};
use std::time::Duration;

/// A connection whose open transaction holds a table against writes.
pub struct Held(PgConnection);

impl Held {
    /// Locks `table` against inserts and updates (reads go on) until [`Held::let_go`].
    pub async fn table(app: &TestApp, table: &str) -> Held {
        Held::with(app, &format!("LOCK TABLE {table} IN EXCLUSIVE MODE")).await
    }

    /// Locks one ticket's row, as another transaction acting on it would.
    pub async fn ticket(app: &TestApp, ticket_id: &str) -> Held {
        Held::with(
            app,
            &format!(
                "SELECT id FROM tickets WHERE id = {} FOR UPDATE",
                ticket_id.parse::<i64>().unwrap()
            ),
        )
        .await
    }

    /// Locks the rows `select` names (a `SELECT … FOR NO KEY UPDATE`), as another node's
    /// batch updating them would.
    pub async fn rows(app: &TestApp, select: &str) -> Held {
        Held::with(app, select).await
    }

    /// Locks every dispatcher lease, as a node taking them over would.
    pub async fn leases(app: &TestApp) -> Held {
        Held::with(app, "SELECT account_id FROM dispatcher_leases FOR UPDATE").await
    }

    async fn with(app: &TestApp, statement: &str) -> Held {
        let mut conn = PgConnection::connect_with(&app.pool.connect_options())
            .await
            .unwrap();
        conn.execute(format!("BEGIN; {statement}").as_str())
            .await
            .unwrap();
        Held(conn)
    }

    /// Runs `statement` in the held transaction and commits it.
    pub async fn commit_with(mut self, statement: &str) {
        self.0
            .execute(format!("{statement}; COMMIT").as_str())
            .await
            .unwrap();
        self.0.close().await.unwrap();
    }

    pub async fn let_go(mut self) {
        self.0.execute("ROLLBACK").await.unwrap();
        self.0.close().await.unwrap();
    }
}

/// One series of the node's metrics.
pub async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app
        .metrics(&Session::anonymous())
        .await
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{series} missing"))
}

/// Waits until `series` reads `n`.
pub async fn until_metric(app: &TestApp, series: &str, n: f64) {
    for _ in 0..200 {
        if metric(app, series).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{series} never read {n}");
}

/// Waits until at least `n` sessions wait on a lock (writers, on what is held).
pub async fn until_blocked(app: &TestApp, n: i64) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if waiting >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("fewer than {n} sessions ever blocked");
}
