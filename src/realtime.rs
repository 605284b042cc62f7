//! The realtime side of the server as one value: the session hub, the presence store and the
//! per-account dispatchers, with the few operations HTTP handlers and session actors share
//! (work-state changes, connect/disconnect, snapshots). It decides nothing itself: choices
//! are the dispatcher's, and the dispatcher's rules live in `domain::dispatch`.

use crate::dispatch::{messages as dm, Dispatchers};
use crate::http::error::ApiError;
use crate::http::users::UserView;
use crate::presence::{Presence, PresenceStore, SessionKey};
use crate::session::actor::CLIENT_TIMEOUT;
use crate::session::frames::{ControlFrame, ServerEvent};
use crate::session::hub::Hub;
use crate::store::{self, sessions::Identity, work::WorkChange};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// Hub, presence and dispatchers of this node.
pub struct Realtime {
    pub pool: PgPool,
    pub hub: Arc<Hub>,
    pub presence: Arc<dyn PresenceStore>,
    pub dispatchers: Dispatchers,
}

impl Realtime {
    pub fn new(pool: PgPool, presence: Arc<dyn PresenceStore>) -> Arc<Realtime> {
        let hub = Arc::new(Hub::new());
        let dispatchers = Dispatchers::new(pool.clone(), hub.clone(), presence.clone());
        Arc::new(Realtime {
            pool,
            hub,
            presence,
            dispatchers,
        })
    }

    /// The user's presence right now (offline when the store cannot say).
    pub async fn presence_of(&self, account_id: i64, user_id: i64) -> Presence {
        match self.presence.presence_of(account_id, &[user_id]).await {
            Ok(p) => p.first().copied().unwrap_or(Presence::Offline),
            Err(e) => {
                tracing::warn!(error = %e, "presence lookup failed");
                Presence::Offline
            }
        }
    }

    /// The user as the API shows them, with live presence.
    pub async fn user_view(&self, account_id: i64, user_id: i64) -> Result<UserView, ApiError> {
        let user = store::users::get(&self.pool, account_id, user_id)
            .await?
            .ok_or(ApiError::NotFound("user"))?;
        let presence = self.presence_of(account_id, user_id).await;
        Ok(UserView::new(user, presence.as_str()))
    }

    /// [`Realtime::user_view`] as JSON, for the `hello` frame.
    pub async fn user_json(&self, key: &SessionKey) -> Option<Value> {
        let view = self.user_view(key.account_id, key.user_id).await.ok()?;
        serde_json::to_value(view).ok()
    }

    /// The user's whole inbox and work state from the database, as a `snapshot` frame.
    pub async fn snapshot(&self, key: &SessionKey, seq: u64) -> Arc<str> {
        let frame = match self.snapshot_parts(key).await {
            Ok((tickets, state, offers)) => ControlFrame::Snapshot {
                seq,
                tickets,
                state,
                offers,
            },
            Err(e) => ControlFrame::Error {
                code: e.code(),
                message: "could not load the inbox; reconnect".into(),
            },
        };
        serde_json::to_string(&frame).unwrap_or_default().into()
    }

    async fn snapshot_parts(
        &self,
        key: &SessionKey,
    ) -> Result<(Vec<Value>, Value, Vec<Value>), ApiError> {
        let tickets =
            store::tickets::active_for_agent(&self.pool, key.account_id, key.user_id).await?;
        let view = self.user_view(key.account_id, key.user_id).await?;
        let offers = self
            .dispatchers
            .get(key.account_id)
            .send(dm::OffersFor {
                agent_id: key.user_id,
            })
            .await
            .unwrap_or_default();
        let offers = store::tickets::views(&self.pool, key.account_id, &offers).await?;
        Ok((to_values(tickets), json!(view.state), to_values(offers)))
    }

    /// The agent looks at a ticket (the `open` frame): same rules as `POST /tickets/{id}/open`.
    pub async fn open_ticket(&self, key: &SessionKey, ticket_id: i64) -> Result<(), ApiError> {
        let who = self.identity_of(key).await?;
        crate::tickets::open(self, &who, ticket_id)
            .await
            .map(|_| ())
    }

    async fn identity_of(&self, key: &SessionKey) -> Result<Identity, ApiError> {
        let user = store::users::get(&self.pool, key.account_id, key.user_id)
            .await?
            .ok_or(ApiError::NotFound("user"))?;
        Ok(Identity {
            session_id: 0,
            user_id: user.id,
            account_id: user.account_id,
            role: user.role,
        })
    }

    /// A connection opened: the user is online; the dispatcher may send them work.
    pub async fn connected(&self, key: SessionKey) {
        if let Err(e) = self.presence.heartbeat(key, CLIENT_TIMEOUT).await {
            tracing::warn!(error = %e, "presence heartbeat failed");
        }
        self.agent_changed(key.account_id, key.user_id).await;
    }

    /// A live connection is still there.
    pub async fn heartbeat(&self, key: SessionKey) {
        if let Err(e) = self.presence.heartbeat(key, CLIENT_TIMEOUT).await {
            tracing::warn!(error = %e, "presence heartbeat failed");
        }
    }

    /// A connection closed. If it was the user's last, they are away for the grace period;
    /// the dispatcher checks again when it ends.
    pub async fn disconnected(&self, key: SessionKey, last_on_this_node: bool) {
        let grace = match store::accounts::get(&self.pool, key.account_id).await {
            Ok(Some(a)) => a.settings.offline_grace_seconds,
            _ => 60,
        };
        let grace = Duration::from_secs(u64::try_from(grace).unwrap_or(60));
        if let Err(e) = self.presence.disconnected(key, grace).await {
            tracing::warn!(error = %e, "presence disconnect failed");
        }
        if last_on_this_node {
            self.agent_changed(key.account_id, key.user_id).await;
            self.dispatchers
                .get(key.account_id)
                .do_send(dm::RecheckAgentAfter {
                    agent_id: key.user_id,
                    after: grace,
                });
        }
    }

    /// Starts/stops the timer or pauses/resumes intake, then tells the dispatcher and the
    /// user's and managers' sockets.
    pub async fn change_work_state(
        &self,
        who: &Identity,
        change: WorkChange,
    ) -> Result<UserView, ApiError> {
        let mut tx = self.pool.begin().await?;
        let changed = store::work::apply(
            &mut tx,
            who.account_id,
            who.user_id,
            change,
            Some(who.user_id),
        )
        .await?;
        tx.commit().await?;
        if changed {
            self.agent_changed(who.account_id, who.user_id).await;
        }
        self.user_view(who.account_id, who.user_id).await
    }

    /// Tells the dispatcher an agent's eligibility may have changed, and pushes the new state
    /// to the agent's tabs and the account's managers.
    pub async fn agent_changed(&self, account_id: i64, user_id: i64) {
        self.dispatchers
            .get(account_id)
            .do_send(dm::AgentChanged { agent_id: user_id });
        if let Ok(view) = self.user_view(account_id, user_id).await {
            let event = ServerEvent::AgentState {
                agent_id: user_id.to_string(),
                state: json!(view.state),
            };
            self.hub.push(user_id, &event);
            self.hub.push_to_managers(account_id, &event);
        }
    }
}

fn to_values<T: serde::Serialize>(items: Vec<T>) -> Vec<Value> {
    items
        .into_iter()
        .filter_map(|t| serde_json::to_value(t).ok())
        .collect()
}
