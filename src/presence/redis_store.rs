//! Presence in Redis, shared by every node.
//!
//! Per user, a sorted set of live connections scored by expiry and an `away` marker that
//! expires after the grace period. Every change is also kept in an in-process mirror of this
//! node's own connections. The first failed call marks Redis down (see [`RedisLink`]): from
//! then on nothing waits on it, presence is read from the mirror, and a background probe asks
//! Redis every second; when it answers, the mirror is written back into it before it is read
//! again, so a Redis restarted empty never makes this node's agents look offline.

use super::link::{LinkEvent, RedisLink};
use super::memory::HeldPresence;
use super::{
    epoch_millis, Fut, MemoryPresence, Presence, PresenceError, PresenceStore, SessionKey,
};
use crate::domain::ids::{AccountId, UserId};
use chrono::Utc;
use redis::aio::MultiplexedConnection;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// Removes a connection and, if it was the user's last live one, marks the user away.
const DISCONNECT: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
return 1
";

/// How long one call may take before Redis counts as down. A healthy Redis answers in well
/// under a millisecond; a stopped one usually refuses at once, so this only bounds a hung one.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);
/// How often the probe asks a Redis that is down whether it answers again.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long writing this node's presence back into Redis may take.
const REPUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections closed while Redis was down, remembered at most, to be removed from it on its
/// return (past this, a closed connection lingers there until its TTL ends).
const CLOSED_WHILE_DOWN: usize = 100_000;

/// The connection in use and its generation, so that a failure on a connection already
/// replaced does not mark its successor down.
struct Current {
    link: RedisLink,
    generation: u64,
    connection: Option<MultiplexedConnection>,
}

/// Presence in Redis with an in-process fallback.
pub struct RedisPresence {
    client: redis::Client,
    prefix: String,
    current: Mutex<Current>,
    /// Held for reading by every write to Redis and for writing by a republish, so that the
    /// mirror read by a republish is never older than a write that reached Redis before it.
    republish_gate: tokio::sync::RwLock<()>,
    mirror: MemoryPresence,
    /// Connections that closed without Redis hearing of it.
    closed_while_down: Mutex<HashSet<SessionKey>>,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

impl RedisPresence {
    /// A store under `prefix` (tests give each run its own), down until [`Self::start`]'s probe
    /// (or a test's) finds Redis answering.
    pub fn new(url: &str, prefix: &str) -> Result<RedisPresence, PresenceError> {
        Ok(RedisPresence {
            client: redis::Client::open(url).map_err(|e| PresenceError(e.to_string()))?,
            prefix: prefix.to_string(),
            current: Mutex::new(Current {
                link: RedisLink::Down,
                generation: 0,
                connection: None,
            }),
            republish_gate: tokio::sync::RwLock::new(()),
            mirror: MemoryPresence::new(),
            closed_while_down: Mutex::new(HashSet::new()),
        })
    }

    /// A store that connects now (when Redis answers within a second) and then probes every
    /// second while Redis is down, for as long as the store lives.
    pub async fn start(url: &str, prefix: &str) -> Result<Arc<RedisPresence>, PresenceError> {
        let store = Arc::new(RedisPresence::new(url, prefix)?);
        store.probe().await;
        if store.is_degraded() {
            tracing::warn!(
                "Redis does not answer yet: presence is in-process on this node until it does"
            );
        }
        tokio::spawn(probe_while_alive(Arc::downgrade(&store)));
        Ok(store)
    }

    fn conns_key(&self, account_id: AccountId, user_id: UserId) -> String {
        format!("{}:presence:{account_id}:{user_id}:conns", self.prefix)
    }

