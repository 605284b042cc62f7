//! In-process rate limits for login and ingest.
//!
//! Failed logins are limited per account+e-mail (slows password guessing on one user) and per
//! client IP (slows spraying across users), see [`LoginGuard`]; ingest per API key (GCRA via
//! `governor`). Limits are per node: behind a load balancer each node enforces its own share,
//! which is acceptable for abuse protection.

use super::login_guard::LoginGuard;
use crate::domain::ids::ApiKeyId;
use governor::{clock::DefaultClock, state::keyed::DefaultKeyedStateStore, Quota, RateLimiter};
use std::num::NonZeroU32;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// The limits one server node enforces.
pub struct RateLimits {
    logins: LoginGuard,
    ingest_per_key: Keyed<ApiKeyId>,
}

/// How many requests each limit lets through.
#[derive(Debug, Clone, Copy)]
pub struct RateQuotas {
    /// Failed logins per account+e-mail per minute.
    pub login_per_user_per_minute: u32,
    /// Failed logins per client IP per minute.
    pub login_per_ip_per_minute: u32,
    /// Ingest requests per API key per second (burst of the same size).
    pub ingest_per_key_per_second: u32,
}

impl Default for RateQuotas {
    fn default() -> Self {
        RateQuotas {
            login_per_user_per_minute: 10,
            login_per_ip_per_minute: 120,
            ingest_per_key_per_second: 2_000,
        }
    }
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    pub fn new(q: RateQuotas) -> RateLimits {
        RateLimits {
            logins: LoginGuard::new(q.login_per_user_per_minute, q.login_per_ip_per_minute),
            ingest_per_key: RateLimiter::keyed(Quota::per_second(nonzero(
                q.ingest_per_key_per_second,
            ))),
        }
    }

    /// The failed-login limits (keys are the normalised account and e-mail).
    pub fn logins(&self) -> &LoginGuard {
        &self.logins
    }

    /// Whether one more ingest request with this API key is allowed now.
    pub fn allow_ingest(&self, api_key_id: ApiKeyId) -> bool {
        self.ingest_per_key.check_key(&api_key_id).is_ok()
    }
}
