//! The shared handles every request handler receives.

use crate::config::Config;
use crate::realtime::Realtime;
use crate::security::rate_limit::RateLimits;
use sqlx::PgPool;
use std::sync::Arc;

/// Process-wide state, cheap to share behind `web::Data`.
pub struct AppState {
    pub pool: PgPool,
    pub config: Config,
    pub limits: RateLimits,
    pub realtime: Arc<Realtime>,
    /// Sessions recently found valid on this node.
    pub sessions: crate::security::session_cache::SessionCache,
}
