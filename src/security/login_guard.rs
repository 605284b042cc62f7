//! Failed sign-ins, counted per account+e-mail and per client address over a fixed minute.
//! Only failures count, so a 500-agent team behind one office address can all sign in at nine
//! o'clock, while guessing one user's password, or spraying one password over many users, is
//! stopped after a few tries. Keys are kept only while their minute lasts and their number is
//! bounded, so unauthenticated traffic cannot grow memory.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long failures are remembered.
const WINDOW: Duration = Duration::from_secs(60);
/// Most keys one counter keeps; past it, expired keys are dropped, then the oldest.
const MAX_KEYS: usize = 50_000;

/// Failures per key within the current window.
struct Failures<K> {
    limit: u32,
    counts: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Hash + Eq + Clone> Failures<K> {
    fn new(limit: u32) -> Self {
        Failures {
            limit: limit.max(1),
            counts: Mutex::new(HashMap::new()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<K, (Instant, u32)>) -> T) -> T {
        f(&mut self.counts.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Whether the key has used up its failures for now.
    fn locked(&self, key: &K, now: Instant) -> bool {
        self.with(|counts| {
            counts
                .get(key)
                .is_some_and(|(since, n)| now.duration_since(*since) < WINDOW && *n >= self.limit)
        })
    }

    fn fail(&self, key: K, now: Instant) {
        self.with(|counts| {
            if counts.len() >= MAX_KEYS && !counts.contains_key(&key) {
                counts.retain(|_, (since, _)| now.duration_since(*since) < WINDOW);
                if counts.len() >= MAX_KEYS {
                    if let Some(oldest) = counts
                        .iter()
                        .min_by_key(|(_, (s, _))| *s)
                        .map(|(k, _)| k.clone())
                    {
                        counts.remove(&oldest);
                    }
                }
            }
            let entry = counts.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 += 1;
        });
    }

    fn len(&self) -> usize {
        self.with(|counts| counts.len())
    }
}

/// The failure limits of one node.
pub struct LoginGuard {
    per_user: Failures<(String, String)>,
    per_ip: Failures<IpAddr>,
}

impl LoginGuard {
    /// At most `per_user` failures a minute for one account+e-mail, `per_ip` for one address.
    pub fn new(per_user: u32, per_ip: u32) -> LoginGuard {
        LoginGuard {
            per_user: Failures::new(per_user),
            per_ip: Failures::new(per_ip),
        }
    }

    /// Whether a sign-in for this (normalised) account and e-mail from `ip` may be tried now.
    pub fn allows(&self, account: &str, email: &str, ip: Option<IpAddr>) -> bool {
        let now = Instant::now();
        let user = (account.to_string(), email.to_string());
        !self.per_user.locked(&user, now) && !ip.is_some_and(|ip| self.per_ip.locked(&ip, now))
    }

    /// Counts a failed sign-in against the user and the address.
    pub fn failed(&self, account: &str, email: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        self.per_user
            .fail((account.to_string(), email.to_string()), now);
        if let Some(ip) = ip {
            self.per_ip.fail(ip, now);
        }
    }

    /// How many keys are remembered (both counters).
    pub fn keys(&self) -> usize {
        self.per_user.len() + self.per_ip.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));

    #[test]
    fn only_failures_count() {
        let guard = LoginGuard::new(3, 5);
        for _ in 0..1000 {
            assert!(
                guard.allows("demo", "a@demo.test", IP),
                "successes never lock"
            );
        }
        for _ in 0..3 {
            guard.failed("demo", "a@demo.test", IP);
        }
        assert!(
            !guard.allows("demo", "a@demo.test", IP),
            "three failures lock the user"
        );
        assert!(
            guard.allows("demo", "b@demo.test", IP),
            "the address still has tries"
        );
        guard.failed("demo", "b@demo.test", IP);
        guard.failed("demo", "c@demo.test", IP);
        assert!(
            !guard.allows("demo", "d@demo.test", IP),
            "five failures lock the address"
        );
        assert!(guard.allows("demo", "d@demo.test", None));
    }

    #[test]
    fn failures_are_forgotten_after_the_window_and_keys_stay_bounded() {
        let failures = Failures::new(1);
        let start = Instant::now();
        failures.fail(1u32, start);
        assert!(failures.locked(&1, start));
        assert!(!failures.locked(&1, start + WINDOW));
        for k in 0..(MAX_KEYS as u32 + 10) {
            failures.fail(k, start + WINDOW * 2);
        }
        assert!(failures.len() <= MAX_KEYS);
    }
}
