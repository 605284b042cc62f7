//! The dispatcher actor of one account.
//!
//! Each event is turned into decisions by the pure `Board` at once (microseconds), queued in
//! the outbox, and committed by the flush: at most one transaction is in flight per account,
//! and everything that queued up meanwhile goes into the next one. Frames are pushed only
//! after their transaction commits. If a guarded write finds the database changed under it
//! (an agent opened a ticket the board was moving), the flush rolls back and the board is
//! rebuilt from the database and settled again. Every commit also checks that this node
//! still holds the account's lease (fencing): one that finds it gone commits nothing, and
//! the dispatcher retires.

use super::messages::*;
use super::persist::{self, Flushed, Outgoing};
use super::rebuild;
use super::rechecks::Rechecks;
use super::Shared;
use crate::detached::InRuntimeExt;
use crate::domain::account::Settings;
use crate::domain::dispatch::{AgentEntry, Board, Decision, TicketEntry};
use crate::domain::ids::{TicketId, UserId};
use crate::session::frames::{EventFrame, ServerEvent};
use crate::store::leases::Held;
use actix::prelude::*;
use chrono::Utc;
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How often queued tickets, rebalancing, presence and broadcast offers are re-examined.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// How often the return timer looks for tickets held unopened too long, and the overflow
/// for queued tickets that waited long enough.
const RETURN_CHECK_EVERY: Duration = Duration::from_secs(1);
/// The wallboard is pushed at most this often, and only when something changed.
const WALLBOARD_EVERY: Duration = Duration::from_millis(500);
/// How often agents whose grace period ended are looked at again.
const RECHECK_EVERY: Duration = Duration::from_millis(200);

/// The live dispatching state of one account.
pub struct Dispatcher {
    /// The account's lease this dispatcher runs under (its account, and the epoch every
    /// commit checks is still this node's).
    lease: Held,
    /// The lease is gone: nothing more is committed, and the actor stops.
    retired: bool,
    shared: Shared,
    board: Board,
    settings: Settings,
    outbox: Vec<Outgoing>,
    waiting: Vec<oneshot::Sender<Result<(), DispatchRefusal>>>,
    flushing: bool,
    /// The board may differ from the database (a failed flush): rebuild on the next sweep.
    stale: bool,
    /// Agents to reload (work state, card, presence), and whether a reload is in flight:
    /// reloads are batched and never block the mailbox.
    reloads_wanted: BTreeSet<UserId>,
    reloading: bool,
    /// Something changed since the last wallboard frame.
    wallboard_dirty: bool,
    wallboard_in_flight: bool,
    /// Agents to look at again when their grace period ends.
    rechecks: Rechecks,
    /// The account's active managers, as of the last rebuild: the wallboard is computed
    /// while one of them is present (on any node, as presence says) or has a socket here.
    managers: BTreeSet<UserId>,
}

impl Dispatcher {
    pub(crate) fn new(lease: Held, shared: Shared) -> Dispatcher {
        let settings = Settings::default();
        Dispatcher {
            lease,
            retired: false,
            shared,
            board: Board::new(&settings),
            settings,
            outbox: Vec::new(),
            waiting: Vec::new(),
            flushing: false,
            stale: true,
            reloads_wanted: BTreeSet::new(),
            reloading: false,
            wallboard_dirty: true,
            wallboard_in_flight: false,
            rechecks: Rechecks::default(),
            managers: BTreeSet::new(),
        }
    }

    /// Rebuilds the board from the database before any other message is handled, then
    /// settles it (drains the queue, rebalances) and flushes what that decided.
    fn rebuild(&mut self, ctx: &mut Context<Self>) {
        if self.retired {
            return;
        }
        let (shared, account_id) = (self.shared.clone(), self.lease.account_id);
        ctx.wait(async move { rebuild::load(&shared.pool, shared.presence.as_ref(), account_id).await }.in_runtime().into_actor(self).map(
            |loaded, act, ctx| match loaded {
                Ok(mut state) => {
                    act.settings = state.settings.clone();
                    act.managers = std::mem::take(&mut state.managers);
                    act.board = state.into_board();
                    act.stale = false;
                    act.decide(ctx, |board| board.sweep(Utc::now()));
                }
                Err(e) => {
                    tracing::error!(account_id = %act.lease.account_id, error = %e, "dispatcher could not load its state; retrying on the next sweep");
                    act.stale = true;
                }
            },
        ));
    }

