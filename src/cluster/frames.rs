//! Live frames between nodes: whatever one node pushes to an account's users reaches their
//! sockets on every other node, through Redis pub/sub.
//!
//! Each push goes to the account's channel `{prefix}:frames:{account_id}`. Every node holds
//! one subscription, to the pattern `{prefix}:frames:*`, and hands each frame to its own hub,
//! which delivers it to whichever of the audience's sockets it holds (none, mostly, which costs
//! a map lookup). One pattern subscription leaves no window between a socket's snapshot and
//! its node starting to listen to the account, which subscribing per account on the first
//! socket would open. A node skips its own frames: its hub delivered them before relaying.
//!
//! Nothing waits on Redis on behalf of a push: the hub queues, a task publishes in batches.
//! While Redis is down frames stay on the node that made them. Each node numbers the frames it
//! relays (dropped ones too), so a node that sees another's numbers jump knows it missed some:
//! it closes its sockets with "reconnect now" and makes their resume a snapshot, so no client
//! goes on with an inbox that silently lacks a frame. A single node with Redis hears only
//! itself and never resynchronises; its sockets stay open through a Redis restart.

use super::RedisAt;
use crate::domain::ids::AccountId;
use crate::session::frames::EventFrame;
use crate::session::hub::{Audience, Hub, Relayed};
use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long connecting to Redis, or publishing one batch, may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a lost subscription waits before subscribing again, and a failed publisher
/// before it tries Redis again (frames meanwhile stay on their node).
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// The most frames one pipeline publishes.
const BATCH: usize = 256;

/// The header of what goes over a channel. A message is the publishing process's id (16 hex
/// digits), a space, this header as JSON, a newline, and the frame as this node serialised it
/// (compact JSON holds no raw newline). A node skips its own frames, which come back to it
/// too, by the id alone, and nobody parses or re-encodes a frame on its way.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The publisher's count of frames relayed so far, this one included: a jump tells the
    /// listeners they missed some.
    n: u64,
    audience: Audience,
}

impl Envelope {
    /// The message published by `node` for `frame` (serialised, without a `seq`: each node
    /// numbers it for its own sockets).
    fn publish(&self, node: u64, frame: &str) -> Result<String, serde_json::Error> {
        Ok(format!(
            "{node:016x} {}\n{frame}",
            serde_json::to_string(self)?
        ))
    }

    /// The publisher of a message, and its envelope and frame unless `skip` published it.
    fn read(payload: &str, skip: u64) -> Result<(u64, Option<Heard<'_>>), String> {
        let (from, rest) = payload.split_once(' ').ok_or("no publisher")?;
        let from = u64::from_str_radix(from, 16).map_err(|e| e.to_string())?;
        if from == skip {
            return Ok((from, None));
        }
        let (header, frame) = rest.split_once('\n').ok_or("no frame")?;
        let envelope = serde_json::from_str(header).map_err(|e| e.to_string())?;
        Ok((from, Some(Heard { envelope, frame })))
    }
}

/// Another node's frame, as read off its message.
struct Heard<'a> {
    envelope: Envelope,
    frame: &'a str,
}

/// This node's end of the frame relay; answers whether cross-node push works.
pub struct FrameRelay {
    /// Whether the subscription stands (Redis answers; a failed publish loses its own
    /// connection and is logged, and is told apart only in the log).
    subscribed: AtomicBool,
}

impl FrameRelay {
    /// Publishes what `queue` receives and delivers the other nodes' frames to `hub`, for as
    /// long as the hub lives.
    pub fn start(
        at: RedisAt,
        overflowed: Arc<AtomicU64>,
        queue: mpsc::Receiver<Relayed>,
        hub: Weak<Hub>,
    ) -> Arc<FrameRelay> {
        let RedisAt { client, prefix } = at;
        let node: u64 = rand::random();
        let relay = Arc::new(FrameRelay {
            subscribed: AtomicBool::new(false),
        });
        tokio::spawn(publish(
            client.clone(),
            prefix.clone(),
            node,
            overflowed,
            queue,
            Arc::downgrade(&relay),
        ));
        tokio::spawn(listen(client, prefix, node, hub, Arc::downgrade(&relay)));
        relay
    }

    /// Whether frames reach the other nodes and theirs reach this one (Redis answers).
    pub fn is_up(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }
}

fn channel(prefix: &str, account_id: AccountId) -> String {
    format!("{prefix}:frames:{}", account_id.0)
}

/// The account a channel name is for.
fn account_of(prefix: &str, channel: &str) -> Option<AccountId> {
    channel
        .strip_prefix(prefix)?
        .strip_prefix(":frames:")?
        .parse()
        .ok()
        .map(AccountId)
}

