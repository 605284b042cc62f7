//! Ending login sessions everywhere: a revocation forgets the sessions this node remembers and
//! closes their sockets (close 4001, back to the login page), then goes to every other node
//! through Redis, which does the same on hearing it.
//!
//! PostgreSQL stays the truth. Each node also checks, every [`RECHECK_EVERY`] and whenever its
//! subscription comes back after a gap, that the sessions behind its sockets are still valid
//! there, so a revocation missed while Redis was down closes its sockets late, never not at all.

use crate::cluster::{Heard, Revocation, RevocationRelay};
use crate::domain::ids::SessionId;
use crate::security::session_cache::SessionCache;
use crate::session::hub::{Closing, Hub};
use crate::store;
use sqlx::PgPool;
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often a node checks its sockets' sessions against PostgreSQL.
pub const RECHECK_EVERY: Duration = Duration::from_secs(10);

/// Applies revocations on this node and relays them to the others.
pub struct Revocations {
    pool: PgPool,
    sessions: Arc<SessionCache>,
    hub: Arc<Hub>,
    /// `None` without Redis: one node, nobody to tell.
    relay: Option<Arc<RevocationRelay>>,
}

impl Revocations {
    /// Starts listening to the other nodes and checking this node's sockets, for as long as the
    /// value lives.
    pub fn start(
        pool: PgPool,
        sessions: Arc<SessionCache>,
        hub: Arc<Hub>,
        relay: Option<Arc<RevocationRelay>>,
    ) -> Arc<Revocations> {
        let revocations = Arc::new(Revocations {
            pool,
            sessions,
            hub,
            relay: relay.clone(),
        });
        if let Some(relay) = relay {
            tokio::spawn(listen(relay, Arc::downgrade(&revocations)));
        }
        tokio::spawn(recheck_while_alive(Arc::downgrade(&revocations)));
        revocations
    }

    /// Applies `revocation` here at once and tells the other nodes (without waiting on them).
    pub fn revoke(&self, revocation: Revocation) {
        self.apply(revocation);
        if let Some(relay) = &self.relay {
            relay.publish(revocation);
        }
    }

    /// Forgets the sessions first, then closes their sockets: once a client sees its socket
    /// closed, no request of its old token is taken from memory.
    fn apply(&self, revocation: Revocation) {
        match revocation {
            Revocation::SignedOut {
                user_id,
                session_id,
            } => {
                self.sessions.forget_session(user_id, session_id);
                self.hub.close_revoked(user_id, Some(session_id), None);
            }
            Revocation::AllSessions { user_id, keep } => {
                self.sessions.forget_user(user_id);
                self.hub.close_revoked(user_id, None, keep);
            }
            Revocation::UserChanged { user_id } => self.sessions.forget_user(user_id),
            Revocation::RoleChanged { user_id } => {
                self.sessions.forget_user(user_id);
                self.hub.close_user(user_id, Closing::RoleChanged);
            }
        }
    }

    /// Closes this node's sockets whose login session PostgreSQL no longer holds valid
    /// (revoked, expired, its user deactivated).
    async fn close_ended_sessions(&self) -> Result<(), sqlx::Error> {
        let live = self.hub.session_ids();
        if live.is_empty() {
            return Ok(());
        }
        let valid: HashSet<SessionId> = store::sessions::still_valid(&self.pool, &live)
            .await?
            .into_iter()
            .collect();
        let ended: HashSet<SessionId> = live.into_iter().filter(|s| !valid.contains(s)).collect();
        if !ended.is_empty() {
            tracing::info!(
                sessions = ended.len(),
                "closing sockets of sessions that ended elsewhere"
            );
            self.hub.close_sessions(&ended);
        }
        Ok(())
    }

    async fn recheck(&self) {
        if let Err(e) = self.close_ended_sessions().await {
            tracing::warn!(error = %e, "could not check the sockets' sessions");
        }
    }
}

/// Applies what the other nodes revoke; after a gap in the subscription, checks at once.
async fn listen(relay: Arc<RevocationRelay>, revocations: Weak<Revocations>) {
    relay
        .listen(|heard| {
            let Some(revocations) = revocations.upgrade() else {
                return ControlFlow::Break(());
            };
            match heard {
                Heard::Revoked(r) => revocations.apply(r),
                Heard::Resubscribed => {
                    tokio::spawn(async move { revocations.recheck().await });
                }
            }
            ControlFlow::Continue(())
        })
        .await;
}

async fn recheck_while_alive(revocations: Weak<Revocations>) {
    let mut every = tokio::time::interval(RECHECK_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let Some(revocations) = revocations.upgrade() else {
            return;
        };
        revocations.recheck().await;
    }
}
