//! A short-lived, per-node memory of live login sessions, so that an agent's stream of
//! requests does not look its session up in the database every time.
//!
//! An entry is trusted for [`SessionCache::TTL`]; signing out, deactivation, a new password or
//! a role change forget the user's entries at once, on this node and (through Redis) on the
//! others (see `app::revocations`).

use crate::domain::ids::{SessionId, UserId};
use crate::store::sessions::Identity;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sessions recently found valid, by token digest.
pub struct SessionCache {
    inner: Mutex<Entries>,
    ttl: Duration,
}

#[derive(Default)]
struct Entries {
    by_digest: HashMap<Vec<u8>, (Identity, Instant)>,
    /// When each user's sessions were last forgotten: a lookup that began before that may have
    /// read a session that is revoked now, so its answer is not remembered.
    forgotten: HashMap<UserId, Instant>,
}

impl SessionCache {
    /// How long a session found valid is trusted without asking the database again.
    pub const TTL: Duration = Duration::from_secs(5);
    /// Entries kept at most; past it, stale entries are dropped (and all, if none is stale).
    const CAPACITY: usize = 100_000;

    pub fn new(ttl: Duration) -> SessionCache {
        SessionCache {
            inner: Mutex::new(Entries::default()),
            ttl,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Entries) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The identity of a token digest found valid less than the TTL ago.
    pub fn get(&self, digest: &[u8]) -> Option<Identity> {
        self.with(|entries| match entries.by_digest.get(digest) {
            Some((identity, at)) if at.elapsed() < self.ttl => Some(identity.clone()),
            _ => None,
        })
    }

    /// Remembers that `digest` belongs to a valid session of `identity`, as the database said
    /// in a lookup begun at `asked_at` (unless the user's sessions were forgotten since).
    pub fn put(&self, digest: Vec<u8>, identity: Identity, asked_at: Instant) {
        self.with(|entries| {
            if entries
                .forgotten
                .get(&identity.user_id)
                .is_some_and(|at| *at >= asked_at)
            {
                return;
            }
            if entries.by_digest.len() >= Self::CAPACITY {
                entries
                    .by_digest
                    .retain(|_, (_, at)| at.elapsed() < self.ttl);
                if entries.by_digest.len() >= Self::CAPACITY {
                    entries.by_digest.clear();
                }
            }
            entries.by_digest.insert(digest, (identity, Instant::now()));
        })
    }

    /// Forgets one session of a user (signed out).
    pub fn forget_session(&self, user_id: UserId, session_id: SessionId) {
        self.forget(user_id, |i| i.session_id == session_id)
    }

    /// Forgets every session of a user (deactivated, new password, new role).
    pub fn forget_user(&self, user_id: UserId) {
        self.forget(user_id, |i| i.user_id == user_id)
    }

    fn forget(&self, user_id: UserId, gone: impl Fn(&Identity) -> bool) {
        self.with(|entries| {
            entries.by_digest.retain(|_, (i, _)| !gone(i));
            // Older marks can no longer matter: a lookup lasting a TTL would be stale anyway.
            entries.forgotten.retain(|_, at| at.elapsed() < self.ttl);
            entries.forgotten.insert(user_id, Instant::now());
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::AccountId;
    use crate::domain::user::Role;

    fn identity(session_id: i64, user_id: i64) -> Identity {
        Identity {
            session_id: SessionId(session_id),
            user_id: UserId(user_id),
            account_id: AccountId(1),
            role: Role::Agent,
        }
    }

    #[test]
    fn an_entry_is_trusted_until_its_ttl_passes() {
        let cache = SessionCache::new(Duration::from_millis(50));
        cache.put(b"a".to_vec(), identity(1, 10), Instant::now());
        assert_eq!(cache.get(b"a"), Some(identity(1, 10)));
        assert_eq!(cache.get(b"b"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(b"a"), None);
    }

    #[test]
    fn forgetting_a_session_or_a_user_drops_exactly_their_entries() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let now = Instant::now();
        cache.put(b"a".to_vec(), identity(1, 10), now);
        cache.put(b"b".to_vec(), identity(2, 10), now);
        cache.put(b"c".to_vec(), identity(3, 11), now);
        cache.forget_session(UserId(10), SessionId(1));
        assert_eq!(cache.get(b"a"), None);
        assert_eq!(cache.get(b"b"), Some(identity(2, 10)));
        cache.forget_user(UserId(10));
        assert_eq!(cache.get(b"b"), None);
        assert_eq!(cache.get(b"c"), Some(identity(3, 11)));
    }

    #[test]
    fn a_lookup_begun_before_a_revocation_is_not_remembered() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let asked = Instant::now();
        cache.forget_user(UserId(10));
        cache.put(b"a".to_vec(), identity(1, 10), asked);
        assert_eq!(cache.get(b"a"), None, "read before the revocation");
        cache.put(b"a".to_vec(), identity(1, 10), Instant::now());
        assert_eq!(cache.get(b"a"), Some(identity(1, 10)), "read after it");
    }
}
