//! What the nodes of one deployment tell each other through Redis pub/sub: login sessions that
//! ended, so that every node closes their sockets and forgets them at once (here), and the
//! live frames of every account ([`frames`]).
//!
//! A hint, never the truth: PostgreSQL holds the sessions, and a node that misses a message
//! (Redis down, its subscription lost) catches up by checking its sockets against it. Nothing
//! here waits on Redis on behalf of a request.

pub mod frames;

use crate::domain::ids::{SessionId, UserId};
use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;
use std::time::Duration;

/// How long connecting to Redis, or one publish, may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a lost subscription waits before subscribing again.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// Where a deployment's nodes meet: the Redis server and the prefix of every key and channel.
#[derive(Debug, Clone)]
pub struct RedisAt {
    pub client: redis::Client,
    pub prefix: String,
}

impl RedisAt {
    /// Fails only on a malformed URL (nothing is connected yet).
    pub fn open(url: &str, prefix: &str) -> Result<RedisAt, redis::RedisError> {
        Ok(RedisAt {
            client: redis::Client::open(url)?,
            prefix: prefix.to_string(),
        })
    }
}

/// A change to a user's login sessions that every node must apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Revocation {
    /// One login session ended (signed out): its sockets close.
    SignedOut {
        user_id: UserId,
        session_id: SessionId,
    },
    /// Every session of the user but `keep` ended (deactivated, a new password): their
    /// sockets close.
    AllSessions {
        user_id: UserId,
        keep: Option<SessionId>,
    },
    /// The user changed (a name, a card): the sessions stay, but what nodes remember of them
    /// is stale.
    UserChanged { user_id: UserId },
    /// The user's role changed: the sessions stay, but each socket was opened with the old
    /// role (a demoted manager must stop receiving managers' frames), so it is closed with
    /// "reconnect now" and comes back with the new one.
    RoleChanged { user_id: UserId },
}

/// What goes over the channel: the revocation and the node that made it, so that a node does
/// not apply its own twice.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: u64,
    revocation: Revocation,
}

/// What a listener hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Another node revoked sessions.
    Revoked(Revocation),
    /// The subscription is back after a gap: revocations may have been missed meanwhile.
    Resubscribed,
}

/// One node's end of the revocation channel.
pub struct RevocationRelay {
    client: redis::Client,
    channel: String,
    /// Tells this node's messages from the others' (random per process).
    node: u64,
    publisher: tokio::sync::Mutex<Option<MultiplexedConnection>>,
}

impl RevocationRelay {
    /// The relay of the deployment whose Redis keys live under `prefix`.
    pub fn new(url: &str, prefix: &str) -> Result<RevocationRelay, redis::RedisError> {
        Ok(RevocationRelay {
            client: redis::Client::open(url)?,
            channel: format!("{prefix}:revocations"),
            node: rand::random(),
            publisher: tokio::sync::Mutex::new(None),
        })
    }

    /// Tells the other nodes; the caller does not wait (a Redis that is down costs it
    /// nothing, and the other nodes' periodic check closes the sockets instead).
    pub fn publish(self: &std::sync::Arc<Self>, revocation: Revocation) {
        let relay = self.clone();
        tokio::spawn(async move {
            if let Err(e) = relay.send(revocation).await {
                tracing::warn!(error = %e, ?revocation, "could not tell the other nodes of a revocation");
            }
        });
    }

    async fn send(&self, revocation: Revocation) -> Result<(), String> {
        let payload = serde_json::to_string(&Envelope {
            from: self.node,
            revocation,
        })
        .map_err(|e| e.to_string())?;
        let mut publisher = self.publisher.lock().await;
        let mut conn = match publisher.as_ref() {
            Some(c) => c.clone(),
            None => {
                let c = tokio::time::timeout(
                    CALL_TIMEOUT,
                    self.client.get_multiplexed_async_connection(),
                )
                .await
                .map_err(|_| "connecting timed out".to_string())?
                .map_err(|e| e.to_string())?;
                publisher.insert(c).clone()
            }
        };
        let sent = tokio::time::timeout(
            CALL_TIMEOUT,
            redis::cmd("PUBLISH")
                .arg(&self.channel)
                .arg(payload)
                .query_async::<i64>(&mut conn),
        )
        .await;
        match sent {
            Ok(Ok(_)) => Ok(()),
            failed => {
                *publisher = None;
                Err(match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "publishing timed out".to_string(),
                })
            }
        }
    }

    /// Hands every other node's revocation to `heard`, over one subscription that is renewed
    /// whenever it is lost, until `heard` breaks.
    pub async fn listen(&self, mut heard: impl FnMut(Heard) -> ControlFlow<()>) {
        let mut missed = false;
        loop {
            if let Some(mut pubsub) = self.subscribe().await {
                if std::mem::take(&mut missed) && heard(Heard::Resubscribed).is_break() {
                    return;
                }
                let mut messages = pubsub.on_message();
                while let Some(message) = messages.next().await {
                    let envelope = message
                        .get_payload::<String>()
                        .map_err(|e| e.to_string())
                        .and_then(|p| {
                            serde_json::from_str::<Envelope>(&p).map_err(|e| e.to_string())
                        });
                    match envelope {
                        Ok(e) if e.from == self.node => {}
                        Ok(e) => {
                            if heard(Heard::Revoked(e.revocation)).is_break() {
                                return;
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "unreadable revocation message"),
                    }
                }
                tracing::warn!("the revocation subscription was lost; subscribing again");
            }
            missed = true;
            tokio::time::sleep(RESUBSCRIBE_AFTER).await;
        }
    }

    async fn subscribe(&self) -> Option<redis::aio::PubSub> {
        let subscribed = tokio::time::timeout(CALL_TIMEOUT, async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(&self.channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .await;
        match subscribed {
            Ok(Ok(pubsub)) => Some(pubsub),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "cannot subscribe to revocations yet");
                None
            }
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_travels_as_tagged_json() {
        let r = Revocation::AllSessions {
            user_id: UserId(7),
            keep: Some(SessionId(3)),
        };
        let json = serde_json::to_value(Envelope {
            from: 1,
            revocation: r,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"from": 1, "revocation": {"kind": "all_sessions", "user_id": "7", "keep": "3"}})
        );
        let back: Envelope = serde_json::from_value(json).unwrap();
        assert_eq!(back.revocation, r);
    }
}
