//! The shared handles every request handler receives.

use crate::config::Config;
use crate::security::rate_limit::RateLimits;
use sqlx::PgPool;

/// Process-wide state, cheap to share behind `web::Data`.
pub struct AppState {
    pub pool: PgPool,
    pub config: Config,
    pub limits: RateLimits,
}
