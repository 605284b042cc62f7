//! Live frames between nodes, numbered once for all of them: whatever one node pushes to an
//! account's users reaches their sockets on every node, and a client can resume on any node
//! exactly where it left off.
//!
//! A push runs one Redis script (`scripts/push.lua`) that gives the frame its next number in
//! each recipient's shared history (a hash with the epoch and last `seq`, and a stream of the
//! last [`HISTORY_FRAMES`] frames, as Centrifugo keeps history; both expire after
//! [`HISTORY_TTL`] unused) and publishes it, with those numbers, to the account's channel
//! `{prefix}:frames:{account_id}`. Every node, the publisher included, holds one subscription
//! to the pattern `{prefix}:frames:*` and hands each frame to its hub, which delivers it to
//! whichever recipients' sockets it holds. The script numbers and publishes in one step, so
//! every node hears a user's frames in the order of their numbers. The account's managers
//! are a set in Redis, kept by each manager's connection (`scripts/attach.lua`), which also
//! tells the connection where its history stands; a resume another node cannot serve from
//! memory reads the stream (`scripts/replay.lua`).
//!
//! Nothing waits on Redis on behalf of a push: the hub queues, a task runs the scripts in
//! pipelined batches. While Redis does not answer, each node numbers its frames itself and
//! they stay on it (the hub tells its sockets the new history in band). Each node also
//! counts the frames it pushed (relayed or not), so a node that sees another's count jump
//! knows it missed some: its sockets reconnect and resume from the shared history, or get a
//! snapshot. A single node hears only itself and its sockets stay open through a Redis
//! restart.

use super::RedisAt;
use crate::domain::ids::{AccountId, UserId};
use crate::session::frames::EventFrame;
use crate::session::hub::{
    Attached, Audience, Hub, LeftOff, Numbered, Relayed, Replay, SharedHistory,
};
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long connecting to Redis, or one call (a batch of pushes), may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a lost subscription waits before subscribing again, and how often a node that
/// numbers frames itself asks whether Redis answers again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// The most frames one pipeline pushes.
const BATCH: usize = 256;
/// How many frames a user's shared history keeps (about; Redis trims whole nodes).
pub const HISTORY_FRAMES: usize = 128;
/// How long a user's shared history lives without a frame or a connection: a client away
/// longer gets a snapshot.
pub const HISTORY_TTL: Duration = Duration::from_secs(300);
/// How often the node registers its live users again (so that neither their histories nor
/// the managers' set expire while they are connected).
const REGISTER_EVERY: Duration = Duration::from_secs(60);

const PUSH: &str = concat!(
    include_str!("scripts/history.lua"),
    include_str!("scripts/push.lua")
);
const ATTACH: &str = concat!(
    include_str!("scripts/history.lua"),
    include_str!("scripts/attach.lua")
);
const REPLAY: &str = include_str!("scripts/replay.lua");

/// The header of what goes over a channel. A message is the publishing process's id (16 hex
/// digits), a space, this header as JSON, a newline, and the frame as the publisher
/// serialised it (compact JSON holds no raw newline), so nobody re-encodes a frame.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The publisher's count of frames pushed so far, this one included: a jump tells the
    /// listeners they missed some.
    n: u64,
    audience: Audience,
    /// The frame's number for each recipient: `user epoch seq`, comma-separated (written by
    /// the push script).
    to: String,
}

impl Envelope {
    /// What the push script's message starts with, up to the numbers it appends (with the
    /// closing `"}`, a newline and the frame).
    fn head(node: u64, n: u64, audience: &Audience) -> Result<String, serde_json::Error> {
        let header = serde_json::to_string(&Envelope {
            n,
            audience: audience.clone(),
            to: String::new(),
        })?;
        let open = header.strip_suffix("\"}").unwrap_or(&header);
        Ok(format!("{node:016x} {open}"))
    }

    /// The publisher of a message, its envelope and its frame.
    fn read(payload: &str) -> Result<(u64, Envelope, &str), String> {
        let (from, rest) = payload.split_once(' ').ok_or("no publisher")?;
        let from = u64::from_str_radix(from, 16).map_err(|e| e.to_string())?;
        let (header, frame) = rest.split_once('\n').ok_or("no frame")?;
        let envelope = serde_json::from_str(header).map_err(|e| e.to_string())?;
        Ok((from, envelope, frame))
    }

