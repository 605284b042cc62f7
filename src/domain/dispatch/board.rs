//! The board: one account's agents, open tickets and queue, and every rule of SPEC §2.
//!
//! Each public event method applies the event, decides, applies its own decisions, and
//! returns them in the order they must be committed and pushed.

use super::ranking::{Rank, Ranking};
use super::{AgentEntry, Decision, Reason, Refusal, TicketEntry};
use crate::domain::account::{AssignmentStrategy, Settings};
use crate::domain::card::TicketTraits;
use crate::domain::ids::{GroupId, TicketId, UserId};
use crate::domain::routing::{overflow_open, Overflow, RoutingGroup};
use crate::domain::stage::Stage;
use crate::domain::ticket::{TicketAction, TicketState};
use chrono::{DateTime, Duration, Utc};
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

/// How long a broadcast offer waits for a claim before falling back to `balanced`.
pub const OFFER_SECONDS: i64 = 30;
/// A bound on rebalancing moves per event, so one event can never stall the dispatcher.
const MAX_MOVES_PER_EVENT: usize = 10_000;

#[derive(Debug, Clone)]
struct Agent {
    entry: AgentEntry,
    unanswered: u32,
    active: u32,
    last_assigned: u64,
    /// This agent's `assigned` (unopened) tickets, oldest first: the only ones that move.
    unopened: BTreeSet<(DateTime<Utc>, TicketId)>,
}

impl Agent {
    fn new(entry: AgentEntry) -> Agent {
        Agent {
            entry,
            unanswered: 0,
            active: 0,
            last_assigned: 0,
            unopened: BTreeSet::new(),
        }
    }

    fn rank(&self) -> Rank {
        Rank {
            unanswered: self.unanswered,
            active: self.active,
            last_assigned: self.last_assigned,
            agent: self.entry.id,
        }
    }

    fn under_cap(&self) -> bool {
        self.entry
            .card
            .max_active
            .is_none_or(|cap| i64::from(self.active) < i64::from(cap))
    }

    /// Whether this agent may be given a ticket with these traits right now; `overflow` is
    /// the group whose agents may also take it (its own group's queue overflowed).
    fn eligible_for(&self, traits: &TicketTraits, overflow: Option<GroupId>) -> bool {
        self.entry.available() && self.under_cap() && self.card_takes(traits, overflow)
    }

    /// The card takes the ticket, as a member of its group or of the group it overflowed to.
    fn card_takes(&self, traits: &TicketTraits, overflow: Option<GroupId>) -> bool {
        self.entry.card.matches(traits)
            || overflow.is_some_and(|g| self.entry.card.matches_in(traits, g))
    }
}

/// The one way the board changes a ticket's state: through the state machine. An action the
/// machine refuses in the ticket's state leaves it as it is (the board hears of every change
/// after it was committed, so a refusal here only means there is nothing to do).
fn advance(ticket: &mut TicketEntry, action: TicketAction) {
    if let Ok(next) = ticket.state.apply(action) {
        ticket.state = next;
    }
}

#[derive(Debug, Clone)]
struct Offer {
    agents: Vec<UserId>,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Ticket {
    entry: TicketEntry,
    offer: Option<Offer>,
}

impl Ticket {
    fn queue_key(&self) -> (DateTime<Utc>, TicketId) {
        (self.entry.created_at, self.entry.id)
    }
}

/// The live dispatching state of one account.
#[derive(Debug, Clone)]
pub struct Board {
    strategy: AssignmentStrategy,
    threshold: u32,
    agents: HashMap<UserId, Agent>,
    tickets: HashMap<TicketId, Ticket>,
    /// Queued tickets, oldest first.
    queue: BTreeSet<(DateTime<Utc>, TicketId)>,
    /// Available agents in the order they get work.
    ranking: Ranking,
    /// Available agents by id, for round robin.
    available: BTreeSet<UserId>,
    /// Available agents holding unopened tickets, most unanswered first: who gives in a rebalance.
    donors: BTreeSet<(Reverse<u32>, UserId)>,
    assignments: u64,
    round_robin_last: UserId,
    /// How long an agent may hold a ticket of each stage unopened before it moves on; a stage
    /// left out: forever.
    return_after: HashMap<Stage, Duration>,
    /// The routing groups whose queued tickets may overflow to another group's agents.
    overflow: HashMap<GroupId, Overflow>,
    /// The time of the event being applied: what an assignment is stamped with.
    now: DateTime<Utc>,
}

impl Board {
    pub fn new(settings: &Settings) -> Board {
        let mut board = Board {
            strategy: AssignmentStrategy::Balanced,
            threshold: 2,
            agents: HashMap::new(),
            tickets: HashMap::new(),
            queue: BTreeSet::new(),
            ranking: Ranking::default(),
            available: BTreeSet::new(),
            donors: BTreeSet::new(),
            assignments: 0,
            round_robin_last: UserId(i64::MIN),
            return_after: HashMap::new(),
            overflow: HashMap::new(),
            now: DateTime::<Utc>::MIN_UTC,
        };
        board.update_settings(settings);
        board
    }

