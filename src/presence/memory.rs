//! In-process presence for a single node (no `REDIS_URL`), and the Redis store's mirror of
//! this node's own connections.

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

/// One user's presence as this node holds it (expiries in epoch millis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HeldPresence {
    pub account_id: AccountId,
    pub user_id: UserId,
    /// Live connections and when each expires.
    pub connections: Vec<(u64, i64)>,
    /// When the user's away marker ends, if they have one.
    pub away_until: Option<i64>,
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

    /// Every user who is online or away here now, to write into a Redis that lost them; users
    /// who are neither are forgotten on the way, so a long outage does not grow the map.
    pub(super) fn held(&self) -> Vec<HeldPresence> {
        let now = epoch_millis(Utc::now());
        self.with(|users| {
            users.retain(|_, e| {
                e.connections.retain(|_, expires| *expires > now);
                !e.connections.is_empty() || e.away_until.is_some_and(|until| until > now)
            });
            users
                .iter()
                .map(|((account_id, user_id), e)| HeldPresence {
                    account_id: *account_id,
                    user_id: *user_id,
                    connections: e.connections.iter().map(|(c, exp)| (*c, *exp)).collect(),
                    away_until: e.away_until,
                })
                .collect()
        })
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
    fn heartbeat(&self, key: SessionKey, ttl: Duration, grace: Duration) -> Fut<'_, ()> {
        let now = epoch_millis(Utc::now());
        self.with(|users| {
            let entry = users.entry((key.account_id, key.user_id)).or_default();
            entry.connections.insert(key.connection_id, now + ms(ttl));
            // Read only once no connection is live: the user vanished without closing.
            entry.away_until = Some(now + ms(ttl) + ms(grace));
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

    fn redis_link(&self) -> Option<super::RedisLink> {
        None
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