    /// The frame's numbers, one per recipient.
    fn numbers(&self) -> Result<Vec<Numbered>, String> {
        self.to
            .split(',')
            .filter(|one| !one.is_empty())
            .map(|one| {
                let mut parts = one.split(' ').map(str::parse::<u64>);
                match (parts.next(), parts.next(), parts.next(), parts.next()) {
                    (Some(Ok(user)), Some(Ok(epoch)), Some(Ok(seq)), None) => Ok(Numbered {
                        user_id: UserId(user as i64),
                        epoch,
                        seq,
                    }),
                    _ => Err(format!("unreadable number {one:?}")),
                }
            })
            .collect()
    }
}

/// The most users one call of the push script names. Redis runs one script at a time, and
/// numbering a frame for 5,000 users in one call held it for 170 ms, every other node's and
/// user's frames waiting behind it; in pieces, other frames go between them.
const USERS_PER_PUSH: usize = 250;

/// What one call of the push script numbers: the audience its header names, the users it
/// lists, and what it does with the account's managers (`push.lua`'s fifth argument).
#[derive(Debug, PartialEq)]
struct Piece<'a> {
    audience: Cow<'a, Audience>,
    users: &'a [UserId],
    managers: &'static str,
}

/// The calls a push goes out in: one, or for an audience of more than [`USERS_PER_PUSH`]
/// users one per that many, the first giving it to the managers too and the others leaving
/// them out. Each user's frames still come in order: a user is in one piece of a push, and
/// the pieces go out in order on one connection.
fn pieces(audience: &Audience) -> Vec<Piece<'_>> {
    let (users, managers) = recipients(audience);
    if users.len() <= USERS_PER_PUSH {
        return vec![Piece {
            audience: Cow::Borrowed(audience),
            users,
            managers: if managers { "1" } else { "0" },
        }];
    }
    users
        .chunks(USERS_PER_PUSH)
        .enumerate()
        .map(|(i, some)| Piece {
            audience: Cow::Owned(Audience::UsersAndManagers {
                users: some.to_vec(),
            }),
            users: some,
            managers: match (managers, i) {
                (false, _) => "0",
                (true, 0) => "1",
                (true, _) => "x",
            },
        })
        .collect()
}

/// The users a push names, and whether the account's managers get it too.
fn recipients(audience: &Audience) -> (&[UserId], bool) {
    match audience {
        Audience::User { user_id } => (std::slice::from_ref(user_id), false),
        Audience::Managers => (&[], true),
        Audience::UsersAndManagers { users } => (users, true),
        Audience::Nodes => (&[], false),
    }
}

/// This node's end of the frame relay: answers whether cross-node push works, and serves
/// the hub the shared histories.
pub struct FrameRelay {
    client: redis::Client,
    prefix: String,
    /// Whether the subscription stands.
    subscribed: AtomicBool,
    /// The hub it numbers frames for (asked whether it follows the shared histories).
    hub: Weak<Hub>,
    /// Whether the last pipeline of pushes went through.
    publishing: AtomicBool,
    /// Set when Redis came back: the publisher's connection may be one to the Redis that
    /// went away, so it makes a new one.
    reconnect: AtomicBool,
    /// The connection that registrations and replays use (made on first use).
    calls: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    attach: redis::Script,
    replay: redis::Script,
}

impl FrameRelay {
    /// Pushes what `queue` receives and delivers every node's frames to `hub`, for as long
    /// as the hub lives.
    pub fn start(
        at: RedisAt,
        overflowed: Arc<AtomicU64>,
        queue: mpsc::Receiver<Relayed>,
        hub: Weak<Hub>,
    ) -> Arc<FrameRelay> {
        let RedisAt { client, prefix } = at;
        let node: u64 = rand::random();
        let relay = Arc::new(FrameRelay {
            client: client.clone(),
            prefix: prefix.clone(),
            subscribed: AtomicBool::new(false),
            hub: hub.clone(),
            publishing: AtomicBool::new(true),
            reconnect: AtomicBool::new(false),
            calls: tokio::sync::Mutex::new(None),
            attach: redis::Script::new(ATTACH),
            replay: redis::Script::new(REPLAY),
        });
        if let Some(hub) = hub.upgrade() {
            hub.share_histories(relay.clone());
        }
        tokio::spawn(publish(
            client.clone(),
            prefix.clone(),
            node,
            overflowed,
            queue,
            hub.clone(),
            Arc::downgrade(&relay),
        ));
        tokio::spawn(listen(
            client,
            prefix,
            node,
            hub.clone(),
            Arc::downgrade(&relay),
        ));
        tokio::spawn(keep(hub, Arc::downgrade(&relay)));
        relay
    }