    fn away_key(&self, account_id: AccountId, user_id: UserId) -> String {
        format!("{}:presence:{account_id}:{user_id}:away", self.prefix)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Current) -> T) -> T {
        f(&mut self.current.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Moves the link on, logging when the node stops or starts trusting Redis.
    fn transition(current: &mut Current, event: LinkEvent) -> RedisLink {
        let before = current.link;
        current.link = before.next(event);
        if before == RedisLink::Up && current.link != RedisLink::Up {
            tracing::warn!(
                "Redis is unreachable: presence is in-process on this node until it returns"
            );
        } else if before != RedisLink::Up && current.link == RedisLink::Up {
            tracing::info!("Redis is back and holds this node's presence again");
        }
        if current.link == RedisLink::Down {
            current.connection = None;
        }
        current.link
    }

    /// The state of the link (for `/readyz` and metrics).
    pub fn link(&self) -> RedisLink {
        self.with(|c| c.link)
    }

    /// Whether presence is served from this node's mirror alone right now.
    pub fn is_degraded(&self) -> bool {
        self.link().is_degraded()
    }

    /// The connection to use when the link allows `use_it`, with its generation.
    fn connection(&self, use_it: fn(RedisLink) -> bool) -> Option<(u64, MultiplexedConnection)> {
        self.with(|c| {
            if !use_it(c.link) {
                return None;
            }
            c.connection.clone().map(|conn| (c.generation, conn))
        })
    }

    /// Runs `op` on Redis when the link allows `use_it`; a failure or timeout marks the link
    /// down (unless the connection was replaced meanwhile). `None` means "use the mirror".
    async fn run<T>(
        &self,
        use_it: fn(RedisLink) -> bool,
        op: impl AsyncFnOnce(&mut MultiplexedConnection) -> redis::RedisResult<T>,
    ) -> Option<T> {
        let (generation, mut conn) = self.connection(use_it)?;
        match tokio::time::timeout(CALL_TIMEOUT, op(&mut conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.failed(generation, &e.to_string());
                None
            }
            Err(_) => {
                self.failed(generation, "timed out");
                None
            }
        }
    }

    fn failed(&self, generation: u64, why: &str) {
        self.with(|c| {
            if c.generation == generation && c.link != RedisLink::Down {
                tracing::warn!(error = why, "a Redis call failed");
                Self::transition(c, LinkEvent::CallFailed);
            }
        });
    }

    /// Writes a change to Redis if the link allows it; the mirror already has it.
    async fn write(
        &self,
        op: impl AsyncFnOnce(&mut MultiplexedConnection) -> redis::RedisResult<()>,
    ) -> bool {
        if !self.link().writes_redis() {
            return false;
        }
        let _gate = self.republish_gate.read().await;
        self.run(RedisLink::writes_redis, op).await.is_some()
    }

    /// One probe: when the link is down, connects and pings; when Redis answers, writes this
    /// node's presence back into it and trusts it again.
    async fn probe(&self) {
        let started = self.with(|c| {
            (c.link == RedisLink::Down)
                .then(|| Self::transition(c, LinkEvent::ProbeStarted))
                .is_some()
        });
        if !started {
            return;
        }
        let answered = async {
            let mut conn =
                tokio::time::timeout(CALL_TIMEOUT, self.client.get_multiplexed_async_connection())
                    .await
                    .ok()?
                    .ok()?;
            tokio::time::timeout(
                CALL_TIMEOUT,
                redis::cmd("PING").query_async::<String>(&mut conn),
            )
            .await
            .ok()?
            .ok()?;
            Some(conn)
        }
        .await;
        let generation = self.with(|c| match answered {
            Some(conn) if c.link == RedisLink::Probing => {
                c.generation += 1;
                c.connection = Some(conn);
                Self::transition(c, LinkEvent::ProbeAnswered);
                Some(c.generation)
            }
            _ => {
                Self::transition(c, LinkEvent::ProbeFailed);
                None
            }
        });
        if let Some(generation) = generation {
            self.republish(generation).await;
        }
    }

    /// Writes every connection and away marker of the mirror into Redis, and removes the
    /// connections that closed while it was down; then reads come from Redis again.
    async fn republish(&self, generation: u64) {
        let _gate = self.republish_gate.write().await;
        let Some(mut conn) = self.with(|c| {
            (c.generation == generation && c.link == RedisLink::Republishing)
                .then(|| c.connection.clone())
                .flatten()
        }) else {
            return;
        };
        let held = self.mirror.held();
        let closed: Vec<SessionKey> = std::mem::take(
            &mut *self
                .closed_while_down
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        )
        .into_iter()
        .collect();
        let pipe = self.republishing(&held, &closed);
        match tokio::time::timeout(REPUBLISH_TIMEOUT, pipe.query_async::<()>(&mut conn)).await {
            Ok(Ok(())) => {
                tracing::info!(users = held.len(), "presence republished into Redis");
                self.with(|c| {
                    if c.generation == generation {
                        Self::transition(c, LinkEvent::Republished);
                    }
                });
            }
            _ => {
                self.remember_closed(closed);
                self.failed(generation, "republishing presence failed");
            }
        }
    }

    /// The commands that put `held` into Redis and take `closed` out of it.
    fn republishing(&self, held: &[HeldPresence], closed: &[SessionKey]) -> redis::Pipeline {
        let now = epoch_millis(Utc::now());
        let mut pipe = redis::pipe();
        for key in closed {
            pipe.zrem(
                self.conns_key(key.account_id, key.user_id),
                key.connection_id,
            )
            .ignore();
        }
        for user in held {
            let conns = self.conns_key(user.account_id, user.user_id);
            let away = self.away_key(user.account_id, user.user_id);
            if let Some(last) = user.connections.iter().map(|(_, exp)| *exp).max() {
                for (connection_id, expires) in &user.connections {
                    pipe.zadd(&conns, *connection_id, *expires).ignore();
                }
                pipe.pexpire(&conns, (last - now).max(1) * 2).ignore();
            }
            match user.away_until {
                Some(until) if until > now => {
                    let left = u64::try_from(until - now).unwrap_or(1);
                    pipe.pset_ex(&away, "1", left).ignore();
                }
                _ => {
                    pipe.del(&away).ignore();
                }
            }
        }
        pipe
    }

    /// Remembers that these connections closed without Redis hearing of it.
    fn remember_closed(&self, keys: impl IntoIterator<Item = SessionKey>) {
        let mut closed = self
            .closed_while_down
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for key in keys {
            if closed.len() < CLOSED_WHILE_DOWN {
                closed.insert(key);
            }
        }
    }
}

/// Probes every second while the store lives.
async fn probe_while_alive(store: Weak<RedisPresence>) {
    let mut every = tokio::time::interval(PROBE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(store) = store.upgrade() else {
            return;
        };
        store.probe().await;
    }
}

impl PresenceStore for RedisPresence {
    fn heartbeat(&self, key: SessionKey, ttl: Duration, grace: Duration) -> Fut<'_, ()> {
        Box::pin(async move {
            self.mirror.heartbeat(key, ttl, grace).await?;
            let expires = epoch_millis(Utc::now()) + ms(ttl);
            let conns = self.conns_key(key.account_id, key.user_id);
            let away = self.away_key(key.account_id, key.user_id);
            self.write(async |c| {
                redis::pipe()
                    .atomic()
                    .zadd(&conns, key.connection_id, expires)
                    .ignore()
                    .pexpire(&conns, ms(ttl) * 2)
                    .ignore()
                    // Read only once no connection is live: if this one vanishes without
                    // closing (its node died), the user is away for the grace period after it.
                    .pset_ex(
                        &away,
                        "1",
                        u64::try_from(ms(ttl + grace)).unwrap_or(u64::MAX),
                    )
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
            let written = self
                .write(async |c| {
                    redis::Script::new(DISCONNECT)
                        .key(&conns)
                        .key(&away)
                        .arg(key.connection_id)
                        .arg(now)
                        .arg(ms(grace))
                        .invoke_async::<i64>(c)
                        .await
                        .map(drop)
                })
                .await;
            if !written {
                self.remember_closed([key]);
            }
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
            let answer: Option<Vec<i64>> = self
                .run(RedisLink::reads_redis, async |c| pipe.query_async(c).await)
                .await;
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

    fn redis_link(&self) -> Option<RedisLink> {
        Some(self.link())
    }

    /// Pings Redis only while it is trusted: a Redis known to be down (or still being given
    /// this node's presence back) answers `false` at once.
    fn ping(&self) -> Fut<'_, bool> {
        Box::pin(async move {
            let pong: Option<String> = self
                .run(RedisLink::reads_redis, async |c| {
                    redis::cmd("PING").query_async(c).await
                })
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

    fn prefix() -> String {
        format!("sbtest-{}", hex::encode(rand::random::<[u8; 6]>()))
    }

    fn key(user_id: i64, connection_id: u64) -> SessionKey {
        SessionKey {
            account_id: AccountId(1),
            user_id: UserId(user_id),
            connection_id,
        }
    }

    async fn keys(store: &RedisPresence) -> Vec<String> {
        let (_, mut c) = store.connection(RedisLink::writes_redis).unwrap();
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", store.prefix))
            .query_async(&mut c)
            .await
            .unwrap();
        keys.sort();
        keys
    }

    /// Deletes the store's keys, as a Redis restarted empty would have lost them.
    async fn wipe(store: &RedisPresence) {
        let found = keys(store).await;
        if !found.is_empty() {
            let (_, mut c) = store.connection(RedisLink::writes_redis).unwrap();
            redis::cmd("DEL")
                .arg(found)
                .query_async::<()>(&mut c)
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn honours_the_presence_contract() {
        let store = RedisPresence::start(&url(), &prefix()).await.unwrap();
        super::super::contract::check(&*store, AccountId(1)).await;
        assert_eq!(store.redis_link(), Some(RedisLink::Up));
        wipe(&store).await;
    }

    #[tokio::test]
    async fn keeps_working_in_process_when_redis_is_down() {
        let store = RedisPresence::start("redis://127.0.0.1:1", "sbtest-down")
            .await
            .unwrap();
        store
            .heartbeat(key(5, 1), Duration::from_secs(30), Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(
            store.presence_of(AccountId(1), &[UserId(5)]).await.unwrap(),
            vec![Presence::Online]
        );
        assert!(store.is_degraded());
        assert!(!store.ping().await.unwrap());
    }

    async fn three(store: &RedisPresence) -> Vec<Presence> {
        let users = [UserId(1), UserId(2), UserId(3)];
        store.presence_of(AccountId(1), &users).await.unwrap()
    }

    #[tokio::test]
    async fn on_its_return_redis_gets_this_nodes_presence_back_before_it_is_read() {
        let store = RedisPresence::new(&url(), &prefix()).unwrap();
        store.probe().await;
        assert_eq!(store.link(), RedisLink::Up);
        let ttl = Duration::from_secs(30);
        store.heartbeat(key(1, 10), ttl, ttl).await.unwrap();
        store.heartbeat(key(2, 20), ttl, ttl).await.unwrap();
        store.heartbeat(key(3, 30), ttl, ttl).await.unwrap();

        // Redis goes away and comes back empty; meanwhile user 2 leaves and user 3's tab closes.
        let generation = store.with(|c| c.generation);
        store.failed(generation, "test outage");
        assert_eq!(store.link(), RedisLink::Down);
        store.heartbeat(key(3, 31), ttl, ttl).await.unwrap();
        store
            .disconnected(key(2, 20), Duration::from_secs(60))
            .await
            .unwrap();
        store
            .disconnected(key(3, 30), Duration::from_secs(60))
            .await
            .unwrap();
        let expected = vec![Presence::Online, Presence::Away, Presence::Online];
        assert_eq!(
            three(&store).await,
            expected,
            "served from the mirror while down"
        );
        store.probe().await;
        assert_eq!(store.link(), RedisLink::Up);
        let (_, mut c) = store.connection(RedisLink::reads_redis).unwrap();
        let user3: Vec<u64> = redis::cmd("ZRANGE")
            .arg(format!("{}:presence:1:3:conns", store.prefix))
            .arg(0)
            .arg(-1)
            .query_async(&mut c)
            .await
            .unwrap();
        assert_eq!(
            user3,
            vec![31],
            "the tab closed while Redis was away is gone"
        );

        // A restarted Redis: it holds what the node republished, nothing else (live users'
        // away markers too: they cover this node's loss).
        wipe(&store).await;
        store.failed(store.with(|c| c.generation), "restart");
        store.probe().await;
        assert_eq!(store.link(), RedisLink::Up);
        assert_eq!(
            keys(&store).await,
            vec![
                format!("{}:presence:1:1:away", store.prefix),
                format!("{}:presence:1:1:conns", store.prefix),
                format!("{}:presence:1:2:away", store.prefix),
                format!("{}:presence:1:3:away", store.prefix),
                format!("{}:presence:1:3:conns", store.prefix),
            ]
        );
        assert_eq!(three(&store).await, expected, "read from Redis again");
        wipe(&store).await;
    }
}
