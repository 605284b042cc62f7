//! A per-node memory of values read from PostgreSQL a moment ago (an ingest key's account, an
//! account's settings), so a bridge's stream of deliveries does not read them once each.
//!
//! An entry is trusted for its TTL; a change made on this node forgets it at once, and other
//! nodes see the change when their entry expires.

use crate::domain::ids::AccountId;
use crate::store::{self, accounts::Account};
use sqlx::PgPool;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values by key, each trusted for the TTL after it was read.
pub struct Recent<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
    ttl: Duration,
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// How long a value is trusted: as long as a login session's (`SessionCache::TTL`).
    pub const TTL: Duration = Duration::from_secs(5);
    /// Entries kept at most; past it, expired ones are dropped (and all, if none is).
    const CAPACITY: usize = 100_000;

    pub fn new(ttl: Duration) -> Recent<K, V> {
        Recent {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<K, (V, Instant)>) -> T) -> T {
        f(&mut self.entries.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The value of `key`, if read less than the TTL ago.
    pub fn get(&self, key: &K) -> Option<V> {
        self.with(|entries| match entries.get(key) {
            Some((value, at)) if at.elapsed() < self.ttl => Some(value.clone()),
            _ => None,
        })
    }

    /// Remembers `value`, read from the database just now.
    pub fn put(&self, key: K, value: V) {
        self.with(|entries| {
            if entries.len() >= Self::CAPACITY {
                entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
                if entries.len() >= Self::CAPACITY {
                    entries.clear();
                }
            }
            entries.insert(key, (value, Instant::now()));
        })
    }

    /// Forgets every entry `stale` says changed.
    pub fn forget(&self, stale: impl Fn(&K, &V) -> bool) {
        self.with(|entries| entries.retain(|k, (v, _)| !stale(k, v)))
    }
}

/// Accounts read a moment ago, by id: what ingest needs of its account on every delivery,
/// and presence on every heartbeat.
pub type KnownAccounts = Recent<AccountId, Account>;

/// The account as this node read it at most [`Recent::TTL`] ago, or now.
pub async fn recent_account(
    known: &KnownAccounts,
    pool: &PgPool,
    account_id: AccountId,
) -> Result<Option<Account>, sqlx::Error> {
    if let Some(account) = known.get(&account_id) {
        return Ok(Some(account));
    }
    let Some(account) = store::accounts::get(pool, account_id).await? else {
        return Ok(None);
    };
    known.put(account_id, account.clone());
    Ok(Some(account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_trusted_until_its_ttl_passes_or_it_is_forgotten() {
        let recent = Recent::new(Duration::from_millis(50));
        recent.put("a", 1);
        recent.put("b", 2);
        assert_eq!(recent.get(&"a"), Some(1));
        recent.forget(|_, v| *v == 2);
        assert_eq!(recent.get(&"b"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(recent.get(&"a"), None);
    }
}
