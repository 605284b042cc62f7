//! Who is connected: `online` while a WebSocket session is live and heartbeating, `away` for
//! the account's grace period after the last session closed, `offline` after (SPEC §3).
//!
//! One trait, two stores: Redis (every node sees the same presence; entries expire by TTL, so
//! a crashed node's sessions fade out on their own) and an in-process map for a single node
//! without `REDIS_URL`. Both pass the same tests. A store never decides anything: the
//! dispatcher reads it.

use crate::domain::ids::{AccountId, UserId};
mod link;
mod memory;
mod redis_store;

pub use link::RedisLink;
pub use memory::MemoryPresence;
pub use redis_store::RedisPresence;

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A user's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Online,
    Away,
    Offline,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Away => "away",
            Presence::Offline => "offline",
        }
    }
}

/// Identifies one live connection of a user (several tabs, several nodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionKey {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub connection_id: u64,
}

/// A presence store failure (Redis unreachable). Callers log it and carry on: presence is
/// advisory, never a reason to drop a ticket.
#[derive(Debug, thiserror::Error)]
#[error("presence store: {0}")]
pub struct PresenceError(pub String);

type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, PresenceError>> + Send + 'a>>;

/// Where presence lives.
pub trait PresenceStore: Send + Sync {
    /// The connection is alive; it stays online for `ttl` unless refreshed. If it then
    /// vanishes without closing (its node died), the user is away for `grace` more, as after
    /// closing their last tab, so agents who come back through another node keep their work.
    fn heartbeat(&self, key: SessionKey, ttl: Duration, grace: Duration) -> Fut<'_, ()>;
    /// The connection closed; if it was the user's last, they are away for `grace`.
    fn disconnected(&self, key: SessionKey, grace: Duration) -> Fut<'_, ()>;
    /// The presence of every listed user of the account right now.
    fn presence_of(&self, account_id: AccountId, user_ids: &[UserId]) -> Fut<'_, Vec<Presence>>;
    /// `redis` or `memory`, for `/readyz` and logs.
    fn kind(&self) -> &'static str;
    /// Where the link to Redis stands (for metrics and logs); `None` for in-process presence,
    /// which has no link to lose.
    fn redis_link(&self) -> Option<RedisLink>;
    /// Whether the store answers and is trusted right now; never waits on a store known to
    /// be down.
    fn ping(&self) -> Fut<'_, bool>;
}

/// Seconds since the epoch, as the stores keep expiries.
fn epoch_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

#[cfg(test)]
pub(crate) mod contract {
    //! The behaviour every store must show, run against each store by its own tests.
    use super::*;

    fn key(user_id: UserId, connection_id: u64, account_id: AccountId) -> SessionKey {
        SessionKey {
            account_id,
            user_id,
            connection_id,
        }
    }

    pub async fn check(store: &dyn PresenceStore, account_id: AccountId) {
        let ttl = Duration::from_secs(30);
        let grace = Duration::from_millis(400);
        assert_eq!(
            store
                .presence_of(account_id, &[UserId(1), UserId(2)])
                .await
                .unwrap(),
            vec![Presence::Offline; 2]
        );

        // Two tabs: closing one keeps the user online.
        store
            .heartbeat(key(UserId(1), 10, account_id), ttl, grace)
            .await
            .unwrap();
        store
            .heartbeat(key(UserId(1), 11, account_id), ttl, grace)
            .await
            .unwrap();
        store
            .disconnected(key(UserId(1), 10, account_id), grace)
            .await
            .unwrap();
        assert_eq!(
            store.presence_of(account_id, &[UserId(1)]).await.unwrap(),
            vec![Presence::Online]
        );

        // The last tab closes: away for the grace period, then offline.
        store
            .disconnected(key(UserId(1), 11, account_id), grace)
            .await
            .unwrap();
        assert_eq!(
            store
                .presence_of(account_id, &[UserId(1), UserId(2)])
                .await
                .unwrap(),
            vec![Presence::Away, Presence::Offline]
        );
        tokio::time::sleep(grace + Duration::from_millis(300)).await;
        assert_eq!(
            store.presence_of(account_id, &[UserId(1)]).await.unwrap(),
            vec![Presence::Offline]
        );

        // A silent connection (its node died) expires by its TTL: away for the grace period,
        // then offline.
        store
            .heartbeat(
                key(UserId(2), 20, account_id),
                Duration::from_millis(300),
                grace,
            )
            .await
            .unwrap();
        assert_eq!(
            store.presence_of(account_id, &[UserId(2)]).await.unwrap(),
            vec![Presence::Online]
        );
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert_eq!(
            store.presence_of(account_id, &[UserId(2)]).await.unwrap(),
            vec![Presence::Away]
        );
        tokio::time::sleep(grace).await;
        assert_eq!(
            store.presence_of(account_id, &[UserId(2)]).await.unwrap(),
            vec![Presence::Offline]
        );

        // Accounts do not see each other.
        store
            .heartbeat(key(UserId(3), 30, account_id), ttl, grace)
            .await
            .unwrap();
        assert_eq!(
            store
                .presence_of(AccountId(account_id.0 + 1), &[UserId(3)])
                .await
                .unwrap(),
            vec![Presence::Offline]
        );
        assert!(store.ping().await.unwrap());
    }
}