    /// Runs `step` on the board. Every board call goes through here: a panic in the rules
    /// stops the actor so its supervisor restarts it from the database, and `None` is answered.
    fn guarded<T>(
        &mut self,
        ctx: &mut Context<Self>,
        step: impl FnOnce(&mut Board) -> T,
    ) -> Option<T> {
        match catch_unwind(AssertUnwindSafe(|| step(&mut self.board))) {
            Ok(answer) => Some(answer),
            Err(_) => {
                tracing::error!(
                    account_id = %self.lease.account_id,
                    "dispatching rules panicked; restarting the dispatcher"
                );
                ctx.stop();
                None
            }
        }
    }

    /// Runs a board step and queues its decisions for commit.
    fn decide(&mut self, ctx: &mut Context<Self>, step: impl FnOnce(&mut Board) -> Vec<Decision>) {
        self.wallboard_dirty = true;
        if let Some(decisions) = self.guarded(ctx, step) {
            self.outbox
                .extend(decisions.into_iter().map(Outgoing::Decision));
            self.flush(ctx);
        }
    }

    /// Commits everything queued, in one transaction, unless a commit is already in flight.
    fn flush(&mut self, ctx: &mut Context<Self>) {
        if self.retired {
            return self.refuse_queued();
        }
        if self.flushing || (self.outbox.is_empty() && self.waiting.is_empty()) {
            return;
        }
        self.flushing = true;
        let batch = std::mem::take(&mut self.outbox);
        let waiting = std::mem::take(&mut self.waiting);
        let (shared, lease) = (self.shared.clone(), self.lease);
        ctx.spawn(async move { persist::commit(&shared, lease, batch).await }.in_runtime().into_actor(self).map(
            move |result, act, ctx| {
                act.flushing = false;
                let outcome = match result {
                    Ok(Flushed { pushes }) => {
                        for push in pushes {
                            push.send(&act.shared.hub, act.lease.account_id);
                        }
                        Ok(())
                    }
                    Err(persist::FlushError::Fenced) => {
                        tracing::warn!(account_id = %act.lease.account_id, epoch = act.lease.epoch, "the account's lease is no longer this node's; nothing was committed");
                        let _ = act.shared.lost.send(act.lease);
                        act.retire(ctx);
                        Err(DispatchRefusal::Unavailable)
                    }
                    Err(persist::FlushError::Conflict) => {
                        tracing::info!(account_id = %act.lease.account_id, "the database changed under a decision; rebuilding");
                        act.rebuild(ctx);
                        Ok(())
                    }
                    Err(persist::FlushError::Database(e)) => {
                        tracing::error!(account_id = %act.lease.account_id, error = %e, "could not commit dispatching decisions");
                        act.stale = true;
                        Err(DispatchRefusal::Unavailable)
                    }
                };
                for w in waiting {
                    let _ = w.send(outcome.clone());
                }
                act.flush(ctx);
            },
        ));
    }

