//! In-process rate limits (GCRA via `governor`) for login and ingest.
//!
//! Logins are limited per account+e-mail (slows password guessing on one user) and per client
//! IP (slows spraying across users); ingest per API key. Limits are per node: behind a load
//! balancer each node enforces its own share, which is acceptable for abuse protection.

use crate::domain::ids::ApiKeyId;
use governor::{clock::DefaultClock, state::keyed::DefaultKeyedStateStore, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// The limits one server node enforces.
pub struct RateLimits {
    login_per_user: Keyed<(String, String)>,
    login_per_ip: Keyed<IpAddr>,
    ingest_per_key: Keyed<ApiKeyId>,
}

/// How many requests each limit lets through.
#[derive(Debug, Clone, Copy)]
pub struct RateQuotas {
    /// Login attempts per account+e-mail per minute.
    pub login_per_user_per_minute: u32,
    /// Login attempts per client IP per minute.
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
            login_per_user: RateLimiter::keyed(Quota::per_minute(nonzero(
                q.login_per_user_per_minute,
            ))),
            login_per_ip: RateLimiter::keyed(Quota::per_minute(nonzero(q.login_per_ip_per_minute))),
            ingest_per_key: RateLimiter::keyed(Quota::per_second(nonzero(
                q.ingest_per_key_per_second,
            ))),
        }
    }

    /// Whether one more login attempt for this account+e-mail from this IP is allowed now.
    pub fn allow_login(&self, account: &str, email: &str, ip: Option<IpAddr>) -> bool {
        let ip_ok = ip.is_none_or(|ip| self.login_per_ip.check_key(&ip).is_ok());
        ip_ok
            && self
                .login_per_user
                .check_key(&(account.to_lowercase(), email.to_lowercase()))
                .is_ok()
    }

    /// Whether one more ingest request with this API key is allowed now.
    pub fn allow_ingest(&self, api_key_id: ApiKeyId) -> bool {
        self.ingest_per_key.check_key(&api_key_id).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_attempts_are_limited_per_user_and_per_ip() {
        let limits = RateLimits::new(RateQuotas {
            login_per_user_per_minute: 3,
            login_per_ip_per_minute: 5,
            ..Default::default()
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limits.allow_login("demo", "a@demo.test", Some(ip)));
        }
        assert!(
            !limits.allow_login("demo", "A@demo.test", Some(ip)),
            "case-folded key"
        );
        assert!(limits.allow_login("demo", "b@demo.test", Some(ip)));
        assert!(
            !limits.allow_login("demo", "c@demo.test", Some(ip)),
            "the IP is spent"
        );
        assert!(limits.allow_login("demo", "c@demo.test", Some("10.0.0.2".parse().unwrap())));
    }
}
