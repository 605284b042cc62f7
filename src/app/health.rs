//! Readiness for load balancers and orchestrators: PostgreSQL must answer; Redis being down
//! leaves the node serving with in-process presence (SPEC §8), reported as `degraded`.

use crate::cluster::frames::FrameRelay;
use crate::dispatch::Dispatchers;
use crate::presence::PresenceStore;
use serde::Serialize;
use sqlx::PgPool;
use std::sync::Arc;

/// What `/readyz` reports.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready`, `degraded` or `unavailable`.
    pub status: &'static str,
    pub postgres: bool,
    /// `None` when Redis is not configured.
    pub redis: Option<bool>,
    pub presence: &'static str,
    /// Whether frames reach this account's sockets on the other nodes (Redis pub/sub); `None`
    /// without Redis (a single node). While `false`, each node's sockets get only its own
    /// frames, and reconnect for a snapshot once Redis is back.
    pub cross_node_push: Option<bool>,
    /// This node's id (`SWITCHBOARD_NODE_ID`).
    pub node: String,
    /// Accounts whose dispatcher runs on this node. Leases live in PostgreSQL, so Redis being
    /// down never moves one; while PostgreSQL is down nothing is dispatched anywhere.
    pub dispatchers: usize,
}

/// Checks the dependencies.
#[derive(Clone)]
pub struct Health {
    pool: PgPool,
    presence: Arc<dyn PresenceStore>,
    frames: Option<Arc<FrameRelay>>,
    dispatchers: Arc<Dispatchers>,
}

impl Health {
    pub fn new(
        pool: PgPool,
        presence: Arc<dyn PresenceStore>,
        frames: Option<Arc<FrameRelay>>,
        dispatchers: Arc<Dispatchers>,
    ) -> Health {
        Health {
            pool,
            presence,
            frames,
            dispatchers,
        }
    }

    /// Whether this node can serve.
    pub async fn readiness(&self) -> Readiness {
        let postgres = sqlx::query("SELECT 1").execute(&self.pool).await.is_ok();
        let redis = match self.presence.kind() {
            "redis" => Some(self.presence.ping().await.unwrap_or(false)),
            _ => None,
        };
        let cross_node_push = self.frames.as_ref().map(|f| f.is_up());
        let status = match (postgres, redis, cross_node_push) {
            (false, _, _) => "unavailable",
            (true, Some(false), _) | (true, _, Some(false)) => "degraded",
            _ => "ready",
        };
        Readiness {
            status,
            postgres,
            redis,
            presence: self.presence.kind(),
            cross_node_push,
            node: self.dispatchers.node().to_string(),
            dispatchers: self.dispatchers.running(),
        }
    }
}