    /// Whether frames reach the other nodes and theirs reach this one, numbered in the shared
    /// histories (Redis answers).
    pub fn is_up(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
            && self.hub.upgrade().is_some_and(|hub| hub.is_sequenced())
    }

    /// Runs `invocation` on the shared connection, within [`CALL_TIMEOUT`].
    async fn call<T: redis::FromRedisValue>(
        &self,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<T, String> {
        let mut calls = self.calls.lock().await;
        let mut conn = match calls.as_ref() {
            Some(c) => c.clone(),
            None => calls.insert(connect(&self.client).await?).clone(),
        };
        drop(calls);
        let answered = tokio::time::timeout(CALL_TIMEOUT, invocation.invoke_async(&mut conn)).await;
        match answered {
            Ok(Ok(value)) => Ok(value),
            failed => {
                *self.calls.lock().await = None;
                Err(match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "the call timed out".to_string(),
                })
            }
        }
    }
}

impl SharedHistory for FrameRelay {
    fn attach(
        &self,
        account_id: AccountId,
        user_id: UserId,
        is_manager: bool,
    ) -> BoxFuture<'_, Result<Attached, String>> {
        Box::pin(async move {
            let mut invocation = self.attach.prepare_invoke();
            invocation
                .arg(&self.prefix)
                .arg(account_id.0)
                .arg(user_id.0)
                .arg(if is_manager { "1" } else { "0" })
                .arg(HISTORY_TTL.as_secs());
            let (epoch, seq): (u64, u64) = self.call(invocation).await?;
            Ok(Attached { seq, epoch })
        })
    }

    fn replay(&self, user_id: UserId, left_off: LeftOff) -> BoxFuture<'_, Result<Replay, String>> {
        Box::pin(async move {
            let mut invocation = self.replay.prepare_invoke();
            invocation
                .arg(&self.prefix)
                .arg(user_id.0)
                .arg(left_off.epoch.map(|e| e.to_string()).unwrap_or_default())
                .arg(left_off.seq);
            let frames: Option<Vec<String>> = self.call(invocation).await?;
            Ok(match frames {
                Some(frames) => Replay::Frames(
                    frames
                        .into_iter()
                        .zip(left_off.seq + 1..)
                        .map(|(frame, seq)| {
                            (seq, EventFrame::from_serialised(frame.into()).numbered(seq))
                        })
                        .collect(),
                ),
                None => Replay::TooOld,
            })
        })
    }
}

/// A new connection to Redis, with the push script loaded (a Redis that restarted lost its
/// scripts, and with them this connection).
async fn connect(client: &redis::Client) -> Result<MultiplexedConnection, String> {
    let connected = tokio::time::timeout(CALL_TIMEOUT, async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(PUSH)
            .query_async::<String>(&mut conn)
            .await?;
        Ok::<_, redis::RedisError>(conn)
    })
    .await;
    match connected {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("connecting timed out".to_string()),
    }
}

/// The account a channel name (`{prefix}:frames:{account_id}`, named by the push script) is
/// for.
fn account_of(prefix: &str, channel: &str) -> Option<AccountId> {
    channel
        .strip_prefix(prefix)?
        .strip_prefix(":frames:")?
        .parse()
        .ok()
        .map(AccountId)
}