    /// Takes the account's strategy, rebalance threshold and return timer.
    pub fn update_settings(&mut self, settings: &Settings) {
        self.strategy = settings.assignment_strategy;
        self.threshold = u32::try_from(settings.rebalance_threshold.max(1)).unwrap_or(2);
        self.return_after = Stage::ALL
            .into_iter()
            .filter_map(|stage| {
                let seconds = settings.return_after(stage)?;
                Some((stage, Duration::seconds(i64::from(seconds))))
            })
            .collect();
    }

    /// Takes the account's routing groups (their overflow; which group a ticket is in is
    /// decided when it is opened, and travels with it).
    pub fn set_groups(&mut self, groups: &[RoutingGroup]) {
        self.overflow = groups
            .iter()
            .filter_map(|g| Some((g.id, g.overflow?)))
            .collect();
    }

    /// Whether the account has a group whose queue overflows (the dispatcher then looks
    /// every second).
    pub fn has_overflow(&self) -> bool {
        !self.overflow.is_empty()
    }

    /// The group whose agents may also take this ticket now: its group's overflow, once it
    /// has waited `overflow_after_seconds` in the queue (counted from its creation: the
    /// guest's wait). Only a queued ticket overflows; one already given to someone stays.
    fn overflow_of(&self, ticket: &Ticket) -> Option<GroupId> {
        if ticket.entry.state != TicketState::Queued {
            return None;
        }
        let group = ticket.entry.traits.group?;
        overflow_open(self.overflow.get(&group), ticket.entry.created_at, self.now)
    }

    /// Moves the board's clock to the event being applied (never backwards).
    fn tick(&mut self, now: DateTime<Utc>) {
        self.now = self.now.max(now);
    }

    // ----- indexes -------------------------------------------------------------------

    /// Takes an agent out of the indexes before its loads or state change.
    fn unindex(&mut self, id: UserId) {
        if let Some(a) = self.agents.get(&id) {
            self.ranking.remove(&a.rank());
            self.available.remove(&id);
            self.donors.remove(&(Reverse(a.unanswered), id));
        }
    }

    /// Puts an agent back into the indexes that fit its current loads and state.
    fn index(&mut self, id: UserId) {
        if let Some(a) = self.agents.get(&id) {
            if a.entry.available() {
                self.ranking.insert(a.rank());
                self.available.insert(id);
                if !a.unopened.is_empty() {
                    self.donors.insert((Reverse(a.unanswered), id));
                }
            }
        }
    }

    fn with_agent(&mut self, id: UserId, change: impl FnOnce(&mut Agent)) {
        self.unindex(id);
        if let Some(a) = self.agents.get_mut(&id) {
            change(a);
        }
        self.index(id);
    }

    /// Adds the ticket's weight to its assignee's loads.
    fn attach(&mut self, ticket_id: TicketId, agent_id: UserId) {
        let Some(t) = self.tickets.get(&ticket_id) else {
            return;
        };
        let (unanswered, unopened, key) = (
            t.entry.unanswered,
            t.entry.state == TicketState::Assigned,
            t.queue_key(),
        );
        self.with_agent(agent_id, |a| {
            a.active += 1;
            a.unanswered += u32::from(unanswered);
            if unopened {
                a.unopened.insert(key);
            }
        });
    }

    /// Removes the ticket's weight from its assignee's loads.
    fn detach(&mut self, ticket_id: TicketId) {
        let Some(t) = self.tickets.get(&ticket_id) else {
            return;
        };
        let Some(agent_id) = t.entry.assignee else {
            return;
        };
        let (unanswered, key) = (t.entry.unanswered, t.queue_key());
        self.with_agent(agent_id, |a| {
            a.active = a.active.saturating_sub(1);
            a.unanswered = a.unanswered.saturating_sub(u32::from(unanswered));
            a.unopened.remove(&key);
        });
    }

    // ----- loading -------------------------------------------------------------------

    /// Adds or replaces an agent without deciding anything (rebuilding from the database).
    pub fn load_agent(&mut self, entry: AgentEntry) {
        let id = entry.id;
        self.unindex(id);
        match self.agents.get_mut(&id) {
            Some(a) => a.entry = entry,
            None => {
                self.agents.insert(id, Agent::new(entry));
            }
        }
        self.index(id);
    }

    /// Adds an open ticket without deciding anything (rebuilding from the database).
    /// Tickets whose assignee is unknown to the board are loaded as theirs anyway: the
    /// database is the truth, and an unknown assignee simply takes no part in choices.
    pub fn load_ticket(&mut self, entry: TicketEntry) {
        if entry.state == TicketState::Done || self.tickets.contains_key(&entry.id) {
            return;
        }
        let (id, assignee) = (entry.id, entry.assignee);
        let ticket = Ticket { entry, offer: None };
        let key = ticket.queue_key();
        self.tickets.insert(id, ticket);
        match assignee {
            Some(agent) if self.agents.contains_key(&agent) => self.attach(id, agent),
            Some(_) => {}
            None => {
                self.queue.insert(key);
            }
        }
    }