/// Publishes queued frames in batches until the hub (the queue's sender) is gone. After a
/// failure it drops what arrives for [`RETRY_AFTER`] instead of trying Redis once per batch.
async fn publish(
    client: redis::Client,
    prefix: String,
    node: u64,
    overflowed: Arc<AtomicU64>,
    mut queue: mpsc::Receiver<Relayed>,
    relay: Weak<FrameRelay>,
) {
    let mut conn: Option<MultiplexedConnection> = None;
    let mut failed_at: Option<Instant> = None;
    let mut batch = Vec::with_capacity(BATCH);
    let mut relayed_so_far: u64 = 0;
    let mut publishing = true;
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        if relay.strong_count() == 0 {
            return;
        }
        relayed_so_far += overflowed.swap(0, Ordering::Relaxed);
        if failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
            relayed_so_far += batch.len() as u64;
            batch.clear();
            continue;
        }
        let mut pipe = redis::pipe();
        for relayed in batch.drain(..) {
            relayed_so_far += 1;
            let envelope = Envelope {
                n: relayed_so_far,
                audience: relayed.audience,
            };
            match envelope.publish(node, relayed.frame.serialised()) {
                Ok(payload) => {
                    pipe.cmd("PUBLISH")
                        .arg(channel(&prefix, relayed.account_id))
                        .arg(payload)
                        .ignore();
                }
                Err(e) => tracing::error!(error = %e, "a relayed frame did not serialise"),
            }
        }
        match send(&client, &mut conn, &pipe).await {
            Ok(()) => {
                failed_at = None;
                if !std::mem::replace(&mut publishing, true) {
                    tracing::info!("frames reach the other nodes again");
                }
            }
            Err(e) => {
                conn = None;
                failed_at = Some(Instant::now());
                if std::mem::replace(&mut publishing, false) {
                    tracing::warn!(error = %e, "frames cannot reach the other nodes; they stay on this node");
                }
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
        None => conn.insert(
            tokio::time::timeout(CALL_TIMEOUT, client.get_multiplexed_async_connection())
                .await
                .map_err(|_| "connecting timed out".to_string())?
                .map_err(|e| e.to_string())?,
        ),
    };
    tokio::time::timeout(CALL_TIMEOUT, pipe.query_async::<()>(c))
        .await
        .map_err(|_| "publishing timed out".to_string())?
        .map_err(|e| e.to_string())
}

/// Delivers the other nodes' frames to `hub` over one pattern subscription, renewed whenever
/// it is lost; when another node's numbers jump, resynchronises the hub's sockets.
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
                let envelope = payload
                    .as_deref()
                    .map_err(Clone::clone)
                    .and_then(|p| Envelope::read(p, node));
                let account = account_of(&prefix, message.get_channel_name());
                match (envelope, account) {
                    (Ok((_, None)), _) => {}
                    (Ok((from, Some(Heard { envelope: e, frame }))), Some(account_id)) => {
                        if heard.missed_before(from, e.n) {
                            tracing::warn!("frames from another node were missed: sockets reconnect for a snapshot");
                            hub.resync_all();
                        }
                        hub.deliver(
                            account_id,
                            &e.audience,
                            &EventFrame::from_serialised(frame.into()),
                        );
                    }
                    (Ok((_, Some(_))), None) => tracing::warn!(
                        channel = message.get_channel_name(),
                        "a frame on an unknown channel"
                    ),
                    (Err(e), _) => tracing::warn!(error = %e, "unreadable relayed frame"),
                }
            }
            tracing::warn!("the frame subscription was lost; subscribing again");
        }
        match relay.upgrade() {
            Some(relay) => relay.subscribed.store(false, Ordering::Relaxed),
            None => return,
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
    fn a_channel_names_its_account_under_the_prefix() {
        let name = channel("sb", AccountId(42));
        assert_eq!(name, "sb:frames:42");
        assert_eq!(account_of("sb", &name), Some(AccountId(42)));
        assert_eq!(account_of("other", &name), None);
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
    fn a_message_carries_its_publisher_the_audience_and_the_frame_as_it_was() {
        let frame = r#"{"type":"offer.withdrawn","ticket_id":"9","note":"a\nb"}"#;
        let published = Envelope {
            n: 5,
            audience: Audience::UsersAndManagers {
                users: vec![UserId(3)],
            },
        }
        .publish(0xab, frame)
        .unwrap();
        assert_eq!(
            published,
            r#"00000000000000ab {"n":5,"audience":{"to":"users_and_managers","users":["3"]}}"#
                .to_string()
                + "\n"
                + frame
        );

        let (from, read) = Envelope::read(&published, 7).unwrap();
        let heard = read.expect("another node's frame is read");
        assert_eq!((from, heard.envelope.n, heard.frame), (0xab, 5, frame));
        assert!(
            Envelope::read(&published, 0xab).unwrap().1.is_none(),
            "a node's own frame is skipped unread"
        );
        assert!(Envelope::read("not a frame", 7).is_err());
        assert!(Envelope::read("00000000000000ab {}", 7).is_err());
    }
}