/// Pushes queued frames in pipelined batches until the hub (the queue's sender) is gone. A
/// batch that fails makes the hub number frames itself (its frames are lost on their way, so
/// its sockets reconnect for a snapshot) until Redis answers again.
async fn publish(
    client: redis::Client,
    prefix: String,
    node: u64,
    overflowed: Arc<AtomicU64>,
    mut queue: mpsc::Receiver<Relayed>,
    hub: Weak<Hub>,
    relay: Weak<FrameRelay>,
) {
    let push = redis::Script::new(PUSH);
    let mut conn: Option<MultiplexedConnection> = None;
    let mut batch = Vec::with_capacity(BATCH);
    let mut pushed_so_far: u64 = 0;
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let (Some(relay), Some(hub)) = (relay.upgrade(), hub.upgrade()) else {
            return;
        };
        pushed_so_far += overflowed.swap(0, Ordering::Relaxed);
        if !hub.is_sequenced() {
            // Pushed before a failure made the hub number frames itself, whose sockets then
            // reconnected for snapshots that hold what these said.
            pushed_so_far += batch.len() as u64;
            batch.clear();
            continue;
        }
        let mut pipe = redis::pipe();
        for relayed in batch.drain(..) {
            for piece in pieces(&relayed.audience) {
                pushed_so_far += 1;
                match Envelope::head(node, pushed_so_far, &piece.audience) {
                    Ok(head) => {
                        pipe.cmd("EVALSHA")
                            .arg(push.get_hash())
                            .arg(0)
                            .arg(&prefix)
                            .arg(relayed.account_id.0)
                            .arg(HISTORY_TTL.as_secs())
                            .arg(HISTORY_FRAMES)
                            .arg(piece.managers)
                            .arg(head)
                            .arg(relayed.frame.serialised().as_ref())
                            .arg(piece.users.iter().map(|u| u.0).collect::<Vec<_>>())
                            .ignore();
                    }
                    Err(e) => tracing::error!(error = %e, "a relayed frame did not serialise"),
                }
            }
        }
        if relay.reconnect.swap(false, Ordering::Relaxed) {
            conn = None;
        }
        match send(&client, &mut conn, &pipe).await {
            Ok(()) => {
                if !relay.publishing.swap(true, Ordering::Relaxed) {
                    tracing::info!("frames reach the other nodes again");
                }
            }
            Err(e) => {
                conn = None;
                if relay.publishing.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "frames cannot reach Redis; numbering them on this node");
                }
                hub.number_locally(true);
            }
        }
    }
}

async fn send(
    client: &redis::Client,
    conn: &mut Option<MultiplexedConnection>,
    pipe: &redis::Pipeline,
) -> Result<(), String> {
    let c = match conn {
        Some(c) => c,
        None => conn.insert(connect(client).await?),
    };
    tokio::time::timeout(CALL_TIMEOUT, pipe.query_async::<()>(c))
        .await
        .map_err(|_| "pushing timed out".to_string())?
        .map_err(|e| e.to_string())
}

/// Brings the hub back to the shared histories once Redis answers both ways, and keeps the
/// live users registered there (histories and the managers' set expire unused).
async fn keep(hub: Weak<Hub>, relay: Weak<FrameRelay>) {
    let mut registered_at: Option<Instant> = None;
    let mut wait = Duration::ZERO;
    loop {
        tokio::time::sleep(wait).await;
        let (Some(hub), Some(relay)) = (hub.upgrade(), relay.upgrade()) else {
            return;
        };
        // Soon after a start or an outage; then once a second.
        wait = match hub.is_sequenced() {
            true => RETRY_AFTER,
            false => RETRY_AFTER / 10,
        };
        if !relay.subscribed.load(Ordering::Relaxed) {
            continue;
        }
        let came_back = !hub.is_sequenced();
        if !came_back && registered_at.is_some_and(|at| at.elapsed() < REGISTER_EVERY) {
            continue;
        }
        if came_back {
            // Ask before numbering there: a push that fails sends the sockets for snapshots.
            if let Err(e) = relay.call::<Option<Vec<String>>>(relay.probe()).await {
                tracing::debug!(error = %e, "Redis does not answer calls yet");
                continue;
            }
            relay.publishing.store(true, Ordering::Relaxed);
            relay.reconnect.store(true, Ordering::Relaxed);
            hub.number_shared();
            tracing::info!("frames are numbered in the shared histories again");
        }
        register(&hub, &relay).await;
        registered_at = Some(Instant::now());
    }
}

impl FrameRelay {
    /// A call that only asks whether Redis runs scripts (the replay of nobody).
    fn probe(&self) -> redis::ScriptInvocation<'_> {
        let mut invocation = self.replay.prepare_invoke();
        invocation.arg(&self.prefix).arg(0).arg("").arg(0);
        invocation
    }
}

/// Registers every live user of this node in the shared histories, and has the hub follow
/// each one's history.
async fn register(hub: &Hub, relay: &FrameRelay) {
    for (account_id, user_id, is_manager) in hub.live_users() {
        match relay.attach(account_id, user_id, is_manager).await {
            Ok(at) => hub.adopt(user_id, at, None),
            Err(e) => {
                tracing::warn!(error = %e, "registering live users in Redis failed");
                return;
            }
        }
    }
}

