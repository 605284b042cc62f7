//! Readiness for load balancers and orchestrators: PostgreSQL must answer; Redis being down
//! leaves the node serving with in-process presence (SPEC §8), reported as `degraded`.

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
}

/// Checks the dependencies.
#[derive(Clone)]
pub struct Health {
    pool: PgPool,
    presence: Arc<dyn PresenceStore>,
}

impl Health {
    pub fn new(pool: PgPool, presence: Arc<dyn PresenceStore>) -> Health {
        Health { pool, presence }
    }

    /// Whether this node can serve.
    pub async fn readiness(&self) -> Readiness {
        let postgres = sqlx::query("SELECT 1").execute(&self.pool).await.is_ok();
        let redis = match self.presence.kind() {
            "redis" => Some(self.presence.ping().await.unwrap_or(false)),
            _ => None,
        };
        let status = match (postgres, redis) {
            (false, _) => "unavailable",
            (true, Some(false)) => "degraded",
            _ => "ready",
        };
        Readiness {
            status,
            postgres,
            redis,
            presence: self.presence.kind(),
        }
    }
}
