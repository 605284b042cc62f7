//! A short-lived, per-node memory of live login sessions, so that an agent's stream of
//! requests does not look its session up in the database every time.
//!
//! An entry is trusted for [`SessionCache::TTL`]; signing out, deactivation, a new password or
//! a role change forget the user's entries on this node at once (see `http::identity`).

use crate::store::sessions::Identity;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sessions recently found valid, by token digest.
pub struct SessionCache {
    entries: Mutex<HashMap<Vec<u8>, (Identity, Instant)>>,
    ttl: Duration,
}

impl SessionCache {
    /// How long a session found valid is trusted without asking the database again.
    pub const TTL: Duration = Duration::from_secs(5);
    /// Entries kept at most; past it, stale entries are dropped (and all, if none is stale).
    const CAPACITY: usize = 100_000;

    pub fn new(ttl: Duration) -> SessionCache {
        SessionCache {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<Vec<u8>, (Identity, Instant)>) -> T) -> T {
        f(&mut self.entries.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The identity of a token digest found valid less than the TTL ago.
    pub fn get(&self, digest: &[u8]) -> Option<Identity> {
        self.with(|entries| match entries.get(digest) {
            Some((identity, at)) if at.elapsed() < self.ttl => Some(identity.clone()),
            _ => None,
        })
    }

    /// Remembers that `digest` belongs to a valid session of `identity`, as of now.
    pub fn put(&self, digest: Vec<u8>, identity: Identity) {
        self.with(|entries| {
            if entries.len() >= Self::CAPACITY {
                entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
                if entries.len() >= Self::CAPACITY {
                    entries.clear();
                }
            }
            entries.insert(digest, (identity, Instant::now()));
        })
    }

    /// Forgets one session (signed out).
    pub fn forget_session(&self, session_id: i64) {
        self.with(|entries| entries.retain(|_, (i, _)| i.session_id != session_id))
    }

    /// Forgets every session of a user (deactivated, new password, new role).
    pub fn forget_user(&self, user_id: i64) {
        self.with(|entries| entries.retain(|_, (i, _)| i.user_id != user_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::Role;

    fn identity(session_id: i64, user_id: i64) -> Identity {
        Identity {
            session_id,
            user_id,
            account_id: 1,
            role: Role::Agent,
        }
    }

    #[test]
    fn an_entry_is_trusted_until_its_ttl_passes() {
        let cache = SessionCache::new(Duration::from_millis(50));
        cache.put(b"a".to_vec(), identity(1, 10));
        assert_eq!(cache.get(b"a"), Some(identity(1, 10)));
        assert_eq!(cache.get(b"b"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(b"a"), None);
    }

    #[test]
    fn forgetting_a_session_or_a_user_drops_exactly_their_entries() {
        let cache = SessionCache::new(Duration::from_secs(60));
        cache.put(b"a".to_vec(), identity(1, 10));
        cache.put(b"b".to_vec(), identity(2, 10));
        cache.put(b"c".to_vec(), identity(3, 11));
        cache.forget_session(1);
        assert_eq!(cache.get(b"a"), None);
        assert_eq!(cache.get(b"b"), Some(identity(2, 10)));
        cache.forget_user(10);
        assert_eq!(cache.get(b"b"), None);
        assert_eq!(cache.get(b"c"), Some(identity(3, 11)));
    }
}
