//! In-process presence for a single node (no `REDIS_URL`).

use super::{epoch_millis, Fut, Presence, PresenceStore, SessionKey};
use crate::domain::ids::{AccountId, UserId};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Default)]
struct UserEntry {
    /// Live connections and when each expires (epoch millis).
    connections: HashMap<u64, i64>,
    /// After the last connection closed: away until then (epoch millis).
    away_until: Option<i64>,
}

/// Presence kept in this process's memory.
#[derive(Default)]
pub struct MemoryPresence {
    users: Mutex<HashMap<(AccountId, UserId), UserEntry>>,
}

impl MemoryPresence {
    pub fn new() -> MemoryPresence {
        MemoryPresence::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<(AccountId, UserId), UserEntry>) -> T) -> T {
        let mut users = self
            .users
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut users)
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl PresenceStore for MemoryPresence {
    fn heartbeat(&self, key: SessionKey, ttl: Duration) -> Fut<'_, ()> {
        let now = epoch_millis(Utc::now());
        self.with(|users| {
            let entry = users.entry((key.account_id, key.user_id)).or_default();
            entry.connections.insert(key.connection_id, now + ms(ttl));
            entry.away_until = None;
        });
        Box::pin(async { Ok(()) })
    }

    fn disconnected(&self, key: SessionKey, grace: Duration) -> Fut<'_, ()> {
        let now = epoch_millis(Utc::now());
        self.with(|users| {
            let entry = users.entry((key.account_id, key.user_id)).or_default();
            entry.connections.remove(&key.connection_id);
            entry.connections.retain(|_, expires| *expires > now);
            if entry.connections.is_empty() {
                entry.away_until = Some(now + ms(grace));
            }
        });
        Box::pin(async { Ok(()) })
    }

    fn presence_of(&self, account_id: AccountId, user_ids: &[UserId]) -> Fut<'_, Vec<Presence>> {
        let now = epoch_millis(Utc::now());
        let found = self.with(|users| {
            user_ids
                .iter()
                .map(|user_id| match users.get(&(account_id, *user_id)) {
                    Some(e) if e.connections.values().any(|exp| *exp > now) => Presence::Online,
                    Some(UserEntry {
                        away_until: Some(until),
                        ..
                    }) if *until > now => Presence::Away,
                    // No live connection: closed past the grace period, or silent past its TTL
                    // (a peer that vanished without closing).
                    _ => Presence::Offline,
                })
                .collect()
        });
        Box::pin(async move { Ok(found) })
    }

    fn kind(&self) -> &'static str {
        "memory"
    }

    fn ping(&self) -> Fut<'_, bool> {
        Box::pin(async { Ok(true) })
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn honours_the_presence_contract() {
        super::super::contract::check(
            &super::MemoryPresence::new(),
            crate::domain::ids::AccountId(1),
        )
        .await;
    }
}