    /// Every agent the board knows.
    pub fn agent_ids(&self) -> Vec<UserId> {
        let mut ids: Vec<UserId> = self.agents.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The tickets currently offered to `agent`.
    pub fn offers_for(&self, agent: UserId) -> Vec<TicketId> {
        let mut ids: Vec<TicketId> = self
            .tickets
            .values()
            .filter(|t| t.offer.as_ref().is_some_and(|o| o.agents.contains(&agent)))
            .map(|t| t.entry.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Who holds the ticket, if anyone.
    pub fn holder(&self, ticket: TicketId) -> Option<UserId> {
        self.tickets.get(&ticket).and_then(|t| t.entry.assignee)
    }

    /// The agent as the board knows them.
    pub fn agent(&self, id: UserId) -> Option<&AgentEntry> {
        self.agents.get(&id).map(|a| &a.entry)
    }

    /// The agent's (unanswered, active) loads.
    pub fn loads(&self, agent: UserId) -> Option<(u32, u32)> {
        self.agents.get(&agent).map(|a| (a.unanswered, a.active))
    }

    /// Whether the user has a live session on some node (or is within their grace period),
    /// as presence last said.
    pub fn is_present(&self, user: UserId) -> bool {
        self.agents.get(&user).is_some_and(|a| a.entry.present)
    }

    // ----- choosing ------------------------------------------------------------------

    /// Whether `agent` may be given `ticket` automatically right now: eligible by the rules,
    /// and not someone who let this ticket lapse.
    fn may_take(&self, agent: UserId, ticket: &Ticket) -> bool {
        self.may_take_in(agent, ticket, self.overflow_of(ticket))
    }

    /// [`Board::may_take`], counting the agents of `overflow` (a group whose agents may also
    /// take it) as well as those of the ticket's own group.
    fn may_take_in(&self, agent: UserId, ticket: &Ticket, overflow: Option<GroupId>) -> bool {
        self.agents
            .get(&agent)
            .is_some_and(|a| a.eligible_for(&ticket.entry.traits, overflow))
            && !ticket.entry.lapsed_with.contains(&agent)
    }

    /// Runs a choice among the ticket's own group first, and only when it finds nobody among
    /// its overflow group too (when the ticket's queue has overflowed).
    fn own_group_first(
        &self,
        ticket: &Ticket,
        choose: impl Fn(Option<GroupId>) -> Option<UserId>,
    ) -> Option<UserId> {
        choose(None).or_else(|| self.overflow_of(ticket).and_then(|o| choose(Some(o))))
    }

    /// The first available agent in ranking order who may take the ticket (of its own group
    /// first; of its overflow group when none of its own may).
    fn least_loaded_eligible(&self, ticket: &Ticket) -> Option<UserId> {
        self.own_group_first(ticket, |overflow| {
            self.ranking
                .iter()
                .map(|r| r.agent)
                .find(|id| self.may_take_in(*id, ticket, overflow))
        })
    }

    fn next_in_turn(&self, ticket: &Ticket) -> Option<UserId> {
        self.own_group_first(ticket, |overflow| {
            let after = self
                .available
                .range(UserId(self.round_robin_last.0.saturating_add(1))..);
            let before = self.available.range(..=self.round_robin_last);
            after
                .chain(before)
                .copied()
                .find(|id| self.may_take_in(*id, ticket, overflow))
        })
    }

    fn all_eligible(&self, ticket: &Ticket) -> Vec<UserId> {
        self.available
            .iter()
            .copied()
            .filter(|id| self.may_take(*id, ticket))
            .collect()
    }

    /// Rule 2: the previous agent, if eligible and not more than the threshold above the
    /// least-loaded eligible agent.
    fn follow_up_agent(&self, ticket: &Ticket) -> Option<UserId> {
        let prev = ticket.entry.previous_agent?;
        let agent = self.agents.get(&prev)?;
        if !self.may_take(prev, ticket) {
            return None;
        }
        let least = self.least_loaded_eligible(ticket)?;
        (agent.unanswered <= self.agents[&least].unanswered + self.threshold).then_some(prev)
    }

    /// Gives a queued ticket to `agent`.
    fn assign(
        &mut self,
        ticket_id: TicketId,
        agent_id: UserId,
        reason: Reason,
        out: &mut Vec<Decision>,
    ) {
        // A ticket in a group given to someone outside it went there by overflow.
        let reason = match (self.tickets.get(&ticket_id), self.agents.get(&agent_id)) {
            (Some(t), Some(a)) if !a.entry.card.matches(&t.entry.traits) => Reason::Overflow,
            _ => reason,
        };
        let Some(t) = self.tickets.get_mut(&ticket_id) else {
            return;
        };
        let key = t.queue_key();
        advance(&mut t.entry, TicketAction::Assign);
        t.entry.assignee = Some(agent_id);
        t.entry.assigned_at = Some(self.now);
        self.queue.remove(&key);
        self.assignments += 1;
        let stamp = self.assignments;
        self.attach(ticket_id, agent_id);
        self.with_agent(agent_id, |a| a.last_assigned = stamp);
        if self.strategy == AssignmentStrategy::RoundRobin {
            self.round_robin_last = agent_id;
        }
        out.push(Decision::Assign {
            ticket: ticket_id,
            agent: agent_id,
            reason,
        });
    }

    /// Takes an unopened ticket back into the queue.
    fn unassign(&mut self, ticket_id: TicketId, reason: Reason, out: &mut Vec<Decision>) {
        let Some(agent) = self.holder(ticket_id) else {
            return;
        };
        self.detach(ticket_id);
        if let Some(t) = self.tickets.get_mut(&ticket_id) {
            advance(&mut t.entry, TicketAction::Release);
            t.entry.assignee = None;
            t.entry.assigned_at = None;
            t.entry.pinned = false;
            let key = t.queue_key();
            self.queue.insert(key);
        }
        out.push(Decision::Unassign {
            ticket: ticket_id,
            agent,
            reason,
        });
    }

    /// Places a queued ticket by the rules; answers whether it found someone (or offered it).
    fn place(&mut self, ticket_id: TicketId, reason: Reason, out: &mut Vec<Decision>) -> bool {
        let Some(ticket) = self.tickets.get(&ticket_id) else {
            return false;
        };
        if ticket.entry.state != TicketState::Queued || ticket.offer.is_some() {
            return false;
        }
        if let Some(prev) = self.follow_up_agent(ticket) {
            self.assign(ticket_id, prev, Reason::FollowUp, out);
            return true;
        }
        let chosen = match self.strategy {
            AssignmentStrategy::RoundRobin => self.next_in_turn(ticket),
            AssignmentStrategy::Balanced | AssignmentStrategy::Broadcast => {
                self.least_loaded_eligible(ticket)
            }
        };
        match chosen {
            Some(agent) => {
                self.assign(ticket_id, agent, reason, out);
                true
            }
            None => false,
        }
    }

    /// Offers a new ticket to every eligible agent (broadcast); false when nobody is eligible.
    fn offer(&mut self, ticket_id: TicketId, now: DateTime<Utc>, out: &mut Vec<Decision>) -> bool {
        let Some(ticket) = self.tickets.get(&ticket_id) else {
            return false;
        };
        let agents = self.all_eligible(ticket);
        if agents.is_empty() {
            return false;
        }
        if let Some(t) = self.tickets.get_mut(&ticket_id) {
            t.offer = Some(Offer {
                agents: agents.clone(),
                expires_at: now + Duration::seconds(OFFER_SECONDS),
            });
        }
        out.push(Decision::Offer {
            ticket: ticket_id,
            agents,
        });
        true
    }

    // ----- rules that run after events -----------------------------------------------

    /// Rule 3: queued tickets that `agent` may take, oldest first, while they are eligible.
    fn drain_for(&mut self, agent: UserId, out: &mut Vec<Decision>) {
        let candidates: Vec<TicketId> = self.queue.iter().map(|(_, id)| *id).collect();
        for ticket_id in candidates {
            let Some(a) = self.agents.get(&agent) else {
                return;
            };
            if !a.entry.available() || !a.under_cap() {
                return;
            }
            let fits = self.tickets.get(&ticket_id).is_some_and(|t| {
                t.offer.is_none()
                    && a.card_takes(&t.entry.traits, self.overflow_of(t))
                    && !t.entry.lapsed_with.contains(&agent)
            });
            if fits {
                self.place(ticket_id, Reason::New, out);
            }
        }
    }

    /// Rule 3 for everyone: every queued ticket someone may take, oldest first.
    fn drain_all(&mut self, out: &mut Vec<Decision>) {
        if self.available.is_empty() {
            return;
        }
        let candidates: Vec<TicketId> = self.queue.iter().map(|(_, id)| *id).collect();
        for ticket_id in candidates {
            self.place(ticket_id, Reason::New, out);
        }
    }

    /// Rule 4: while an available agent is at least the threshold below another's unanswered
    /// count, the other's oldest unopened ticket the first may take moves to them. A threshold
    /// of 1 acts as 2: moving a ticket between loads one apart would only swap them.
    fn rebalance(&mut self, out: &mut Vec<Decision>) {
        let need = self.threshold.max(2);
        for _ in 0..MAX_MOVES_PER_EVENT {
            let Some(lightest) = self.ranking.iter().next().map(|r| r.unanswered) else {
                return;
            };
            let Some(&(Reverse(heaviest), _)) = self.donors.iter().next() else {
                return;
            };
            if heaviest < lightest + need {
                return;
            }
            match self.find_move(need) {
                Some((ticket, to)) => {
                    let from = self.tickets[&ticket].entry.assignee;
                    self.unassign(ticket, Reason::Rebalanced, out);
                    self.assign(ticket, to, Reason::Rebalanced, out);
                    // The donor may have been at its cap: a queued ticket only it may take
                    // can come to it now.
                    if let Some(from) = from {
                        self.drain_for(from, out);
                    }
                }
                None => return,
            }
        }
    }

    /// The heaviest donor's oldest unopened, unanswered ticket that the lightest possible
    /// receiver may take, with that receiver.
    fn find_move(&self, need: u32) -> Option<(TicketId, UserId)> {
        for &(Reverse(donor_load), donor) in &self.donors {
            let lightest = self.ranking.iter().next()?.unanswered;
            if donor_load < lightest + need {
                return None;
            }
            let held = &self.agents[&donor].unopened;
            for rank in self.ranking.iter() {
                if donor_load < rank.unanswered + need {
                    break;
                }
                let receiver = &self.agents[&rank.agent];
                if rank.agent == donor || !receiver.under_cap() {
                    continue;
                }
                let movable = held.iter().map(|(_, id)| &self.tickets[id]).find(|t| {
                    t.entry.unanswered
                        && !t.entry.pinned
                        && receiver.entry.card.matches(&t.entry.traits)
                        && !t.entry.lapsed_with.contains(&rank.agent)
                });
                if let Some(t) = movable {
                    return Some((t.entry.id, rank.agent));
                }
            }
        }
        None
    }

    /// Rule 6: an agent who left hands back their unopened tickets, which are dispatched again.
    /// A ticket a manager pinned to them loses its pin here: a guest must not wait for an agent
    /// who is gone, so it is dispatched like the others (and the manager hears of it).
    fn release_unopened(&mut self, agent: UserId, out: &mut Vec<Decision>) {
        let Some(a) = self.agents.get(&agent) else {
            return;
        };
        let held: Vec<TicketId> = a.unopened.iter().map(|(_, id)| *id).collect();
        for ticket in held {
            self.unassign(ticket, Reason::AgentLeft, out);
            if !self.place(ticket, Reason::AgentLeft, out) {
                out.push(Decision::Queue { ticket });
            }
        }
    }

    /// The return timer: an unopened ticket its agent has held for its stage's `return_after` moves to
    /// another agent who may take it, or back to the queue when there is none; it is never
    /// given back to an agent who let it lapse, and a pinned ticket never moves.
    fn return_lapsed(&mut self, now: DateTime<Utc>, out: &mut Vec<Decision>) {
        if self.return_after.is_empty() {
            return;
        }
        let mut lapsed: Vec<(DateTime<Utc>, TicketId, UserId)> = self
            .tickets
            .values()
            .filter(|t| t.entry.state == TicketState::Assigned && !t.entry.pinned)
            .filter_map(|t| {
                let after = self.return_after.get(&t.entry.traits.stage)?;
                let since = t.entry.assigned_at?;
                let agent = t.entry.assignee?;
                (since + *after <= now).then_some((since, t.entry.id, agent))
            })
            .collect();
        lapsed.sort_unstable();
        for (_, ticket, agent) in lapsed {
            self.unassign(ticket, Reason::ReturnTimer, out);
            if let Some(t) = self.tickets.get_mut(&ticket) {
                t.entry.lapsed_with.push(agent);
            }
            if !self.place(ticket, Reason::ReturnTimer, out) {
                out.push(Decision::Queue { ticket });
            }
        }
    }

    // ----- events --------------------------------------------------------------------

    /// A new ticket (queued in the database): follow-up, strategy, or queue.
    pub fn ticket_created(
        &mut self,
        id: TicketId,
        traits: TicketTraits,
        created_at: DateTime<Utc>,
        previous_agent: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Vec<Decision> {
        self.tick(now);
        let mut out = Vec::new();
        if !self.tickets.contains_key(&id) {
            let entry = TicketEntry {
                id,
                traits,
                state: TicketState::Queued,
                assignee: None,
                unanswered: true,
                created_at,
                assigned_at: None,
                previous_agent,
                pinned: false,
                lapsed_with: Vec::new(),
            };
            self.load_ticket(entry);
        }
        let Some(ticket) = self.tickets.get(&id) else {
            return out;
        };
        if ticket.entry.state != TicketState::Queued || ticket.offer.is_some() {
            return out;
        }
        let placed = match self.strategy {
            AssignmentStrategy::Broadcast => match self.follow_up_agent(ticket) {
                Some(prev) => {
                    self.assign(id, prev, Reason::FollowUp, &mut out);
                    true
                }
                None => self.offer(id, now, &mut out),
            },
            _ => self.place(id, Reason::New, &mut out),
        };
        if !placed {
            out.push(Decision::Queue { ticket: id });
        }
        out
    }

    /// A guest wrote again on an open ticket: it is unanswered again.
    pub fn message_arrived(&mut self, id: TicketId, now: DateTime<Utc>) -> Vec<Decision> {
        self.tick(now);
        self.set_unanswered(id, true);
        Vec::new()
    }

    /// Someone replied: the ticket is answered, its agent's load drops.
    pub fn ticket_answered(&mut self, id: TicketId, now: DateTime<Utc>) -> Vec<Decision> {
        self.tick(now);
        let mut out = Vec::new();
        self.set_state(id, TicketAction::Reply);
        self.set_unanswered(id, false);
        self.rebalance(&mut out);
        out
    }

    /// The assignee looked at it: it will never move automatically again.
    pub fn ticket_opened(&mut self, id: TicketId, now: DateTime<Utc>) -> Vec<Decision> {
        self.tick(now);
        self.set_state(id, TicketAction::Open);
        Vec::new()
    }

    /// Flagged for a manager.
    pub fn ticket_pending(&mut self, id: TicketId, now: DateTime<Utc>) -> Vec<Decision> {
        self.tick(now);
        if self
            .tickets
            .get(&id)
            .is_some_and(|t| t.entry.assignee.is_some())
        {
            self.set_state(id, TicketAction::MarkPending);
        }
        Vec::new()
    }

    /// Finished: it leaves the board, and its agent may take more.
    pub fn ticket_done(&mut self, id: TicketId, now: DateTime<Utc>) -> Vec<Decision> {
        self.leave_board(id, now)
    }

    /// Parked until a follow-up: it leaves the board like a finished ticket (its agent's load
    /// drops) until [`Board::follow_up_due`] brings it back.
    pub fn ticket_parked(&mut self, id: TicketId, now: DateTime<Utc>) -> Vec<Decision> {
        self.leave_board(id, now)
    }

    /// A parked ticket's follow-up time came (it is queued again in the database): it goes
    /// to `agent`, who parked it, when they may take it now (working, present, under their
    /// cap), else through normal dispatching; either way with reason `follow_up`.
    pub fn follow_up_due(
        &mut self,
        entry: TicketEntry,
        agent: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Vec<Decision> {
        self.tick(now);
        let mut out = Vec::new();
        let id = entry.id;
        if !self.tickets.contains_key(&id) {
            self.load_ticket(TicketEntry {
                state: TicketState::Queued,
                assignee: None,
                assigned_at: None,
                pinned: false,
                ..entry
            });
        }
        let Some(ticket) = self.tickets.get(&id) else {
            return out;
        };
        if ticket.entry.state != TicketState::Queued || ticket.offer.is_some() {
            return out;
        }
        match agent.filter(|a| self.may_take(*a, ticket)) {
            Some(agent) => self.assign(id, agent, Reason::FollowUp, &mut out),
            None => {
                if !self.place(id, Reason::FollowUp, &mut out) {
                    out.push(Decision::Queue { ticket: id });
                }
            }
        }
        out
    }

    /// Takes a ticket off the board; its agent may take more.
    fn leave_board(&mut self, id: TicketId, now: DateTime<Utc>) -> Vec<Decision> {
        self.tick(now);
        let mut out = Vec::new();
        let Some(t) = self.tickets.get(&id) else {
            return out;
        };
        let (assignee, key, offer) = (t.entry.assignee, t.queue_key(), t.offer.clone());
        self.detach(id);
        self.queue.remove(&key);
        self.tickets.remove(&id);
        if let Some(o) = offer {
            out.push(Decision::WithdrawOffer {
                ticket: id,
                agents: o.agents,
            });
        }
        if let Some(agent) = assignee {
            self.drain_for(agent, &mut out);
        }
        self.rebalance(&mut out);
        out
    }

    /// A manager gives a ticket to an agent, whatever its state (rule 5: only managers move
    /// opened tickets), and pins it there: no automatic move takes it away until the agent
    /// opens it or a manager moves it. An agent whose card does not take the ticket is refused
    /// with what does not match, unless the manager forces it; one who is not working may be
    /// chosen (the ticket waits for them).
    pub fn assign_by_manager(
        &mut self,
        ticket: TicketId,
        agent: UserId,
        force: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Decision>, Refusal> {
        self.tick(now);
        let t = self.tickets.get(&ticket).ok_or(Refusal::UnknownTicket)?;
        let chosen = self
            .agents
            .get(&agent)
            .filter(|a| a.entry.active)
            .ok_or(Refusal::UnknownAgent)?;
        let mismatches = chosen.entry.card.mismatches(&t.entry.traits);
        if !force && !mismatches.is_empty() {
            return Err(Refusal::CardMismatch(mismatches));
        }
        let mut out = Vec::new();
        if t.entry.assignee == Some(agent) {
            return Ok(out);
        }
        let (previous, offer) = (t.entry.assignee, t.offer.clone());
        if let Some(o) = offer {
            out.push(Decision::WithdrawOffer {
                ticket,
                agents: o.agents,
            });
        }
        self.detach(ticket);
        if let Some(t) = self.tickets.get_mut(&ticket) {
            t.offer = None;
            advance(&mut t.entry, TicketAction::Assign);
            t.entry.assignee = Some(agent);
            t.entry.assigned_at = Some(self.now);
            t.entry.pinned = true;
            let key = t.queue_key();
            self.queue.remove(&key);
        }
        self.assignments += 1;
        let stamp = self.assignments;
        self.attach(ticket, agent);
        self.with_agent(agent, |a| a.last_assigned = stamp);
        out.push(Decision::Assign {
            ticket,
            agent,
            reason: Reason::Manager,
        });
        if let Some(previous) = previous {
            self.drain_for(previous, &mut out);
        }
        self.rebalance(&mut out);
        Ok(out)
    }

    /// Broadcast: the first eligible agent to claim an offered ticket gets it.
    pub fn claim(
        &mut self,
        ticket: TicketId,
        agent: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Decision>, Refusal> {
        self.tick(now);
        let t = self.tickets.get(&ticket).ok_or(Refusal::UnknownTicket)?;
        let offered = t.offer.as_ref().is_some_and(|o| o.agents.contains(&agent));
        if !offered || t.entry.state != TicketState::Queued {
            return Err(Refusal::NotPossible(
                "this ticket is no longer on offer".into(),
            ));
        }
        let overflow = self.overflow_of(t);
        if !self
            .agents
            .get(&agent)
            .is_some_and(|a| a.eligible_for(&t.entry.traits, overflow))
        {
            return Err(Refusal::NotPossible(
                "you cannot take this ticket now (timer, pause or cap)".into(),
            ));
        }
        let mut out = Vec::new();
        let others: Vec<UserId> = t
            .offer
            .iter()
            .flat_map(|o| o.agents.iter().copied())
            .filter(|a| *a != agent)
            .collect();
        if let Some(t) = self.tickets.get_mut(&ticket) {
            t.offer = None;
        }
        self.assign(ticket, agent, Reason::New, &mut out);
        if !others.is_empty() {
            out.push(Decision::WithdrawOffer {
                ticket,
                agents: others,
            });
        }
        Ok(out)
    }

    /// An agent's work state, card, activity or presence changed.
    pub fn upsert_agent(&mut self, entry: AgentEntry, now: DateTime<Utc>) -> Vec<Decision> {
        self.tick(now);
        let id = entry.id;
        let was_on_duty = self.agents.get(&id).is_some_and(|a| a.entry.on_duty());
        self.load_agent(entry);
        let mut out = Vec::new();
        let Some(agent) = self.agents.get(&id) else {
            return out;
        };
        let (on_duty, available) = (agent.entry.on_duty(), agent.entry.available());
        if was_on_duty && !on_duty {
            self.release_unopened(id, &mut out);
        }
        if available {
            self.drain_for(id, &mut out);
            self.rebalance(&mut out);
        }
        out
    }

    /// A user no longer exists in the account: like leaving, then forgotten.
    pub fn remove_agent(&mut self, id: UserId, now: DateTime<Utc>) -> Vec<Decision> {
        let Some(agent) = self.agents.get(&id) else {
            return Vec::new();
        };
        let mut gone = agent.entry.clone();
        gone.active = false;
        let out = self.upsert_agent(gone, now);
        if self.agents.get(&id).is_some_and(|a| a.active == 0) {
            self.unindex(id);
            self.agents.remove(&id);
        }
        out
    }

    /// Presence as the store sees it now, for every listed agent.
    pub fn set_presence(
        &mut self,
        present: &[(UserId, bool)],
        now: DateTime<Utc>,
    ) -> Vec<Decision> {
        let mut out = Vec::new();
        for &(id, is_present) in present {
            let Some(agent) = self.agents.get(&id) else {
                continue;
            };
            if agent.entry.present != is_present {
                let mut entry = agent.entry.clone();
                entry.present = is_present;
                out.extend(self.upsert_agent(entry, now));
            }
        }
        out
    }

    /// The return timer's own pass, run more often than the sweep so a short setting is
    /// kept to the second: lapsed tickets move on, and what that frees is dispatched.
    pub fn return_unopened(&mut self, now: DateTime<Utc>) -> Vec<Decision> {
        self.tick(now);
        let mut out = Vec::new();
        self.return_lapsed(now, &mut out);
        if !out.is_empty() {
            self.drain_all(&mut out);
            self.rebalance(&mut out);
        }
        out
    }

    /// The overflow's own pass, run every second while a group overflows: queued tickets
    /// whose group's queue has overflowed go to the overflow group's agents (reason
    /// `overflow`) when none of their own group can take them.
    pub fn overflow_queued(&mut self, now: DateTime<Utc>) -> Vec<Decision> {
        self.tick(now);
        let mut out = Vec::new();
        if self.overflow.is_empty() || self.available.is_empty() {
            return out;
        }
        let due: Vec<TicketId> = self
            .queue
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| {
                self.tickets
                    .get(id)
                    .is_some_and(|t| t.offer.is_none() && self.overflow_of(t).is_some())
            })
            .collect();
        for ticket in due {
            self.place(ticket, Reason::New, &mut out);
        }
        out
    }

    /// The periodic pass: expired offers fall back to `balanced`, unopened tickets past the
    /// return timer move on, the queue drains, loads even out.
    pub fn sweep(&mut self, now: DateTime<Utc>) -> Vec<Decision> {
        self.tick(now);
        let mut out = Vec::new();
        let expired: Vec<TicketId> = self
            .tickets
            .values()
            .filter(|t| t.offer.as_ref().is_some_and(|o| o.expires_at <= now))
            .map(|t| t.entry.id)
            .collect();
        for ticket in expired {
            if let Some(offer) = self.tickets.get_mut(&ticket).and_then(|t| t.offer.take()) {
                out.push(Decision::WithdrawOffer {
                    ticket,
                    agents: offer.agents,
                });
            }
            if let Some(agent) = self
                .tickets
                .get(&ticket)
                .and_then(|t| self.least_loaded_eligible(t))
            {
                self.assign(ticket, agent, Reason::New, &mut out);
            }
        }
        self.return_lapsed(now, &mut out);
        self.drain_all(&mut out);
        self.rebalance(&mut out);
        out
    }

    // ----- small state changes -------------------------------------------------------

    /// Changes a ticket, keeping its assignee's loads right: its weight comes off before the
    /// change and goes back on after.
    fn update_ticket(&mut self, id: TicketId, change: impl FnOnce(&mut TicketEntry)) {
        let Some(assignee) = self.tickets.get(&id).map(|t| t.entry.assignee) else {
            return;
        };
        self.detach(id);
        if let Some(t) = self.tickets.get_mut(&id) {
            change(&mut t.entry);
        }
        if let Some(agent) = assignee {
            self.attach(id, agent);
        }
    }

    fn set_unanswered(&mut self, id: TicketId, unanswered: bool) {
        self.update_ticket(id, |t| t.unanswered = unanswered);
    }

    /// Moves a ticket through the state machine (`TicketState::apply`), keeping loads right.
    fn set_state(&mut self, id: TicketId, action: TicketAction) {
        self.update_ticket(id, |t| advance(t, action));
    }

    /// A ticket's traits (tests only).
    #[cfg(test)]
    pub(crate) fn traits_of(&self, ticket: TicketId) -> Option<TicketTraits> {
        self.tickets.get(&ticket).map(|t| t.entry.traits.clone())
    }

    /// An agent's unopened, unanswered tickets (tests only).
    #[cfg(test)]
    pub(crate) fn unopened_of(&self, agent: UserId) -> Vec<TicketId> {
        self.agents.get(&agent).map_or_else(Vec::new, |a| {
            a.unopened
                .iter()
                .map(|(_, id)| *id)
                .filter(|id| self.tickets[id].entry.unanswered)
                .collect()
        })
    }

    /// Checks every index against the tickets (tests only).
    #[cfg(test)]
    pub(crate) fn assert_consistent(&self) {
        let mut expected: HashMap<UserId, (u32, u32, usize)> = HashMap::new();
        for t in self.tickets.values() {
            match t.entry.assignee {
                Some(agent) if self.agents.contains_key(&agent) => {
                    let e = expected.entry(agent).or_default();
                    e.0 += u32::from(t.entry.unanswered);
                    e.1 += 1;
                    e.2 += usize::from(t.entry.state == TicketState::Assigned);
                    assert!(
                        !self.queue.contains(&t.queue_key()),
                        "assigned ticket {} is queued",
                        t.entry.id
                    );
                }
                Some(_) => {}
                None => {
                    assert_eq!(t.entry.state, TicketState::Queued);
                    assert!(
                        self.queue.contains(&t.queue_key()),
                        "queued ticket {} missing from the queue",
                        t.entry.id
                    );
                }
            }
        }
        assert_eq!(
            self.queue.len(),
            self.tickets
                .values()
                .filter(|t| t.entry.assignee.is_none())
                .count()
        );
        for (id, a) in &self.agents {
            let (unanswered, active, unopened) = expected.get(id).copied().unwrap_or_default();
            assert_eq!(
                (a.unanswered, a.active, a.unopened.len()),
                (unanswered, active, unopened),
                "loads of agent {id}"
            );
            assert_eq!(self.available.contains(id), a.entry.available());
        }
        assert_eq!(self.ranking.len(), self.available.len());
    }
}
