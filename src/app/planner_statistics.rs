//! Keeps PostgreSQL's planner statistics current where autovacuum does not.
//!
//! Every statement the server sends is planned once per connection and the plan is kept (a
//! generic plan, after five runs). A table that was never analyzed looks to the planner like
//! a handful of rows, so plans made on a fresh database treat every index as equally cheap:
//! under `target` the agents' action statement and the foreign-key checks of new messages
//! walked a whole account's list index for one ticket (over 3,000 buffers for one check), and
//! kept doing so as the tables grew. Analyzing a table replaces its statistics and makes every
//! connection plan its statements again. Autovacuum does that by itself; on a server where it
//! is off (as on our test machines) this task analyzes every few seconds the tables that
//! `domain::statistics` finds due, one node at a time.

use crate::store;
use sqlx::PgPool;
use std::time::Duration;

/// How often the tables are checked.
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Starts the task, which ends at once when autovacuum is on.
pub fn start(pool: PgPool) {
    tokio::spawn(async move {
        let rule = match store::statistics::autovacuum(&pool).await {
            Ok((true, _)) => return,
            Ok((false, rule)) => rule,
            Err(e) => {
                tracing::warn!(error = %e, "could not read autovacuum's settings; planner statistics are left to PostgreSQL");
                return;
            }
        };
        tracing::info!("autovacuum is off: this node analyzes tables as they grow");
        let mut every = tokio::time::interval(CHECK_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if pool.is_closed() {
                return;
            }
            let analyzed = match pool.acquire().await {
                Ok(mut conn) => store::statistics::analyze_due(&mut conn, rule).await,
                Err(e) => Err(e),
            };
            match analyzed {
                Ok(tables) if !tables.is_empty() => {
                    tracing::debug!(?tables, "analyzed tables for the planner")
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "could not analyze tables; trying again"),
            }
        }
    });
}