    /// Queues a refusal-or-success answer to be given once the current outbox commits.
    fn answer_after_commit(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> oneshot::Receiver<Result<(), DispatchRefusal>> {
        let (tx, rx) = oneshot::channel();
        self.waiting.push(tx);
        self.flush(ctx);
        rx
    }

    /// Whether a manager of the account may be looking at the wallboard.
    fn watched(&self) -> bool {
        self.managers.iter().any(|id| self.board.is_present(*id))
            || self.shared.hub.has_local_managers(self.lease.account_id)
    }

    /// Computes the wallboard and pushes it to the account's managers, when one is connected
    /// and something changed since the last frame (so at most twice a second).
    fn push_wallboard(&mut self, ctx: &mut Context<Self>) {
        if !self.wallboard_dirty || self.wallboard_in_flight || !self.watched() {
            return;
        }
        self.wallboard_dirty = false;
        self.wallboard_in_flight = true;
        self.shared.metrics.wallboard_computed();
        let computing = self.shared.wallboards.serialised(self.lease.account_id);
        ctx.spawn(
            computing
                .in_runtime()
                .into_actor(self)
                .map(|computed, act, _| {
                    act.wallboard_in_flight = false;
                    let frame = computed.and_then(|wallboard| {
                        EventFrame::new(&ServerEvent::Wallboard { wallboard })
                            .map_err(|e| e.to_string())
                    });
                    match frame {
                        Ok(frame) => act
                            .shared
                            .hub
                            .push_to_managers(act.lease.account_id, &frame),
                        Err(e) => {
                            tracing::warn!(error = %e, "wallboard could not be computed");
                            act.wallboard_dirty = true;
                        }
                    }
                }),
        );
    }

    /// Applies freshly loaded agents to the board.
    fn apply_agents(&mut self, ctx: &mut Context<Self>, loaded: Vec<(UserId, Option<AgentEntry>)>) {
        for (id, entry) in loaded {
            // Asked for again while this was read: its work state may predate a change the
            // board already holds (applied at once); the next reload brings it.
            let asked_again = self.reloads_wanted.contains(&id);
            match entry {
                Some(agent) => self.decide(ctx, |board| {
                    let agent = match board.agent(id) {
                        Some(known) if asked_again => agent.keeping_work_state_of(known),
                        _ => agent,
                    };
                    board.upsert_agent(agent, Utc::now())
                }),
                None => self.decide(ctx, |board| board.remove_agent(id, Utc::now())),
            }
        }
    }

    /// Reloads every agent asked for since the last reload, in one batch, without blocking
    /// the mailbox; asks made meanwhile go into the next batch.
    fn reload_agents(&mut self, ctx: &mut Context<Self>) {
        if self.reloading || self.reloads_wanted.is_empty() {
            return;
        }
        self.reloading = true;
        let ids: Vec<UserId> = std::mem::take(&mut self.reloads_wanted)
            .into_iter()
            .collect();
        let (shared, account_id) = (self.shared.clone(), self.lease.account_id);
        ctx.spawn(
            async move {
                rebuild::agents(&shared.pool, shared.presence.as_ref(), account_id, &ids).await
            }
            .in_runtime()
            .into_actor(self)
            .map(|loaded, act, ctx| {
                act.reloading = false;
                match loaded {
                    Ok(loaded) => act.apply_agents(ctx, loaded),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not reload agents");
                        act.stale = true;
                    }
                }
                act.reload_agents(ctx);
            }),
        );
    }

    /// Moves on the tickets held unopened past the return timer, when the account has one;
    /// a pass that moves nothing leaves the wallboard alone.
    fn check_return_timer(&mut self, ctx: &mut Context<Self>) {
        if self.stale || !self.settings.has_return_timer() {
            return;
        }
        let now = Utc::now();
        if let Some(decisions) = self.guarded(ctx, |board| board.return_unopened(now)) {
            if !decisions.is_empty() {
                self.wallboard_dirty = true;
                self.outbox
                    .extend(decisions.into_iter().map(Outgoing::Decision));
                self.flush(ctx);
            }
        }
    }

    /// Gives queued tickets whose routing group's queue overflowed to the overflow group's
    /// agents, when a group of the account overflows (reason `overflow`, committed with the
    /// event before it is pushed, like every decision).
    fn check_overflow(&mut self, ctx: &mut Context<Self>) {
        if self.stale || !self.board.has_overflow() {
            return;
        }
        let now = Utc::now();
        if let Some(decisions) = self.guarded(ctx, |board| board.overflow_queued(now)) {
            if !decisions.is_empty() {
                self.wallboard_dirty = true;
                self.outbox
                    .extend(decisions.into_iter().map(Outgoing::Decision));
                self.flush(ctx);
            }
        }
    }

    /// Commits nothing more and stops (the supervisor leaves it stopped once the node has
    /// forgotten its address).
    fn retire(&mut self, ctx: &mut Context<Self>) {
        self.retired = true;
        self.refuse_queued();
        ctx.stop();
    }

    /// Drops what was decided but not committed, and answers whoever waits on it that the
    /// dispatcher is unavailable.
    fn refuse_queued(&mut self) {
        self.outbox.clear();
        for w in self.waiting.drain(..) {
            let _ = w.send(Err(DispatchRefusal::Unavailable));
        }
    }

    fn want_reload(&mut self, ctx: &mut Context<Self>, agent_id: UserId) {
        self.reloads_wanted.insert(agent_id);
        self.reload_agents(ctx);
    }
}

