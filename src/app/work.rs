//! An agent's work state (SPEC §3): the timer, intake, and presence as their connections come
//! and go. Each change is committed (or recorded in presence), then the dispatcher is told and
//! the new state is pushed to the agent's tabs and the account's managers.

use super::failure::{failure_from, Failure};
use super::recent::{recent_account, KnownAccounts};
use super::users::{UserError, Users};
use crate::dispatch::{messages as dm, Dispatchers};
use crate::domain::ids::{AccountId, UserId};
use crate::presence::{PresenceStore, SessionKey};
use crate::session::actor::CLIENT_TIMEOUT;
use crate::session::frames::{EventFrame, ServerEvent};
use crate::session::hub::Hub;
use crate::store::{self, sessions::Identity, work::WorkChange};
use crate::wire::{Code, ErrorCode, UserView};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// Why a work-state change failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("user not found")]
    UserNotFound,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(WorkError);

impl From<UserError> for WorkError {
    fn from(e: UserError) -> WorkError {
        match e {
            UserError::NotFound => WorkError::UserNotFound,
            UserError::Failure(f) => WorkError::Failure(f),
        }
    }
}

impl ErrorCode for WorkError {
    fn code(&self) -> Code {
        match self {
            WorkError::UserNotFound => Code::NotFound,
            WorkError::Failure(f) => f.code(),
        }
    }
}

/// Timer, intake and presence changes.
#[derive(Clone)]
pub struct WorkState {
    pool: PgPool,
    presence: Arc<dyn PresenceStore>,
    dispatchers: Arc<Dispatchers>,
    hub: Arc<Hub>,
    users: Users,
    accounts: Arc<KnownAccounts>,
}

impl WorkState {
    pub fn new(
        pool: PgPool,
        presence: Arc<dyn PresenceStore>,
        dispatchers: Arc<Dispatchers>,
        hub: Arc<Hub>,
        users: Users,
        accounts: Arc<KnownAccounts>,
    ) -> WorkState {
        WorkState {
            pool,
            presence,
            dispatchers,
            hub,
            users,
            accounts,
        }
    }

    /// Starts/stops the timer or pauses/resumes intake (idempotent), and answers the user.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn change(&self, who: &Identity, change: WorkChange) -> Result<UserView, WorkError> {
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
        Ok(self.users.view(who.account_id, who.user_id).await?)
    }

    /// Tells the dispatcher an agent's eligibility may have changed, and pushes their new
    /// state to their tabs and the account's managers.
    pub async fn agent_changed(&self, account_id: AccountId, user_id: UserId) {
        self.dispatchers
            .tell(account_id, dm::AgentChanged { agent_id: user_id });
        let Ok(view) = self.users.view(account_id, user_id).await else {
            return;
        };
        let event = ServerEvent::AgentState {
            agent_id: user_id,
            state: view.state,
        };
        match EventFrame::new(&event) {
            Ok(frame) => {
                self.hub.push(account_id, user_id, &frame);
                self.hub.push_to_managers(account_id, &frame);
            }
            Err(e) => tracing::error!(error = %e, "agent state did not serialise"),
        }
    }

    /// A connection opened: the user is online; the dispatcher may send them work.
    pub async fn connected(&self, key: SessionKey) {
        self.heartbeat(key).await;
        self.agent_changed(key.account_id, key.user_id).await;
    }

    /// A live connection is still there. Should it vanish without closing (its node died),
    /// the user stays away for the account's grace period after it, as after closing.
    pub async fn heartbeat(&self, key: SessionKey) {
        let grace = self.grace(key.account_id).await;
        if let Err(e) = self.presence.heartbeat(key, CLIENT_TIMEOUT, grace).await {
            tracing::warn!(error = %e, "presence heartbeat failed");
        }
    }

    /// How long the account's agents stay away before they count as gone (60 s when the
    /// account cannot be read).
    async fn grace(&self, account_id: AccountId) -> Duration {
        let seconds = match recent_account(&self.accounts, &self.pool, account_id).await {
            Ok(Some(a)) => a.settings.offline_grace_seconds,
            _ => 60,
        };
        Duration::from_secs(u64::try_from(seconds).unwrap_or(60))
    }

    /// A connection closed. If it was the user's last here, they are away for the grace
    /// period; the dispatcher checks again when it ends.
    pub async fn disconnected(&self, key: SessionKey, last_on_this_node: bool) {
        let grace = self.grace(key.account_id).await;
        if let Err(e) = self.presence.disconnected(key, grace).await {
            tracing::warn!(error = %e, "presence disconnect failed");
        }
        if last_on_this_node {
            self.agent_changed(key.account_id, key.user_id).await;
            self.dispatchers.tell(
                key.account_id,
                dm::RecheckAgentAfter {
                    agent_id: key.user_id,
                    after: grace,
                },
            );
        }
    }
}
