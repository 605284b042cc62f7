//! The inbox's views (SPEC §5 `GET /tickets?view=`): which tickets each tab shows, and which
//! tabs a ticket belongs to for the user looking at it. One rule, used by the server's lists
//! and by every ticket it sends, so the browser never re-implements it.

use super::ids::UserId;
use super::ticket::TicketState;
use serde::{Deserialize, Serialize};

/// A tab of the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Tickets in hand waiting for a reply (the agent's own; every one for a manager). A
    /// pending ticket waits for a manager, not for the agent, so it leaves this tab.
    Unanswered,
    /// The viewer's own open tickets.
    Mine,
    /// Tickets flagged for a manager (the agent's own; every one for a manager).
    Pending,
    /// Finished tickets (the agent's own; every one for a manager).
    Done,
    /// Tickets nobody has yet (the whole account's).
    Queued,
    /// Every ticket of the account.
    All,
    /// "My to-dos": tickets with an open to-do that are assigned to the viewer or whose open
    /// to-do the viewer wrote (`domain::todo::in_my_todos`).
    Todos,
    /// Tickets with an open to-do of kind `refund` (the whole account's).
    WaitingRefunds,
    /// Tickets whose reservation is confirmed and not fully paid (the whole account's).
    AwaitingPayment,
    /// Guests staying now whose ticket's mood is 3 or lower (the whole account's).
    StayingUnhappy,
    /// Tickets parked until a follow-up time (`domain::follow_up`): an agent's own (those that
    /// come back to them or that they parked); every one for a manager.
    FollowUps,
    /// Tickets whose reservation shares a night with another non-cancelled reservation of
    /// the same listing (`domain::calendar`; the whole account's).
    Overbooking,
    /// Tickets whose reservation went from inquiry or request to confirmed within the
    /// account's `recently_confirmed_days` (the whole account's), with who replied before.
    RecentlyConfirmed,
}

/// The order of a list of tickets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Newest first, by creation.
    #[default]
    Newest,
    /// Longest waiting first: by the oldest guest message not yet answered (a ticket that is
    /// answered, by its creation), so the guest who has waited longest is at the top.
    Waiting,
    /// Latest activity first: by the ticket's newest message, guest's or agent's (or its
    /// creation, if later), so a ticket a guest just wrote on comes to the top.
    Activity,
}

impl Order {
    pub fn parse(raw: &str) -> Result<Order, String> {
        match raw {
            "newest" => Ok(Order::Newest),
            "waiting" => Ok(Order::Waiting),
            "activity" => Ok(Order::Activity),
            other => Err(format!(
                "`{other}` is not an order (newest, waiting, activity)"
            )),
        }
    }
}

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: UserId,
    pub is_manager: bool,
}

/// What decides a ticket's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub state: TicketState,
    pub unanswered: bool,
    pub assignee: Option<UserId>,
    /// Parked until a follow-up time: out of the working tabs until it comes back.
    pub parked: bool,
}

/// The states a view shows, and whether it is limited to the viewer's own tickets.
pub struct Scope {
    /// Empty means every state.
    pub states: &'static [TicketState],
    pub only_unanswered: bool,
    /// Restricted to tickets assigned to this user.
    pub assignee: Option<UserId>,
    /// Leaves out tickets parked until a follow-up (the working tabs but `done` and `all`).
    pub unparked: bool,
    /// A guest view's own rule (to-dos, reservation, mood), which the store turns into SQL.
    pub guest: Option<GuestRule>,
}

/// The rule of a guest view (issue 14), beyond states and assignee; `domain::todo` says each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestRule {
    /// An open to-do on a ticket assigned to this user, or one this user wrote.
    TodosOf(UserId),
    OpenRefund,
    AwaitingPayment,
    StayingUnhappy,
    /// Parked until a follow-up and not done; `Some(user)`: coming back to that user or
    /// parked by them.
    FollowUpsOf(Option<UserId>),
    /// Its reservation (not cancelled) overlaps another non-cancelled one of its listing.
    Overbooked,
    /// Its reservation is confirmed, was an inquiry or request before, and was confirmed
    /// within the account's `recently_confirmed_days`.
    RecentlyConfirmed,
}