impl Actor for Dispatcher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(100_000);
        if self.retired {
            return;
        }
        self.rebuild(ctx);
        ctx.run_interval(WALLBOARD_EVERY, |act, ctx| act.push_wallboard(ctx));
        ctx.run_interval(RETURN_CHECK_EVERY, |act, ctx| {
            act.check_return_timer(ctx);
            act.check_overflow(ctx);
        });
        ctx.run_interval(RECHECK_EVERY, |act, ctx| {
            for agent in act.rechecks.take_due(Instant::now()) {
                act.want_reload(ctx, agent);
            }
        });
        ctx.run_interval(SWEEP_EVERY, |act, ctx| {
            if act.stale {
                return act.rebuild(ctx);
            }
            let Some(ids) = act.guarded(ctx, |board| board.agent_ids()) else {
                return;
            };
            let (presence, account_id) = (act.shared.presence.clone(), act.lease.account_id);
            ctx.spawn(
                async move {
                    presence
                        .presence_of(account_id, &ids)
                        .await
                        .map(|p| (ids, p))
                }
                .in_runtime()
                .into_actor(act)
                .map(|found, act, ctx| {
                    let now = Utc::now();
                    if let Ok((ids, presence)) = found {
                        let present = ids
                            .iter()
                            .zip(presence)
                            .map(|(id, p)| (*id, p != crate::presence::Presence::Offline));
                        let present: Vec<(UserId, bool)> = present.collect();
                        act.decide(ctx, |board| board.set_presence(&present, now));
                    }
                    act.decide(ctx, |board| board.sweep(now));
                }),
            );
        });
    }
}

impl Supervised for Dispatcher {
    fn restarting(&mut self, _: &mut Self::Context) {
        tracing::warn!(account_id = %self.lease.account_id, "dispatcher restarting");
        self.refuse_queued();
        self.flushing = false;
        self.stale = true;
    }
}

impl Handler<TicketCreated> for Dispatcher {
    type Result = ();
    #[tracing::instrument(skip_all, fields(account_id = %self.lease.account_id, ticket_id = %msg.ticket_id))]
    fn handle(&mut self, msg: TicketCreated, ctx: &mut Self::Context) {
        self.decide(ctx, |board| {
            board.ticket_created(
                msg.ticket_id,
                msg.traits,
                msg.created_at,
                msg.previous_agent,
                Utc::now(),
            )
        });
    }
}

impl Handler<TicketChanged> for Dispatcher {
    type Result = ();
    #[tracing::instrument(skip_all, fields(account_id = %self.lease.account_id, ticket_id = %msg.ticket_id))]
    fn handle(&mut self, msg: TicketChanged, ctx: &mut Self::Context) {
        self.outbox
            .push(Outgoing::Changed(msg.ticket_id, msg.change, msg.known));
        let now = Utc::now();
        let id = msg.ticket_id;
        self.decide(ctx, |board| match msg.change {
            TicketChange::MessageArrived { .. } => board.message_arrived(id, now),
            TicketChange::Replied { .. } => board.ticket_answered(id, now),
            TicketChange::Opened => board.ticket_opened(id, now),
            TicketChange::Pending => board.ticket_pending(id, now),
            TicketChange::Done => board.ticket_done(id, now),
            TicketChange::Parked => board.ticket_parked(id, now),
        });
    }
}

impl Handler<FollowUpDue> for Dispatcher {
    type Result = ();
    #[tracing::instrument(skip_all, fields(account_id = %self.lease.account_id, ticket_id = %msg.ticket_id))]
    fn handle(&mut self, msg: FollowUpDue, ctx: &mut Self::Context) {
        let entry = TicketEntry {
            id: msg.ticket_id,
            traits: msg.traits,
            state: crate::domain::ticket::TicketState::Queued,
            assignee: None,
            unanswered: msg.unanswered,
            created_at: msg.created_at,
            assigned_at: None,
            previous_agent: msg.agent,
            pinned: false,
            lapsed_with: Vec::new(),
        };
        self.decide(ctx, |board| {
            board.follow_up_due(entry, msg.agent, Utc::now())
        });
    }
}

impl Dispatcher {
    /// Applies a manager's assignment to the board and queues it for commit.
    fn assign_now(
        &mut self,
        msg: &AssignTicket,
        ctx: &mut Context<Self>,
    ) -> Result<oneshot::Receiver<Result<(), DispatchRefusal>>, DispatchRefusal> {
        let decided = self.guarded(ctx, |board| {
            board.assign_by_manager(msg.ticket_id, msg.agent_id, msg.force, Utc::now())
        });
        match decided {
            Some(Ok(decisions)) => {
                self.outbox.extend(
                    decisions
                        .into_iter()
                        .map(|d| Outgoing::ByManager(d, msg.manager_id)),
                );
                Ok(self.answer_after_commit(ctx))
            }
            Some(Err(refusal)) => Err(refusal.into()),
            None => Err(DispatchRefusal::Unavailable),
        }
    }
}