/// Delivers every node's frames to `hub` over one pattern subscription, renewed whenever it
/// is lost (the hub numbers frames itself meanwhile); when another node's count jumps,
/// resynchronises the hub's sockets.
async fn listen(
    client: redis::Client,
    prefix: String,
    node: u64,
    hub: Weak<Hub>,
    relay: Weak<FrameRelay>,
) {
    let pattern = format!("{prefix}:frames:*");
    let mut heard = Numbering::default();
    loop {
        if let Some(mut pubsub) = subscribe(&client, &pattern).await {
            match relay.upgrade() {
                Some(relay) => relay.subscribed.store(true, Ordering::Relaxed),
                None => return,
            }
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let Some(hub) = hub.upgrade() else {
                    return;
                };
                let payload = message.get_payload::<String>().map_err(|e| e.to_string());
                let read = payload.as_deref().map_err(Clone::clone).and_then(|p| {
                    let (from, envelope, frame) = Envelope::read(p)?;
                    Ok((from, envelope.numbers()?, envelope, frame))
                });
                let account = account_of(&prefix, message.get_channel_name());
                match (read, account) {
                    (Ok((from, numbers, envelope, frame)), Some(account_id)) => {
                        if from != node && heard.missed_before(from, envelope.n) {
                            tracing::warn!("frames from another node were missed: sockets reconnect and resume");
                            hub.resync_all();
                        }
                        let frame = EventFrame::from_serialised(frame.into());
                        match envelope.audience {
                            // For the nodes themselves: nobody's history numbers it.
                            Audience::Nodes => hub.deliver(account_id, &Audience::Nodes, &frame),
                            _ => hub.deliver_numbered(account_id, &numbers, &frame),
                        }
                    }
                    (Ok(_), None) => tracing::warn!(
                        channel = message.get_channel_name(),
                        "a frame on an unknown channel"
                    ),
                    (Err(e), _) => tracing::warn!(error = %e, "unreadable relayed frame"),
                }
            }
            tracing::warn!("the frame subscription was lost; numbering frames on this node");
        }
        match relay.upgrade() {
            Some(relay) => relay.subscribed.store(false, Ordering::Relaxed),
            None => return,
        }
        if let Some(hub) = hub.upgrade() {
            hub.number_locally(false);
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

/// The last frame number heard from each publishing process.
#[derive(Default)]
struct Numbering {
    last: HashMap<u64, u64>,
}

impl Numbering {
    /// Records frame `n` of `from`; answers whether frames of it were missed just before
    /// (the first frame heard from a process is taken as it comes).
    fn missed_before(&mut self, from: u64, n: u64) -> bool {
        match self.last.insert(from, n) {
            Some(previous) => n != previous + 1,
            None => false,
        }
    }
}

async fn subscribe(client: &redis::Client, pattern: &str) -> Option<redis::aio::PubSub> {
    let subscribed = tokio::time::timeout(CALL_TIMEOUT, async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.psubscribe(pattern).await?;
        Ok::<_, redis::RedisError>(pubsub)
    })
    .await;
    match subscribed {
        Ok(Ok(pubsub)) => Some(pubsub),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "cannot subscribe to frames yet");
            None
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    #[test]
    fn a_push_to_many_users_goes_out_in_pieces_the_first_with_the_managers() {
        let users: Vec<UserId> = (1..=USERS_PER_PUSH as i64 * 2 + 1).map(UserId).collect();
        let audience = Audience::UsersAndManagers {
            users: users.clone(),
        };
        let pieces = pieces(&audience);
        let sizes: Vec<usize> = pieces.iter().map(|p| p.users.len()).collect();
        assert_eq!(sizes, [USERS_PER_PUSH, USERS_PER_PUSH, 1]);
        let managers: Vec<&str> = pieces.iter().map(|p| p.managers).collect();
        assert_eq!(managers, ["1", "x", "x"]);
        let listed: Vec<UserId> = pieces.iter().flat_map(|p| p.users.to_vec()).collect();
        assert_eq!(listed, users, "every user once, in order");
        assert_eq!(
            pieces[2].audience.as_ref(),
            &Audience::UsersAndManagers {
                users: vec![users[USERS_PER_PUSH * 2]]
            }
        );

        let few = Audience::UsersAndManagers {
            users: users[..USERS_PER_PUSH].to_vec(),
        };
        let one = pieces_of(&few);
        assert_eq!(one, [(USERS_PER_PUSH, "1")]);
        assert_eq!(
            pieces_of(&Audience::User { user_id: UserId(4) }),
            [(1, "0")]
        );
        assert_eq!(pieces_of(&Audience::Managers), [(0, "1")]);
    }

    fn pieces_of(audience: &Audience) -> Vec<(usize, &'static str)> {
        pieces(audience)
            .iter()
            .map(|p| (p.users.len(), p.managers))
            .collect()
    }

    /// The push script, run on the real Redis: a later piece of a push leaves out a listed
    /// user who is one of the account's managers, since the first piece gave it to them.
    #[tokio::test]
    async fn a_later_piece_leaves_out_the_managers_the_first_gave_the_frame() {
        let url =
            std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let prefix = format!("sbtest-{}", hex::encode(rand::random::<[u8; 6]>()));
        let mut c = redis::Client::open(url)
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let managers = format!("{prefix}:managers:1");
        redis::cmd("SADD")
            .arg(&managers)
            .arg(7)
            .query_async::<()>(&mut c)
            .await
            .unwrap();
        let push = redis::Script::new(PUSH);
        let mut numbered = Vec::new();
        for (flag, users) in [("1", vec![1, 2]), ("x", vec![7, 3])] {
            let n: usize = push
                .arg(&prefix)
                .arg(1)
                .arg(60)
                .arg(HISTORY_FRAMES)
                .arg(flag)
                .arg("0000000000000001 {\"n\":1,\"audience\":{\"to\":\"managers\"},\"to\":\"")
                .arg("{}")
                .arg(users)
                .invoke_async(&mut c)
                .await
                .unwrap();
            numbered.push(n);
        }
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}:*"))
            .query_async(&mut c)
            .await
            .unwrap();
        let seq: Option<u64> = redis::cmd("HGET")
            .arg(format!("{prefix}:feed:7"))
            .arg("seq")
            .query_async(&mut c)
            .await
            .unwrap();
        keys.push(managers);
        redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(&mut c)
            .await
            .unwrap();
        assert_eq!(numbered, [3, 1], "users 1, 2 and manager 7; then 3 only");
        assert_eq!(seq, Some(1), "the manager got the frame once");
    }

    #[test]
    fn a_channel_names_its_account_under_the_prefix() {
        let name = "sb:frames:42";
        assert_eq!(account_of("sb", name), Some(AccountId(42)));
        assert_eq!(account_of("other", name), None);
        assert_eq!(account_of("sb", "sb:revocations"), None);
    }

    #[test]
    fn a_jump_in_a_publishers_numbers_is_a_gap() {
        let mut heard = Numbering::default();
        assert!(
            !heard.missed_before(7, 3),
            "the first frame heard sets the start"
        );
        assert!(!heard.missed_before(7, 4));
        assert!(!heard.missed_before(8, 1), "each publisher counts alone");
        assert!(heard.missed_before(7, 6), "frame 5 was missed");
        assert!(!heard.missed_before(7, 7));
    }

    #[test]
    fn a_message_carries_its_publisher_the_numbers_and_the_frame_as_it_was() {
        let frame = r#"{"type":"offer.withdrawn","ticket_id":"9","note":"a\nb"}"#;
        let audience = Audience::UsersAndManagers {
            users: vec![UserId(3)],
        };
        let head = Envelope::head(0xab, 5, &audience).unwrap();
        assert_eq!(
            head,
            r#"00000000000000ab {"n":5,"audience":{"to":"users_and_managers","users":["3"]},"to":""#
        );
        // What the push script appends: the numbers, the header's end, and the frame.
        let published = format!("{head}3 1764790000123456 7,12 1764790000123456 2\"}}\n{frame}");

        let (from, envelope, read) = Envelope::read(&published).unwrap();
        assert_eq!((from, envelope.n, read), (0xab, 5, frame));
        assert_eq!(envelope.audience, audience);
        assert_eq!(
            envelope.numbers().unwrap(),
            [
                Numbered {
                    user_id: UserId(3),
                    epoch: 1764790000123456,
                    seq: 7
                },
                Numbered {
                    user_id: UserId(12),
                    epoch: 1764790000123456,
                    seq: 2
                }
            ]
        );
        assert!(Envelope::read("not a frame").is_err());
        assert!(Envelope::read("00000000000000ab {}").is_err());
        let nobody = format!("{head}\"}}\n{frame}");
        assert_eq!(Envelope::read(&nobody).unwrap().1.numbers().unwrap(), []);
    }
}
