//! Readiness for load balancers and orchestrators: PostgreSQL must answer; Redis being down
//! leaves the node serving with in-process presence (SPEC §8), reported as `degraded`.

use crate::cluster::frames::FrameRelay;
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
}

/// Checks the dependencies.
#[derive(Clone)]
pub struct Health {
    pool: PgPool,
    presence: Arc<dyn PresenceStore>,
    frames: Option<Arc<FrameRelay>>,
}

impl Health {
    pub fn new(
        pool: PgPool,
        presence: Arc<dyn PresenceStore>,
        frames: Option<Arc<FrameRelay>>,
    ) -> Health {
        Health {
            pool,
            presence,
            frames,
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
        }
    }
}