/// What decides a ticket's guest views, as the statement that reads the ticket finds it
/// (`store::tickets`): the rules that do not depend on who looks are already applied
/// (`domain::todo`, `domain::calendar`), the rest are the facts `GuestRule::holds` needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestFlags {
    /// Who wrote the ticket's open (not done) to-dos, one entry per to-do.
    pub open_todo_authors: Vec<UserId>,
    /// One of its open to-dos is a refund.
    pub open_refund: bool,
    pub awaiting_payment: bool,
    pub staying_unhappy: bool,
    pub overbooked: bool,
    pub recently_confirmed: bool,
    /// Parked until a follow-up and not done: whom it comes back to, and who parked it.
    pub follow_up: Option<(Option<UserId>, Option<UserId>)>,
}

impl GuestRule {
    /// Whether a ticket with these flags, assigned to `assignee`, meets the rule: the rule
    /// `store::guest_views::push_rule` says in SQL for the lists and counts.
    pub fn holds(self, f: &GuestFlags, assignee: Option<UserId>) -> bool {
        match self {
            GuestRule::TodosOf(me) => {
                !f.open_todo_authors.is_empty()
                    && (assignee == Some(me) || f.open_todo_authors.contains(&me))
            }
            GuestRule::OpenRefund => f.open_refund,
            GuestRule::AwaitingPayment => f.awaiting_payment,
            GuestRule::StayingUnhappy => f.staying_unhappy,
            GuestRule::FollowUpsOf(user) => f
                .follow_up
                .is_some_and(|(agent, by)| user.is_none_or(|u| agent == Some(u) || by == Some(u))),
            GuestRule::Overbooked => f.overbooked,
            GuestRule::RecentlyConfirmed => f.recently_confirmed,
        }
    }
}

/// Tickets an agent is working on.
const IN_HAND: &[TicketState] = &[TicketState::Assigned, TicketState::Opened];

/// Tickets an agent holds: in hand or waiting for a manager.
const OPEN: &[TicketState] = &[
    TicketState::Assigned,
    TicketState::Opened,
    TicketState::Pending,
];

impl View {
    /// The working tabs: a ticket's `views[]` lists those it shows in.
    pub const WORKING: [View; 6] = [
        View::Unanswered,
        View::Mine,
        View::Pending,
        View::Done,
        View::Queued,
        View::All,
    ];

    /// The guest views (issue 14): the inbox shows each as a tab with a count
    /// (`GET /tickets/counts`).
    pub const GUEST: [View; 7] = [
        View::FollowUps,
        View::Overbooking,
        View::RecentlyConfirmed,
        View::Todos,
        View::WaitingRefunds,
        View::AwaitingPayment,
        View::StayingUnhappy,
    ];

    /// The guest views whose tickets are the same whoever looks (the whole account's, in
    /// any state): the server pushes their counts to everyone of the account (`views.counts`).
    pub const ACCOUNT_WIDE: [View; 5] = [
        View::Overbooking,
        View::RecentlyConfirmed,
        View::WaitingRefunds,
        View::AwaitingPayment,
        View::StayingUnhappy,
    ];