impl Handler<AssignTicket> for Dispatcher {
    type Result = ResponseActFuture<Self, Result<(), DispatchRefusal>>;

    /// Reloads the agent first (their card or activity may have just changed), then assigns.
    #[tracing::instrument(skip_all, fields(account_id = %self.lease.account_id, ticket_id = %msg.ticket_id, user_id = %msg.agent_id))]
    fn handle(&mut self, msg: AssignTicket, _: &mut Self::Context) -> Self::Result {
        let (shared, account_id, agent) =
            (self.shared.clone(), self.lease.account_id, msg.agent_id);
        let load = async move {
            rebuild::agents(&shared.pool, shared.presence.as_ref(), account_id, &[agent]).await
        };
        Box::pin(
            load.in_runtime()
                .into_actor(self)
                .then(move |loaded, act, ctx| {
                    if let Ok(loaded) = loaded {
                        act.apply_agents(ctx, loaded);
                    }
                    let answer = act.assign_now(&msg, ctx);
                    async move {
                        match answer {
                            Ok(rx) => rx.await.unwrap_or(Err(DispatchRefusal::Unavailable)),
                            Err(refusal) => Err(refusal),
                        }
                    }
                    .in_runtime()
                    .into_actor(act)
                }),
        )
    }
}

impl Handler<ClaimTicket> for Dispatcher {
    type Result = ResponseFuture<Result<(), DispatchRefusal>>;
    #[tracing::instrument(skip_all, fields(account_id = %self.lease.account_id, ticket_id = %msg.ticket_id, user_id = %msg.agent_id))]
    fn handle(&mut self, msg: ClaimTicket, ctx: &mut Self::Context) -> Self::Result {
        let claimed = self.guarded(ctx, |board| {
            board.claim(msg.ticket_id, msg.agent_id, Utc::now())
        });
        match claimed {
            Some(Ok(decisions)) => {
                self.outbox
                    .extend(decisions.into_iter().map(Outgoing::Decision));
                let rx = self.answer_after_commit(ctx);
                Box::pin(async move { rx.await.unwrap_or(Err(DispatchRefusal::Unavailable)) })
            }
            Some(Err(refusal)) => Box::pin(async move { Err(refusal.into()) }),
            None => Box::pin(async move { Err(DispatchRefusal::Unavailable) }),
        }
    }
}

impl Handler<AgentChanged> for Dispatcher {
    type Result = ();
    fn handle(&mut self, msg: AgentChanged, ctx: &mut Self::Context) {
        if let Some(change) = msg.switched {
            // At once: the reload below reads the database without holding the mailbox, and
            // a new ticket arriving meanwhile must not go to an agent who has just paused.
            self.decide(ctx, |board| match board.agent(msg.agent_id).cloned() {
                Some(entry) => board.upsert_agent(entry.after(change), Utc::now()),
                None => Vec::new(),
            });
        }
        self.want_reload(ctx, msg.agent_id);
    }
}

impl Handler<RecheckAgentAfter> for Dispatcher {
    type Result = ();
    fn handle(&mut self, msg: RecheckAgentAfter, _: &mut Self::Context) {
        let at = Instant::now() + msg.after + Duration::from_millis(100);
        self.rechecks.schedule(msg.agent_id, at);
    }
}

impl Handler<SettingsChanged> for Dispatcher {
    type Result = ();
    fn handle(&mut self, _: SettingsChanged, ctx: &mut Self::Context) {
        self.rebuild(ctx);
    }
}

impl Handler<OffersFor> for Dispatcher {
    type Result = Vec<TicketId>;
    fn handle(&mut self, msg: OffersFor, ctx: &mut Self::Context) -> Vec<TicketId> {
        self.guarded(ctx, |board| board.offers_for(msg.agent_id))
            .unwrap_or_default()
    }
}

impl Handler<Retire> for Dispatcher {
    type Result = ();
    fn handle(&mut self, _: Retire, ctx: &mut Self::Context) {
        self.retire(ctx);
    }
}

impl Handler<Drain> for Dispatcher {
    type Result = ResponseFuture<()>;

    /// Answers once everything decided so far is committed (or could not be).
    fn handle(&mut self, _: Drain, ctx: &mut Self::Context) -> Self::Result {
        let committed = self.answer_after_commit(ctx);
        Box::pin(async move {
            let _ = committed.await;
        })
    }
}
