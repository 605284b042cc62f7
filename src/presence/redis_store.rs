//! Presence in Redis, shared by every node.
//!
//! Per user, a sorted set of live connections scored by expiry and an `away` marker that
//! expires after the grace period. When Redis does not answer, this node keeps going on an
//! in-process mirror of its own connections (logged once per outage, visible in `/readyz`),
//! and reconnects in the background.

use super::{
    epoch_millis, Fut, MemoryPresence, Presence, PresenceError, PresenceStore, SessionKey,
};
use crate::domain::ids::{AccountId, UserId};
use chrono::Utc;
use redis::aio::ConnectionManager;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Removes a connection and, if it was the user's last live one, marks the user away.
const DISCONNECT: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
return 1
";

/// Presence in Redis with an in-process fallback.
pub struct RedisPresence {
    client: redis::Client,
    prefix: String,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
    mirror: MemoryPresence,
    degraded: AtomicBool,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

impl RedisPresence {
    /// A store under `prefix` (tests give each run its own). Connects lazily.
    pub fn new(url: &str, prefix: &str) -> Result<RedisPresence, PresenceError> {
        Ok(RedisPresence {
            client: redis::Client::open(url).map_err(|e| PresenceError(e.to_string()))?,
            prefix: prefix.to_string(),
            connection: tokio::sync::Mutex::new(None),
            last_attempt: Mutex::new(None),
            mirror: MemoryPresence::new(),
            degraded: AtomicBool::new(false),
        })
    }

    fn conns_key(&self, account_id: AccountId, user_id: UserId) -> String {
        format!("{}:presence:{account_id}:{user_id}:conns", self.prefix)
    }

    fn away_key(&self, account_id: AccountId, user_id: UserId) -> String {
        format!("{}:presence:{account_id}:{user_id}:away", self.prefix)
    }

    /// A connection, (re)connecting at most every two seconds while Redis is down.
    async fn connection(&self) -> Option<ConnectionManager> {
        let mut guard = self.connection.lock().await;
        if let Some(c) = guard.as_ref() {
            return Some(c.clone());
        }
        {
            let mut last = self.last_attempt.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(2)) {
                return None;
            }
            *last = Some(Instant::now());
        }
        let connect = ConnectionManager::new(self.client.clone());
        match tokio::time::timeout(Duration::from_secs(2), connect).await {
            Ok(Ok(c)) => {
                *guard = Some(c.clone());
                Some(c)
            }
            _ => None,
        }
    }

    /// Notes whether Redis answered, logging each change between healthy and degraded.
    fn record(&self, ok: bool) {
        let was_degraded = self.degraded.swap(!ok, Ordering::Relaxed);
        if was_degraded && ok {
            tracing::info!("Redis is back: presence is shared between nodes again");
        } else if !was_degraded && !ok {
            tracing::warn!(
                "Redis is unreachable: presence is in-process on this node until it returns"
            );
        }
    }

    /// Whether the last call to Redis failed.
    pub fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::Relaxed)
    }

    async fn run<T>(
        &self,
        op: impl AsyncFnOnce(&mut ConnectionManager) -> redis::RedisResult<T>,
    ) -> Option<T> {
        let Some(mut c) = self.connection().await else {
            self.record(false);
            return None;
        };
        match tokio::time::timeout(Duration::from_secs(2), op(&mut c)).await {
            Ok(Ok(v)) => {
                self.record(true);
                Some(v)
            }
            _ => {
                self.record(false);
                None
            }
        }
    }
}

impl PresenceStore for RedisPresence {
    fn heartbeat(&self, key: SessionKey, ttl: Duration) -> Fut<'_, ()> {
        Box::pin(async move {
            self.mirror.heartbeat(key, ttl).await?;
            let expires = epoch_millis(Utc::now()) + ms(ttl);
            let conns = self.conns_key(key.account_id, key.user_id);
            let away = self.away_key(key.account_id, key.user_id);
            self.run(async |c| {
                redis::pipe()
                    .atomic()
                    .zadd(&conns, key.connection_id, expires)
                    .ignore()
                    .pexpire(&conns, ms(ttl) * 2)
                    .ignore()
                    .del(&away)
                    .ignore()
                    .query_async::<()>(c)
                    .await
            })
            .await;
            Ok(())
        })
    }

    fn disconnected(&self, key: SessionKey, grace: Duration) -> Fut<'_, ()> {
        Box::pin(async move {
            self.mirror.disconnected(key, grace).await?;
            let now = epoch_millis(Utc::now());
            let conns = self.conns_key(key.account_id, key.user_id);
            let away = self.away_key(key.account_id, key.user_id);
            self.run(async |c| {
                redis::Script::new(DISCONNECT)
                    .key(&conns)
                    .key(&away)
                    .arg(key.connection_id)
                    .arg(now)
                    .arg(ms(grace))
                    .invoke_async::<i64>(c)
                    .await
            })
            .await;
            Ok(())
        })
    }

    fn presence_of(&self, account_id: AccountId, user_ids: &[UserId]) -> Fut<'_, Vec<Presence>> {
        let user_ids = user_ids.to_vec();
        Box::pin(async move {
            let now = epoch_millis(Utc::now());
            let mut pipe = redis::pipe();
            for user_id in &user_ids {
                pipe.zcount(
                    self.conns_key(account_id, *user_id),
                    format!("({now}"),
                    "+inf",
                );
                pipe.exists(self.away_key(account_id, *user_id));
            }
            let answer: Option<Vec<i64>> = self.run(async |c| pipe.query_async(c).await).await;
            match answer {
                Some(counts) => Ok(counts
                    .chunks(2)
                    .map(|pair| match pair {
                        [live, _] if *live > 0 => Presence::Online,
                        [_, away] if *away > 0 => Presence::Away,
                        _ => Presence::Offline,
                    })
                    .collect()),
                None => self.mirror.presence_of(account_id, &user_ids).await,
            }
        })
    }

    fn kind(&self) -> &'static str {
        "redis"
    }

    fn ping(&self) -> Fut<'_, bool> {
        Box::pin(async move {
            let pong: Option<String> = self
                .run(async |c| redis::cmd("PING").query_async(c).await)
                .await;
            Ok(pong.is_some())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> String {
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    #[tokio::test]
    async fn honours_the_presence_contract() {
        let prefix = format!("sbtest-{}", hex::encode(rand::random::<[u8; 6]>()));
        let store = RedisPresence::new(&url(), &prefix).unwrap();
        super::super::contract::check(&store, AccountId(1)).await;
        assert!(!store.is_degraded());
        // Leave nothing behind.
        let mut c = store.connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}:*"))
            .query_async(&mut c)
            .await
            .unwrap();
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(keys)
                .query_async::<()>(&mut c)
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn keeps_working_in_process_when_redis_is_down() {
        let store = RedisPresence::new("redis://127.0.0.1:1", "sbtest-down").unwrap();
        let key = SessionKey {
            account_id: AccountId(1),
            user_id: UserId(5),
            connection_id: 1,
        };
        store.heartbeat(key, Duration::from_secs(30)).await.unwrap();
        assert_eq!(
            store.presence_of(AccountId(1), &[UserId(5)]).await.unwrap(),
            vec![Presence::Online]
        );
        assert!(store.is_degraded());
        assert!(!store.ping().await.unwrap());
    }
}