    /// Every view `GET /tickets?view=` takes: the working tabs and the guest views.
    pub const ALL: [View; 13] = [
        View::Unanswered,
        View::Mine,
        View::Pending,
        View::Done,
        View::Queued,
        View::All,
        View::Todos,
        View::WaitingRefunds,
        View::AwaitingPayment,
        View::StayingUnhappy,
        View::FollowUps,
        View::Overbooking,
        View::RecentlyConfirmed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            View::Unanswered => "unanswered",
            View::Mine => "mine",
            View::Pending => "pending",
            View::Done => "done",
            View::Queued => "queued",
            View::All => "all",
            View::Todos => "todos",
            View::WaitingRefunds => "waiting_refunds",
            View::AwaitingPayment => "awaiting_payment",
            View::StayingUnhappy => "staying_unhappy",
            View::FollowUps => "follow_ups",
            View::Overbooking => "overbooking",
            View::RecentlyConfirmed => "recently_confirmed",
        }
    }

    pub fn parse(raw: &str) -> Result<View, String> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == raw)
            .ok_or_else(|| {
                format!(
                    "`{raw}` is not a view (unanswered, mine, pending, done, queued, all, \
                     todos, waiting_refunds, awaiting_payment, staying_unhappy, follow_ups, overbooking, recently_confirmed)"
                )
            })
    }

    /// The order a view is listed in unless the caller asks for another: the unanswered tab
    /// puts the guest who has waited longest first, every other tab the newest ticket.
    pub fn default_order(self) -> Order {
        match self {
            View::Unanswered => Order::Waiting,
            _ => Order::Newest,
        }
    }

    /// The rule of a view in [`View::ACCOUNT_WIDE`], the same whoever looks; `None` for
    /// every other view.
    pub fn account_wide_rule(self) -> Option<GuestRule> {
        match self {
            View::WaitingRefunds => Some(GuestRule::OpenRefund),
            View::AwaitingPayment => Some(GuestRule::AwaitingPayment),
            View::StayingUnhappy => Some(GuestRule::StayingUnhappy),
            View::Overbooking => Some(GuestRule::Overbooked),
            View::RecentlyConfirmed => Some(GuestRule::RecentlyConfirmed),
            _ => None,
        }
    }

    /// What the view shows to `viewer`: agents see their own tickets in their working tabs
    /// and the whole account in `queued` and `all`; managers see the whole account except in
    /// `mine`. The guest views hold the whole account's tickets (in any state) that meet their
    /// rule, except `todos`, which is the viewer's own.
    pub fn scope(self, viewer: Viewer) -> Scope {
        let own = (!viewer.is_manager).then_some(viewer.user_id);
        let guest = match self {
            View::Todos => Some(GuestRule::TodosOf(viewer.user_id)),
            View::FollowUps => Some(GuestRule::FollowUpsOf(own)),
            other => other.account_wide_rule(),
        };
        let (states, only_unanswered, assignee): (&'static [TicketState], bool, _) = match self {
            View::Unanswered => (IN_HAND, true, own),
            View::Mine => (OPEN, false, Some(viewer.user_id)),
            View::Pending => (&[TicketState::Pending], false, own),
            View::Done => (&[TicketState::Done], false, own),
            View::Queued => (&[TicketState::Queued], false, None),
            // `all` and every guest view: any state, anyone's (the guest rule narrows it).
            _ => (&[], false, None),
        };
        Scope {
            states,
            only_unanswered,
            assignee,
            unparked: matches!(
                self,
                View::Unanswered | View::Mine | View::Pending | View::Queued
            ),
            guest,
        }
    }

    /// Whether a ticket placed so shows in this working view for `viewer` (a guest view
    /// needs more than the placement: never here).
    pub fn shows(self, ticket: Placement, viewer: Viewer) -> bool {
        let scope = self.scope(viewer);
        scope.guest.is_none()
            && (scope.states.is_empty() || scope.states.contains(&ticket.state))
            && (!scope.only_unanswered || ticket.unanswered)
            && scope.assignee.is_none_or(|a| ticket.assignee == Some(a))
            && !(scope.unparked && ticket.parked)
    }

    /// Every view a ticket placed so, with these guest flags, shows in for `viewer`: the
    /// working tabs, then the guest views.
    pub fn all_showing(ticket: Placement, guest: &GuestFlags, viewer: Viewer) -> Vec<View> {
        let working = Self::WORKING
            .into_iter()
            .filter(|v| v.shows(ticket, viewer));
        let guest_views = Self::GUEST.into_iter().filter(|v| {
            v.scope(viewer)
                .guest
                .is_some_and(|rule| rule.holds(guest, ticket.assignee))
        });
        working.chain(guest_views).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const AGENT: Viewer = Viewer {
        user_id: UserId(7),
        is_manager: false,
    };
    const MANAGER: Viewer = Viewer {
        user_id: UserId(1),
        is_manager: true,
    };

    fn placed(state: TicketState, unanswered: bool, assignee: Option<i64>) -> Placement {
        Placement {
            state,
            unanswered,
            assignee: assignee.map(UserId),
            parked: false,
        }
    }

    #[test]
    fn a_parked_ticket_leaves_the_working_tabs_but_stays_in_all() {
        let t = Placement {
            parked: true,
            ..placed(TicketState::Opened, true, Some(7))
        };
        assert_eq!(
            View::all_showing(t, &GuestFlags::default(), AGENT),
            vec![View::All]
        );
        assert_eq!(
            View::FollowUps.scope(AGENT).guest,
            Some(GuestRule::FollowUpsOf(Some(UserId(7))))
        );
        assert_eq!(
            View::FollowUps.scope(MANAGER).guest,
            Some(GuestRule::FollowUpsOf(None))
        );
    }

    #[test]
    fn an_agents_unanswered_ticket_is_in_their_working_tabs() {
        let t = placed(TicketState::Assigned, true, Some(7));
        assert_eq!(
            View::all_showing(t, &GuestFlags::default(), AGENT),
            vec![View::Unanswered, View::Mine, View::All]
        );
        let answered = placed(TicketState::Opened, false, Some(7));
        assert_eq!(
            View::all_showing(answered, &GuestFlags::default(), AGENT),
            vec![View::Mine, View::All]
        );
    }

    #[test]
    fn someone_elses_ticket_shows_to_an_agent_only_in_all_but_to_a_manager_in_its_tabs() {
        let t = placed(TicketState::Pending, true, Some(9));
        assert_eq!(
            View::all_showing(t, &GuestFlags::default(), AGENT),
            vec![View::All]
        );
        assert_eq!(
            View::all_showing(t, &GuestFlags::default(), MANAGER),
            vec![View::Pending, View::All]
        );
        let queued = placed(TicketState::Queued, true, None);
        assert_eq!(
            View::all_showing(queued, &GuestFlags::default(), AGENT),
            vec![View::Queued, View::All]
        );
    }

    #[test]
    fn views_parse_by_their_wire_names() {
        for v in View::ALL {
            assert_eq!(View::parse(v.as_str()), Ok(v));
        }
        assert!(View::parse("everything").is_err());
        assert_eq!(View::parse("waiting_refunds"), Ok(View::WaitingRefunds));
        assert_eq!(View::parse("staying_unhappy"), Ok(View::StayingUnhappy));
        assert_eq!(Order::parse("waiting"), Ok(Order::Waiting));
        assert_eq!(Order::parse("newest"), Ok(Order::Newest));
        assert_eq!(Order::parse("activity"), Ok(Order::Activity));
        assert!(Order::parse("oldest").is_err());
        assert_eq!(View::Unanswered.default_order(), Order::Waiting);
        assert_eq!(View::All.default_order(), Order::Newest);
    }

    #[test]
    fn guest_views_span_the_account_except_my_todos() {
        for viewer in [AGENT, MANAGER] {
            let todos = View::Todos.scope(viewer);
            assert_eq!(todos.guest, Some(GuestRule::TodosOf(viewer.user_id)));
            for (view, rule) in [
                (View::WaitingRefunds, GuestRule::OpenRefund),
                (View::AwaitingPayment, GuestRule::AwaitingPayment),
                (View::StayingUnhappy, GuestRule::StayingUnhappy),
            ] {
                let scope = view.scope(viewer);
                assert_eq!(scope.guest, Some(rule));
                assert!(scope.states.is_empty() && scope.assignee.is_none());
            }
        }
        let t = placed(TicketState::Assigned, true, Some(7));
        assert!(
            !View::Todos.shows(t, AGENT),
            "a guest view is no working tab"
        );
    }

    #[test]
    fn account_wide_views_are_the_same_for_agents_and_managers() {
        for view in View::ACCOUNT_WIDE {
            let (agent, manager) = (view.scope(AGENT), view.scope(MANAGER));
            assert!(View::GUEST.contains(&view));
            assert_eq!(agent.guest, manager.guest, "{view:?}");
            assert_eq!(agent.guest, view.account_wide_rule());
            assert!(
                agent.assignee.is_none() && agent.states.is_empty(),
                "{view:?}"
            );
            assert!(!matches!(
                agent.guest,
                Some(GuestRule::TodosOf(_) | GuestRule::FollowUpsOf(_)) | None
            ));
        }
    }

    #[test]
    fn views_list_the_guest_views_a_ticket_meets_for_the_viewer() {
        // Agent 7's ticket with a refund to-do written by agent 9, overbooked, parked by 7.
        let t = placed(TicketState::Opened, false, Some(7));
        let flags = GuestFlags {
            open_todo_authors: vec![UserId(9)],
            open_refund: true,
            overbooked: true,
            follow_up: Some((Some(UserId(7)), Some(UserId(7)))),
            ..GuestFlags::default()
        };
        let parked = Placement { parked: true, ..t };
        assert_eq!(
            View::all_showing(parked, &flags, AGENT),
            vec![
                View::All,
                View::FollowUps,
                View::Overbooking,
                View::Todos,
                View::WaitingRefunds
            ]
        );
        // Another agent sees the account-wide ones, and the to-do only when they wrote it.
        let other = Viewer {
            user_id: UserId(9),
            is_manager: false,
        };
        assert_eq!(
            View::all_showing(parked, &flags, other),
            vec![
                View::All,
                View::Overbooking,
                View::Todos,
                View::WaitingRefunds
            ]
        );
        let stranger = Viewer {
            user_id: UserId(5),
            is_manager: false,
        };
        assert!(!View::all_showing(parked, &flags, stranger).contains(&View::Todos));
        // A manager sees every follow-up, but only their own to-dos.
        let manager_views = View::all_showing(parked, &flags, MANAGER);
        assert!(manager_views.contains(&View::FollowUps));
        assert!(!manager_views.contains(&View::Todos));
        let paid_unhappy = GuestFlags {
            awaiting_payment: true,
            staying_unhappy: true,
            recently_confirmed: true,
            ..GuestFlags::default()
        };
        assert_eq!(
            View::all_showing(t, &paid_unhappy, AGENT),
            vec![
                View::Mine,
                View::All,
                View::RecentlyConfirmed,
                View::AwaitingPayment,
                View::StayingUnhappy
            ]
        );
    }

    proptest! {
        /// Every ticket is in `all`; a ticket is in at most one of pending, done and queued;
        /// `mine` is only ever the viewer's own.
        #[test]
        fn views_are_consistent(
            state in 0usize..5, unanswered: bool, assignee in proptest::option::of(0i64..3),
            viewer in 0i64..3, is_manager: bool,
        ) {
            let t = placed(TicketState::ALL[state], unanswered, assignee);
            let viewer = Viewer { user_id: UserId(viewer), is_manager };
            let views = View::all_showing(t, &GuestFlags::default(), viewer);
            prop_assert!(views.contains(&View::All));
            let exclusive = views.iter().filter(|v| matches!(v, View::Pending | View::Done | View::Queued)).count();
            prop_assert!(exclusive <= 1);
            if views.contains(&View::Mine) {
                prop_assert_eq!(t.assignee, Some(viewer.user_id));
            }
            prop_assert!(!(views.contains(&View::Unanswered) && views.contains(&View::Pending)));
        }
    }
}
