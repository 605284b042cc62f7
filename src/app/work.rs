//! An agent's work state (SPEC §3): the timer, intake, and presence as their connections come
//! and go. Each change is committed (or recorded in presence), then the dispatcher is told and
//! the new state is pushed to the agent's tabs and the account's managers.

use super::failure::{failure_from, Failure};
use super::recent::{recent_account, KnownAccounts};
use super::users::{UserError, Users};
use crate::dispatch::{messages as dm, Dispatchers};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::routing::{left_uncovered, Uncovered};
use crate::domain::user::Role;
use crate::domain::work::WorkChange;
use crate::presence::{PresenceStore, SessionKey};
use crate::session::actor::CLIENT_TIMEOUT;
use crate::session::frames::{EventFrame, ServerEvent};
use crate::session::hub::{Arrival, Hub};
use crate::store::{self, sessions::Identity};
use crate::wire::{Code, ErrorCode, UserView};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// How long a user whose last connection on this node dropped must stay away before the node
/// tells the dispatcher and pushes their `away` state. A blip (a flapping network, a page
/// reload) that comes back sooner changes nobody's view: it costs no wallboard update and no
/// dispatcher reload either way. Presence itself (Redis) says `away` at once, so the API and
/// the dispatcher's sweep see the truth meanwhile; within the grace period an away user is
/// as eligible as an online one (SPEC §2).
const AWAY_AFTER: Duration = Duration::from_secs(1);

/// Why a work-state change failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("user not found")]
    UserNotFound,
    /// Pausing or stopping would leave a routing group below its floor (a manager may).
    #[error("{} needs at least {} agents working and would be left with {}; a manager can let you go", .0.name, .0.min_agents, .0.working_after)]
    CoverageFloor(Uncovered),
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
            WorkError::CoverageFloor(_) => Code::CoverageFloor,
            WorkError::Failure(f) => f.code(),
        }
    }

    fn details(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match self {
            WorkError::CoverageFloor(uncovered) => {
                let mut m = serde_json::Map::new();
                m.insert("group".into(), serde_json::json!(uncovered));
                Some(m)
            }
            _ => None,
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
    /// An agent's pause or stop that would leave one of their routing groups below its
    /// `min_agents` is refused; a manager's own is not (managers decide the coverage).
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn change(&self, who: &Identity, change: WorkChange) -> Result<UserView, WorkError> {
        let floor = who.role != Role::Manager;
        self.apply(who.account_id, who.user_id, change, who.user_id, floor)
            .await
    }

    /// A manager stops an agent's timer or pauses their intake (or starts, resumes): the
    /// coverage floor does not hold a manager back — this is how one allows an agent to go.
    #[tracing::instrument(skip(self, manager), fields(account_id = %manager.account_id, user_id = %agent_id))]
    pub async fn change_for(
        &self,
        manager: &Identity,
        agent_id: UserId,
        change: WorkChange,
    ) -> Result<UserView, WorkError> {
        self.apply(manager.account_id, agent_id, change, manager.user_id, false)
            .await
    }

    /// Signing out of the last session stops the timer: never refused by the coverage floor
    /// (the floor guards a choice to leave; it cannot keep a signed-out agent at work).
    pub async fn stop_on_sign_out(&self, who: &Identity) -> Result<(), WorkError> {
        self.apply(
            who.account_id,
            who.user_id,
            WorkChange::StopTimer,
            who.user_id,
            false,
        )
        .await
        .map(drop)
    }

    async fn apply(
        &self,
        account_id: AccountId,
        user_id: UserId,
        change: WorkChange,
        actor: UserId,
        floor: bool,
    ) -> Result<UserView, WorkError> {
        let mut tx = self.pool.begin().await?;
        let leaving = matches!(change, WorkChange::StopTimer | WorkChange::PauseIntake);
        if floor && leaving {
            // The account's lock makes two agents of one group leaving at once take turns,
            // so the second sees the first gone. Taken only when a floor concerns the user.
            if !store::groups::coverage_without(&mut *tx, account_id, user_id)
                .await?
                .is_empty()
            {
                store::accounts::lock(&mut tx, account_id).await?;
                let user = store::users::get(&mut *tx, account_id, user_id)
                    .await?
                    .ok_or(WorkError::UserNotFound)?;
                if user.active && user.working && !user.intake_paused {
                    let coverage =
                        store::groups::coverage_without(&mut *tx, account_id, user_id).await?;
                    if let Some(uncovered) = left_uncovered(&coverage) {
                        return Err(WorkError::CoverageFloor(uncovered));
                    }
                }
            }
        }
        if actor != user_id
            && store::users::get(&mut *tx, account_id, user_id)
                .await?
                .is_none()
        {
            return Err(WorkError::UserNotFound);
        }
        let changed = store::work::apply(&mut tx, account_id, user_id, change, Some(actor)).await?;
        tx.commit().await?;
        if changed {
            if let Some(view) = self.agent_switched(account_id, user_id, Some(change)).await {
                return Ok(view);
            }
        }
        Ok(self.users.view(account_id, user_id).await?)
    }

    /// Tells the dispatcher an agent's eligibility may have changed, and pushes their new
    /// state to their tabs and the account's managers; answers the view it pushed.
    pub async fn agent_changed(&self, account_id: AccountId, user_id: UserId) -> Option<UserView> {
        self.agent_switched(account_id, user_id, None).await
    }

    /// [`WorkState::agent_changed`], telling the dispatcher the work-state change just
    /// committed (`switched`), which it applies before it reloads the agent.
    async fn agent_switched(
        &self,
        account_id: AccountId,
        user_id: UserId,
        switched: Option<WorkChange>,
    ) -> Option<UserView> {
        self.dispatchers.tell(
            account_id,
            dm::AgentChanged {
                agent_id: user_id,
                switched,
            },
        );
        let view = self.users.view(account_id, user_id).await.ok()?;
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
        Some(view)
    }

    /// A connection opened: the user is online; the dispatcher may send them work. Answers
    /// the user as they are now, online (the `hello` of the connection). Nobody is told when
    /// nothing changed: the user has another tab here, or is back from a blip (see
    /// [`AWAY_AFTER`]) that was never announced.
    pub async fn connected(&self, key: SessionKey, arrival: Arrival) -> Option<UserView> {
        self.heartbeat(key).await;
        if arrival != Arrival::First {
            return self.users.view(key.account_id, key.user_id).await.ok();
        }
        self.agent_changed(key.account_id, key.user_id).await
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
    /// period; the dispatcher checks again when it ends. Their `away` is announced once they
    /// stayed away [`AWAY_AFTER`] (at once when the account has no grace period: then they are
    /// offline, and the dispatcher must know).
    pub async fn disconnected(&self, key: SessionKey, last_on_this_node: bool) {
        let grace = self.grace(key.account_id).await;
        if let Err(e) = self.presence.disconnected(key, grace).await {
            tracing::warn!(error = %e, "presence disconnect failed");
        }
        if !last_on_this_node {
            return;
        }
        self.dispatchers.tell(
            key.account_id,
            dm::RecheckAgentAfter {
                agent_id: key.user_id,
                after: grace,
            },
        );
        if !grace.is_zero() {
            tokio::time::sleep(AWAY_AFTER).await;
        }
        if self.hub.still_away(key.user_id, key.connection_id) {
            self.agent_changed(key.account_id, key.user_id).await;
        }
    }
}
