//! Unit tests for each rule of SPEC §2, and properties over random event sequences.

use super::*;
use crate::domain::account::{AssignmentStrategy, Settings, StageTimers};
use crate::domain::channel::Channel;
use crate::domain::ids::{TicketId, UserId};
use crate::domain::stage::Stage;
use chrono::TimeZone;
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap()
}

fn at(seconds: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(seconds)
}

fn traits(stage: Stage, channel: &str, language: Option<&str>) -> TicketTraits {
    TicketTraits {
        stage,
        channel: Channel::parse(channel).unwrap(),
        language: language.map(str::to_string),
        listing_group: None,
        entry_point: None,
        group: None,
    }
}

fn any_ticket() -> TicketTraits {
    traits(Stage::PreBooking, "airbnb", Some("en"))
}

/// Ticket `n`.
fn tk(n: i64) -> TicketId {
    TicketId(n)
}

/// Agent `n`.
fn ag(n: i64) -> UserId {
    UserId(n)
}

fn agent(id: i64) -> AgentEntry {
    AgentEntry {
        id: ag(id),
        card: AgentCard::default(),
        active: true,
        working: true,
        intake_paused: false,
        present: true,
    }
}

fn board_with(strategy: AssignmentStrategy, threshold: i32, agents: &[AgentEntry]) -> Board {
    let settings = Settings {
        assignment_strategy: strategy,
        rebalance_threshold: threshold,
        ..Settings::default()
    };
    let mut board = Board::new(&settings);
    for a in agents {
        board.load_agent(a.clone());
    }
    board
}

fn assigned_to(decisions: &[Decision]) -> Vec<(i64, i64, Reason)> {
    decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Assign {
                ticket,
                agent,
                reason,
            } => Some((ticket.0, agent.0, *reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn balanced_spreads_by_unanswered_then_active_then_recency_then_id() {
    let mut b = board_with(
        AssignmentStrategy::Balanced,
        2,
        &[agent(1), agent(2), agent(3)],
    );
    let mut holders = Vec::new();
    for id in 10..16 {
        let d = b.ticket_created(tk(id), any_ticket(), at(id), None, at(id));
        holders.push(assigned_to(&d)[0].1);
    }
    assert_eq!(
        holders,
        vec![1, 2, 3, 1, 2, 3],
        "lowest id first, then least recently assigned"
    );
    // Agent 2 answers one ticket: they now have the fewest unanswered.
    b.ticket_answered(tk(11), at(20));
    let d = b.ticket_created(tk(20), any_ticket(), at(21), None, at(21));
    assert_eq!(assigned_to(&d), vec![(20, 2, Reason::New)]);
    b.assert_consistent();
}

#[test]
fn cards_and_caps_filter_who_is_eligible() {
    let mut pre = agent(1);
    pre.card.stages = [Stage::PreBooking].into();
    let mut vrbo_de = agent(2);
    vrbo_de.card.channels = [Channel::parse("vrbo").unwrap()].into();
    vrbo_de.card.languages = ["de".to_string()].into();
    vrbo_de.card.max_active = Some(1);
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[pre, vrbo_de]);
    let d = b.ticket_created(
        tk(1),
        traits(Stage::Booked, "vrbo", Some("de")),
        at(0),
        None,
        at(0),
    );
    assert_eq!(assigned_to(&d), vec![(1, 2, Reason::New)]);
    // Agent 2 is at their cap; agent 1 takes no booked tickets: queued.
    let d = b.ticket_created(
        tk(2),
        traits(Stage::Booked, "vrbo", Some("de")),
        at(1),
        None,
        at(1),
    );
    assert_eq!(d, vec![Decision::Queue { ticket: tk(2) }]);
    // Done drops agent 2 below the cap: the queued ticket follows at once.
    let d = b.ticket_done(tk(1), at(2));
    assert_eq!(assigned_to(&d), vec![(2, 2, Reason::New)]);
    b.assert_consistent();
}

#[test]
fn paused_or_absent_agents_get_nothing_and_the_queue_drains_oldest_first() {
    let mut paused = agent(1);
    paused.intake_paused = true;
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[paused.clone()]);
    for id in [5, 6] {
        assert_eq!(
            b.ticket_created(tk(id), any_ticket(), at(id), None, at(id)),
            vec![Decision::Queue { ticket: tk(id) }]
        );
    }
    paused.intake_paused = false;
    let d = b.upsert_agent(paused, at(10));
    assert_eq!(
        assigned_to(&d),
        vec![(5, 1, Reason::New), (6, 1, Reason::New)]
    );
    b.assert_consistent();
}

#[test]
fn a_work_state_change_applies_at_once_and_a_stale_read_keeps_it() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1)]);
    let fresh = b.agent(ag(1)).cloned().unwrap();
    let paused = fresh.clone().after(WorkChange::PauseIntake);
    assert!(paused.working && paused.intake_paused && paused.present);
    assert!(b.upsert_agent(paused.clone(), at(1)).is_empty());
    assert_eq!(
        b.ticket_created(tk(5), any_ticket(), at(2), None, at(2)),
        vec![Decision::Queue { ticket: tk(5) }]
    );
    // A read made before the pause keeps the board's work state, and takes the rest.
    let read = AgentEntry {
        active: false,
        ..fresh
    };
    let kept = read.keeping_work_state_of(&paused);
    assert!(!kept.active && kept.intake_paused && kept.working);
    // Stopping the timer also ends a pause.
    let stopped = paused.after(WorkChange::StopTimer);
    assert!(!stopped.working && !stopped.intake_paused);
    assert!(b.upsert_agent(stopped.clone(), at(3)).is_empty());
    let d = b.upsert_agent(stopped.after(WorkChange::StartTimer), at(4));
    assert_eq!(assigned_to(&d), vec![(5, 1, Reason::New)]);
    b.assert_consistent();
}

#[test]
fn round_robin_takes_turns() {
    let mut b = board_with(
        AssignmentStrategy::RoundRobin,
        2,
        &[agent(1), agent(2), agent(3)],
    );
    b.ticket_created(tk(1), any_ticket(), at(0), None, at(0));
    b.ticket_answered(tk(1), at(1));
    let mut order = Vec::new();
    for id in 2..8 {
        order.push(assigned_to(&b.ticket_created(tk(id), any_ticket(), at(id), None, at(id)))[0].1);
    }
    assert_eq!(order, vec![2, 3, 1, 2, 3, 1]);
}

#[test]
fn broadcast_offers_then_the_first_claim_wins_and_unclaimed_offers_fall_back() {
    let mut b = board_with(AssignmentStrategy::Broadcast, 2, &[agent(1), agent(2)]);
    let d = b.ticket_created(tk(1), any_ticket(), at(0), None, at(0));
    assert_eq!(
        d,
        vec![Decision::Offer {
            ticket: tk(1),
            agents: vec![ag(1), ag(2)]
        }]
    );
    assert_eq!(b.offers_for(ag(2)), vec![tk(1)]);
    let d = b.claim(tk(1), ag(2), at(3)).unwrap();
    assert_eq!(
        d,
        vec![
            Decision::Assign {
                ticket: tk(1),
                agent: ag(2),
                reason: Reason::New
            },
            Decision::WithdrawOffer {
                ticket: tk(1),
                agents: vec![ag(1)]
            }
        ]
    );
    assert_eq!(
        b.claim(tk(1), ag(1), at(4)),
        Err(Refusal::NotPossible(
            "this ticket is no longer on offer".into()
        ))
    );

    b.ticket_created(tk(2), any_ticket(), at(5), None, at(5));
    assert!(b.sweep(at(20)).is_empty(), "not expired yet");
    let d = b.sweep(at(5 + board::OFFER_SECONDS));
    assert_eq!(
        d[0],
        Decision::WithdrawOffer {
            ticket: tk(2),
            agents: vec![ag(1), ag(2)]
        }
    );
    assert_eq!(
        assigned_to(&d),
        vec![(2, 1, Reason::New)],
        "balanced fallback: agent 1 has less"
    );
    b.assert_consistent();
}

#[test]
fn a_follow_up_goes_to_the_previous_agent_unless_they_are_too_far_above_the_least_loaded() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1), agent(2)]);
    for id in 1..=2 {
        b.ticket_created(tk(id), any_ticket(), at(id), None, at(id));
    }
    // Agent 1 holds ticket 1, agent 2 ticket 2; loads 1 and 1.
    let d = b.ticket_created(tk(3), any_ticket(), at(3), Some(ag(2)), at(3));
    assert_eq!(assigned_to(&d), vec![(3, 2, Reason::FollowUp)]);
    // Agent 2 now has 2 unanswered; agent 1 has 1: still within the threshold.
    let d = b.ticket_created(tk(4), any_ticket(), at(4), Some(ag(2)), at(4));
    assert_eq!(assigned_to(&d), vec![(4, 2, Reason::FollowUp)]);
    // Agent 2 has 3, agent 1 has 1: exactly the threshold above, still allowed.
    let d = b.ticket_created(tk(5), any_ticket(), at(5), Some(ag(2)), at(5));
    assert_eq!(assigned_to(&d), vec![(5, 2, Reason::FollowUp)]);
    // Agent 2 has 4, agent 1 has 1: 4 > 1 + 2, so balanced wins.
    let d = b.ticket_created(tk(6), any_ticket(), at(6), Some(ag(2)), at(6));
    assert_eq!(assigned_to(&d), vec![(6, 1, Reason::New)]);
}

#[test]
fn rebalancing_moves_only_unopened_tickets_oldest_first() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1)]);
    for id in 1..=4 {
        b.ticket_created(tk(id), any_ticket(), at(id), None, at(id));
    }
    b.ticket_opened(tk(1), at(5));
    let d = b.upsert_agent(agent(2), at(6));
    assert_eq!(
        d,
        vec![
            Decision::Unassign {
                ticket: tk(2),
                agent: ag(1),
                reason: Reason::Rebalanced
            },
            Decision::Assign {
                ticket: tk(2),
                agent: ag(2),
                reason: Reason::Rebalanced
            },
            Decision::Unassign {
                ticket: tk(3),
                agent: ag(1),
                reason: Reason::Rebalanced
            },
            Decision::Assign {
                ticket: tk(3),
                agent: ag(2),
                reason: Reason::Rebalanced
            },
        ]
    );
    assert_eq!(b.holder(tk(1)), Some(ag(1)), "the opened ticket stays");
    b.assert_consistent();
}

#[test]
fn leaving_hands_back_unopened_tickets_and_keeps_opened_ones() {
    let mut b = board_with(AssignmentStrategy::Balanced, 10, &[agent(1), agent(2)]);
    for id in 1..=3 {
        let d = b.ticket_created(tk(id), any_ticket(), at(id), None, at(id));
        assert!(!d.is_empty());
    }
    // Agent 1 holds tickets 1 and 3; agent 2 holds 2.
    b.ticket_opened(tk(1), at(4));
    let mut gone = agent(1);
    gone.working = false;
    let d = b.upsert_agent(gone, at(5));
    assert_eq!(
        d,
        vec![
            Decision::Unassign {
                ticket: tk(3),
                agent: ag(1),
                reason: Reason::AgentLeft
            },
            Decision::Assign {
                ticket: tk(3),
                agent: ag(2),
                reason: Reason::AgentLeft
            },
        ]
    );
    assert_eq!(b.holder(tk(1)), Some(ag(1)));
    // Nobody left at all: the ticket is queued.
    let mut also_gone = agent(2);
    also_gone.present = false;
    let d = b.upsert_agent(also_gone, at(6));
    assert!(d.contains(&Decision::Queue { ticket: tk(3) }), "{d:?}");
    b.assert_consistent();
}

#[test]
fn a_rebalance_that_frees_a_capped_agent_hands_it_the_queued_ticket_only_it_may_take() {
    let mut capped = agent(1);
    capped.card.channels = [Channel::parse("vrbo").unwrap()].into();
    capped.card.max_active = Some(2);
    let mut newcomer = agent(2);
    newcomer.card.stages = [Stage::PreBooking].into();
    newcomer.working = false;
    let mut b = board_with(
        AssignmentStrategy::Balanced,
        2,
        &[capped.clone(), newcomer.clone()],
    );
    b.ticket_created(
        tk(1),
        traits(Stage::PreBooking, "vrbo", None),
        at(1),
        None,
        at(1),
    );
    b.ticket_created(
        tk(2),
        traits(Stage::PreBooking, "vrbo", None),
        at(2),
        None,
        at(2),
    );
    let staying = traits(Stage::Staying, "vrbo", None);
    assert_eq!(
        b.ticket_created(tk(3), staying, at(3), None, at(3)),
        vec![Decision::Queue { ticket: tk(3) }]
    );
    newcomer.working = true;
    let d = b.upsert_agent(newcomer, at(4));
    assert_eq!(b.holder(tk(1)), Some(ag(2)), "{d:?}");
    assert_eq!(
        b.holder(tk(3)),
        Some(ag(1)),
        "the freed slot takes the queued ticket: {d:?}"
    );
    b.assert_consistent();
}

#[test]
fn pausing_is_not_leaving() {
    let mut b = board_with(AssignmentStrategy::Balanced, 10, &[agent(1), agent(2)]);
    b.ticket_created(tk(1), any_ticket(), at(1), None, at(1));
    let mut paused = agent(1);
    paused.intake_paused = true;
    assert!(b.upsert_agent(paused, at(2)).is_empty());
    assert_eq!(b.holder(tk(1)), Some(ag(1)));
}

#[test]
fn a_manager_moves_even_an_opened_ticket() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1), agent(2)]);
    b.ticket_created(tk(1), any_ticket(), at(1), None, at(1));
    b.ticket_opened(tk(1), at(2));
    let d = b.assign_by_manager(tk(1), ag(2), false, at(3)).unwrap();
    assert_eq!(
        d,
        vec![Decision::Assign {
            ticket: tk(1),
            agent: ag(2),
            reason: Reason::Manager
        }]
    );
    assert_eq!(b.loads(ag(1)), Some((0, 0)));
    assert_eq!(b.loads(ag(2)), Some((1, 1)));
    assert_eq!(
        b.assign_by_manager(tk(9), ag(2), false, at(4)),
        Err(Refusal::UnknownTicket)
    );
    assert_eq!(
        b.assign_by_manager(tk(1), ag(9), false, at(4)),
        Err(Refusal::UnknownAgent)
    );
    b.assert_consistent();
}

#[test]
fn a_manager_cannot_assign_against_the_card_unless_forced() {
    let mut booked_only = agent(2);
    booked_only.card.stages = [Stage::Booked].into();
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1), booked_only]);
    b.ticket_created(tk(1), any_ticket(), at(1), None, at(1));
    assert_eq!(b.holder(tk(1)), Some(ag(1)));
    assert_eq!(
        b.assign_by_manager(tk(1), ag(2), false, at(2)),
        Err(Refusal::CardMismatch(vec![
            crate::domain::card::Mismatch::Stage
        ]))
    );
    assert_eq!(b.holder(tk(1)), Some(ag(1)), "a refusal changes nothing");
    let d = b.assign_by_manager(tk(1), ag(2), true, at(3)).unwrap();
    assert_eq!(assigned_to(&d), vec![(1, 2, Reason::Manager)]);
    // The pin holds: the sweep's rebalancing does not take it back to the card's agent.
    assert!(b.sweep(at(4)).is_empty());
    assert_eq!(b.holder(tk(1)), Some(ag(2)));
    b.assert_consistent();
}

#[test]
fn rebalancing_never_moves_a_pinned_ticket() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1), agent(2)]);
    for n in 1..=4 {
        b.ticket_created(tk(n), any_ticket(), at(n), None, at(n));
    }
    assert_eq!(b.holder(tk(2)), Some(ag(2)));
    assert_eq!(b.holder(tk(4)), Some(ag(2)));
    let mut d = b.assign_by_manager(tk(2), ag(1), false, at(5)).unwrap();
    d.extend(b.assign_by_manager(tk(4), ag(1), false, at(6)).unwrap());
    // Each pin leaves agent 1 two ahead: rebalancing evens them out with the tickets the
    // manager did not choose, oldest first, and leaves the pinned ones.
    let moved: Vec<(i64, i64, Reason)> = assigned_to(&d)
        .into_iter()
        .filter(|(_, _, r)| *r == Reason::Rebalanced)
        .collect();
    assert_eq!(
        moved,
        vec![(1, 2, Reason::Rebalanced), (3, 2, Reason::Rebalanced)]
    );
    assert_eq!(b.holder(tk(2)), Some(ag(1)));
    assert_eq!(b.holder(tk(4)), Some(ag(1)));
    b.assert_consistent();
}

#[test]
fn a_pinned_ticket_of_an_agent_who_leaves_is_dispatched_again() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1), agent(2)]);
    b.ticket_created(tk(1), any_ticket(), at(1), None, at(1));
    b.assign_by_manager(tk(1), ag(2), false, at(2)).unwrap();
    let mut gone = agent(2);
    gone.working = false;
    let d = b.upsert_agent(gone, at(3));
    assert_eq!(assigned_to(&d), vec![(1, 1, Reason::AgentLeft)]);
    b.assert_consistent();
}

fn with_return_timer(b: &mut Board, seconds: i32) {
    b.update_settings(&Settings {
        return_after_seconds: Some(seconds),
        ..Settings::default()
    });
}

fn unassigned(decisions: &[Decision]) -> Vec<(i64, i64, Reason)> {
    decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Unassign {
                ticket,
                agent,
                reason,
            } => Some((ticket.0, agent.0, *reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_return_timer_moves_a_lapsed_ticket_on_and_never_back_to_who_let_it_lapse() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1), agent(2)]);
    with_return_timer(&mut b, 60);
    b.ticket_created(tk(1), any_ticket(), at(0), None, at(0));
    assert_eq!(b.holder(tk(1)), Some(ag(1)));
    assert!(b.sweep(at(59)).is_empty(), "not yet");
    let d = b.sweep(at(60));
    assert_eq!(unassigned(&d), vec![(1, 1, Reason::ReturnTimer)]);
    assert_eq!(assigned_to(&d), vec![(1, 2, Reason::ReturnTimer)]);
    // Agent 2 lets it lapse too: nobody else may take it, so it waits in the queue, and no
    // later sweep or drain hands it back to either of them.
    let d = b.sweep(at(120));
    assert_eq!(unassigned(&d), vec![(1, 2, Reason::ReturnTimer)]);
    assert!(d.contains(&Decision::Queue { ticket: tk(1) }), "{d:?}");
    assert!(assigned_to(&b.sweep(at(200))).is_empty());
    assert_eq!(b.holder(tk(1)), None);
    // A newcomer takes it; a manager may still give it to anyone.
    let d = b.upsert_agent(agent(3), at(201));
    assert_eq!(assigned_to(&d), vec![(1, 3, Reason::New)]);
    b.assign_by_manager(tk(1), ag(1), false, at(202)).unwrap();
    assert_eq!(b.holder(tk(1)), Some(ag(1)));
    b.assert_consistent();
}

#[test]
fn the_return_timer_leaves_opened_and_pinned_tickets_and_is_off_by_default() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1), agent(2)]);
    b.ticket_created(tk(1), any_ticket(), at(0), None, at(0));
    assert!(b.sweep(at(1000)).is_empty(), "off by default");
    with_return_timer(&mut b, 60);
    b.ticket_created(tk(2), any_ticket(), at(1001), None, at(1001));
    b.ticket_created(tk(3), any_ticket(), at(1002), None, at(1002));
    b.ticket_opened(tk(2), at(1003));
    b.assign_by_manager(tk(3), ag(2), false, at(1004)).unwrap();
    // Ticket 1 (held since 0) moves; the opened 2 and the pinned 3 stay.
    let d = b.sweep(at(100_000));
    assert_eq!(unassigned(&d), vec![(1, 1, Reason::ReturnTimer)]);
    assert_eq!(b.holder(tk(2)), Some(ag(2)));
    assert_eq!(b.holder(tk(3)), Some(ag(2)));
    b.assert_consistent();
}

#[test]
fn a_stage_s_own_return_timer_moves_its_tickets_and_leaves_the_others() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1), agent(2)]);
    b.update_settings(&Settings {
        return_after_seconds_by_stage: StageTimers {
            pre_booking: Some(60),
            ..StageTimers::default()
        },
        ..Settings::default()
    });
    let inquiry = traits(Stage::PreBooking, "airbnb", Some("en"));
    let stay = traits(Stage::Staying, "airbnb", Some("en"));
    b.ticket_created(tk(1), inquiry, at(0), None, at(0));
    b.ticket_created(tk(2), stay, at(0), None, at(0));
    let d = b.return_unopened(at(1000));
    let returned: Vec<_> = unassigned(&d)
        .into_iter()
        .filter(|(_, _, reason)| *reason == Reason::ReturnTimer)
        .collect();
    assert_eq!(returned, vec![(1, 1, Reason::ReturnTimer)], "{d:?}");
    b.assert_consistent();
}

// ----- routing groups ------------------------------------------------------------------

fn in_group(t: TicketTraits, group: i64) -> TicketTraits {
    TicketTraits {
        group: Some(crate::domain::ids::GroupId(group)),
        ..t
    }
}

fn member_of(mut a: AgentEntry, groups: &[i64]) -> AgentEntry {
    a.card.groups = groups
        .iter()
        .map(|g| crate::domain::ids::GroupId(*g))
        .collect();
    a
}

fn groups_overflowing(from: i64, to: i64, after: i64) -> Vec<crate::domain::routing::RoutingGroup> {
    use crate::domain::ids::GroupId;
    use crate::domain::routing::{GroupRules, Overflow, RoutingGroup};
    vec![
        RoutingGroup {
            id: GroupId(from),
            rules: GroupRules::default(),
            min_agents: 0,
            overflow: Some(Overflow {
                group: GroupId(to),
                after: chrono::Duration::seconds(after),
            }),
        },
        RoutingGroup {
            id: GroupId(to),
            rules: GroupRules::default(),
            min_agents: 0,
            overflow: None,
        },
    ]
}

#[test]
fn a_ticket_in_a_group_goes_only_to_its_members_and_one_without_to_anyone() {
    let outsider = agent(1);
    let member = member_of(agent(2), &[10]);
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[outsider, member.clone()]);
    b.set_groups(&groups_overflowing(10, 20, 60));
    // Both idle: the outsider (lower id) would win a tie, but only the member may take it.
    let d = b.ticket_created(tk(1), in_group(any_ticket(), 10), at(0), None, at(0));
    assert_eq!(assigned_to(&d), vec![(1, 2, Reason::New)]);
    // The member pauses: the next one of the group waits although the outsider is free.
    let mut paused = member.clone();
    paused.intake_paused = true;
    b.upsert_agent(paused, at(1));
    let d = b.ticket_created(tk(2), in_group(any_ticket(), 10), at(2), None, at(2));
    assert_eq!(d, vec![Decision::Queue { ticket: tk(2) }]);
    // A ticket in no group goes to anyone, as without groups.
    let d = b.ticket_created(tk(3), any_ticket(), at(3), None, at(3));
    assert_eq!(assigned_to(&d), vec![(3, 1, Reason::New)]);
    // Back to work: the member drains the group's queue.
    let d = b.upsert_agent(member, at(4));
    assert_eq!(assigned_to(&d), vec![(2, 2, Reason::New)]);
    b.assert_consistent();
}

#[test]
fn a_queued_ticket_overflows_to_the_overflow_group_after_its_delay() {
    let spare = member_of(agent(1), &[20]);
    let stranger = agent(2);
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[spare, stranger]);
    b.set_groups(&groups_overflowing(10, 20, 30));
    assert!(b.has_overflow());
    let d = b.ticket_created(tk(1), in_group(any_ticket(), 10), at(0), None, at(0));
    assert_eq!(d, vec![Decision::Queue { ticket: tk(1) }]);
    assert!(b.overflow_queued(at(29)).is_empty());
    assert!(b.sweep(at(29)).is_empty());
    let d = b.overflow_queued(at(30));
    assert_eq!(assigned_to(&d), vec![(1, 1, Reason::Overflow)]);
    // Only a queued ticket overflows; the overflow group's member keeps it, and the stranger
    // (in no group) never gets one.
    assert_eq!(b.holder(tk(1)), Some(ag(1)));
    b.assert_consistent();
}

#[test]
fn the_ticket_s_own_group_comes_before_its_overflow_group() {
    let spare = member_of(agent(1), &[20]);
    let mut own = member_of(agent(2), &[10]);
    own.working = false;
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[spare, own.clone()]);
    b.set_groups(&groups_overflowing(10, 20, 30));
    // Give the overflow agent nothing and the own agent a load: still the own agent first.
    b.ticket_created(tk(1), in_group(any_ticket(), 10), at(0), None, at(0));
    own.working = true;
    b.ticket_created(tk(2), in_group(any_ticket(), 10), at(1), None, at(1));
    let d = b.upsert_agent(own, at(40));
    assert_eq!(
        assigned_to(&d),
        vec![(1, 2, Reason::New), (2, 2, Reason::New)]
    );
    b.assert_consistent();
}

#[test]
fn a_manager_assigning_outside_the_ticket_s_group_is_told_so() {
    let mut b = board_with(
        AssignmentStrategy::Balanced,
        2,
        &[agent(1), member_of(agent(2), &[10])],
    );
    b.set_groups(&groups_overflowing(10, 20, 30));
    b.ticket_created(tk(1), in_group(any_ticket(), 10), at(0), None, at(0));
    assert_eq!(
        b.assign_by_manager(tk(1), ag(1), false, at(1)),
        Err(Refusal::CardMismatch(vec![
            crate::domain::card::Mismatch::Group
        ]))
    );
    let d = b.assign_by_manager(tk(1), ag(1), true, at(1)).unwrap();
    assert_eq!(assigned_to(&d), vec![(1, 1, Reason::Manager)]);
    b.assert_consistent();
}

// ----- properties ----------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Event {
    Create {
        stage: usize,
        channel: usize,
        previous: Option<usize>,
        /// Whether the guest wrote to the desk's entry point (`desk-a`).
        desk: bool,
    },
    Open(usize),
    Answer(usize),
    Message(usize),
    Pending(usize),
    Done(usize),
    Timer(usize, bool),
    Pause(usize, bool),
    Presence(usize, bool),
    /// A manager assigns ticket `.0` to agent `.1`, forcing it past the card when `.2`.
    Manager(usize, usize, bool),
    /// Agent `.1` claims ticket `.0` (broadcast: only an offered ticket can be claimed).
    Claim(usize, usize),
    Sweep,
    /// The return timer's own pass.
    ReturnTimer,
    /// The overflow's own pass.
    Overflow,
}

const AGENTS: i64 = 5;
const CHANNELS: [&str; 2] = ["airbnb", "vrbo"];

fn event() -> impl Strategy<Value = Event> {
    let a = 0..AGENTS as usize;
    prop_oneof![
        4 => (0..4usize, 0..2usize, proptest::option::of(0..AGENTS as usize), any::<bool>()).prop_map(|(stage, channel, previous, desk)| Event::Create { stage, channel, previous, desk }),
        2 => (0..64usize).prop_map(Event::Open),
        2 => (0..64usize).prop_map(Event::Answer),
        1 => (0..64usize).prop_map(Event::Message),
        1 => (0..64usize).prop_map(Event::Pending),
        2 => (0..64usize).prop_map(Event::Done),
        1 => (a.clone(), any::<bool>()).prop_map(|(a, on)| Event::Timer(a, on)),
        1 => (a.clone(), any::<bool>()).prop_map(|(a, on)| Event::Pause(a, on)),
        1 => (a.clone(), any::<bool>()).prop_map(|(a, on)| Event::Presence(a, on)),
        1 => (0..64usize, a.clone(), any::<bool>()).prop_map(|(t, a, force)| Event::Manager(t, a, force)),
        2 => (0..64usize, a).prop_map(|(t, a)| Event::Claim(t, a)),
        1 => Just(Event::Sweep),
        1 => Just(Event::ReturnTimer),
        1 => Just(Event::Overflow),
    ]
}

/// A reference model of who holds what, updated only from the board's decisions.
#[derive(Default)]
struct Model {
    holder: HashMap<TicketId, UserId>,
    opened: HashSet<TicketId>,
    /// Tickets a manager gave to their holder, not moved since.
    pinned: HashSet<TicketId>,
    /// When each held ticket reached its holder.
    assigned_at: HashMap<TicketId, DateTime<Utc>>,
    /// (ticket, agent) pairs where the agent let the ticket lapse under the return timer.
    lapsed: HashSet<(TicketId, UserId)>,
    /// Each ticket's booking stage (whose return timer applies).
    stage: HashMap<TicketId, Stage>,
    /// When each ticket was created (its group's overflow counts from there).
    created: HashMap<TicketId, DateTime<Utc>>,
}

/// The routing groups of the property test: vrbo tickets are group 10, which overflows to
/// group 20 after [`OVERFLOW_AFTER`] seconds; tickets written to the `desk-a` entry point
/// are group 20; the rest are in no group.
const OVERFLOW_AFTER: i64 = 5;

fn routing_groups() -> Vec<crate::domain::routing::RoutingGroup> {
    use crate::domain::ids::GroupId;
    use crate::domain::routing::{GroupRules, Overflow, RoutingGroup};
    vec![
        RoutingGroup {
            id: GroupId(10),
            rules: GroupRules {
                channels: [Channel::parse("vrbo").unwrap()].into(),
                ..GroupRules::default()
            },
            min_agents: 0,
            overflow: Some(Overflow {
                group: GroupId(20),
                after: chrono::Duration::seconds(OVERFLOW_AFTER),
            }),
        },
        RoutingGroup {
            id: GroupId(20),
            rules: GroupRules {
                entry_points: ["desk-a".to_string()].into(),
                ..GroupRules::default()
            },
            min_agents: 0,
            overflow: None,
        },
    ]
}

/// The group whose agents may also take ticket `t` at `now` (its group's overflow is open).
fn overflow_at(
    groups: &[crate::domain::routing::RoutingGroup],
    traits: &TicketTraits,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<crate::domain::ids::GroupId> {
    let group = groups.iter().find(|g| Some(g.id) == traits.group)?;
    crate::domain::routing::overflow_open(group.overflow.as_ref(), created, now)
}

use std::collections::{HashMap, HashSet};

/// The agents; with groups, 1 is in none, 2 and 5 in group 20, 3 and 4 in group 10.
fn cards(with_groups: bool) -> Vec<AgentEntry> {
    (1..=AGENTS)
        .map(|id| {
            let mut a = agent(id);
            if with_groups {
                a = match id {
                    2 | 5 => member_of(a, &[20]),
                    3 | 4 => member_of(a, &[10]),
                    _ => a,
                };
            }
            if id == 2 {
                a.card.stages = [Stage::PreBooking, Stage::Booked].into();
            }
            if id == 3 {
                a.card.channels = [Channel::parse("vrbo").unwrap()].into();
                a.card.max_active = Some(3);
            }
            a
        })
        .collect()
}

/// An available agent, under their cap, whose card takes a queued ticket they did not let
/// lapse, with that ticket; tickets on offer count as taken care of when `offers_count`.
/// With `overflow_now`, an agent of a ticket's overflow group counts once its overflow is
/// open then (the overflow pass runs every second, not on every event).
fn idle_while_queued(
    b: &Board,
    entries: &[AgentEntry],
    live: &[i64],
    lapsed: &HashSet<(TicketId, UserId)>,
    offers_count: bool,
    overflow_now: Option<(
        &[crate::domain::routing::RoutingGroup],
        &Model,
        DateTime<Utc>,
    )>,
) -> Option<(UserId, i64)> {
    for t in live.iter().filter(|t| b.holder(tk(**t)).is_none()) {
        let on_offer = entries.iter().any(|e| b.offers_for(e.id).contains(&tk(*t)));
        if offers_count && on_offer {
            continue;
        }
        for e in entries
            .iter()
            .filter(|e| e.available() && !lapsed.contains(&(tk(*t), e.id)))
        {
            let (_, active) = b.loads(e.id)?;
            let under_cap = e
                .card
                .max_active
                .is_none_or(|c| i64::from(active) < i64::from(c));
            let fits = b.traits_of(tk(*t)).is_some_and(|tr| {
                e.card.matches(&tr)
                    || overflow_now.is_some_and(|(groups, model, now)| {
                        overflow_at(groups, &tr, model.created[&tk(*t)], now)
                            .is_some_and(|g| e.card.matches_in(&tr, g))
                    })
            });
            if under_cap && fits {
                return Some((e.id, *t));
            }
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn the_rules_hold_over_any_sequence_of_events(
        strategy in prop_oneof![
            Just(AssignmentStrategy::Balanced),
            Just(AssignmentStrategy::RoundRobin),
            Just(AssignmentStrategy::Broadcast),
        ],
        threshold in 1i32..4,
        return_after in proptest::option::of(1i32..30),
        staying_after in proptest::option::of(1i32..30),
        with_groups in any::<bool>(),
        events in proptest::collection::vec(event(), 1..80),
    ) {
        let mut entries = cards(with_groups);
        let mut b = board_with(strategy, threshold, &entries);
        let groups = if with_groups { routing_groups() } else { Vec::new() };
        b.set_groups(&groups);
        let settings = Settings {
            assignment_strategy: strategy,
            rebalance_threshold: threshold,
            return_after_seconds: return_after,
            return_after_seconds_by_stage: StageTimers { staying: staying_after, ..StageTimers::default() },
            ..Settings::default()
        };
        b.update_settings(&settings);
        let timer = |stage: Stage| settings.return_after(stage).map(|s| chrono::Duration::seconds(i64::from(s)));
        let mut model = Model::default();
        let mut next_ticket = 1i64;
        let mut live: Vec<i64> = Vec::new();
        for (step, e) in events.into_iter().enumerate() {
            let now = at(step as i64);
            let overflow_pass = matches!(e, Event::Overflow | Event::Sweep);
            let pick = |i: usize| live.get(i % live.len().max(1)).copied();
            let decisions = match e {
                Event::Create { stage, channel, previous, desk } => {
                    let id = next_ticket;
                    next_ticket += 1;
                    live.push(id);
                    model.stage.insert(tk(id), Stage::ALL[stage]);
                    model.created.insert(tk(id), now);
                    let mut t = traits(Stage::ALL[stage], CHANNELS[channel], Some("en"));
                    t.entry_point = desk.then(|| "desk-a".to_string());
                    t.group = crate::domain::routing::group_for(&groups, &t);
                    b.ticket_created(tk(id), t, now, previous.map(|p| ag(p as i64 + 1)), now)
                }
                Event::Open(i) => match pick(i) {
                    Some(t) if b.holder(tk(t)).is_some() => { model.opened.insert(tk(t)); b.ticket_opened(tk(t), now) }
                    _ => vec![],
                },
                Event::Answer(i) => match pick(i) {
                    Some(t) if b.holder(tk(t)).is_some() => { model.opened.insert(tk(t)); b.ticket_answered(tk(t), now) }
                    _ => vec![],
                },
                Event::Message(i) => pick(i).map(|t| b.message_arrived(tk(t), now)).unwrap_or_default(),
                Event::Pending(i) => match pick(i) {
                    Some(t) if b.holder(tk(t)).is_some() => { model.opened.insert(tk(t)); b.ticket_pending(tk(t), now) }
                    _ => vec![],
                },
                Event::Done(i) => match pick(i) {
                    Some(t) => { live.retain(|x| *x != t); model.holder.remove(&tk(t)); b.ticket_done(tk(t), now) }
                    None => vec![],
                },
                Event::Timer(a, on) => { entries[a].working = on; b.upsert_agent(entries[a].clone(), now) }
                Event::Pause(a, on) => { entries[a].intake_paused = on; b.upsert_agent(entries[a].clone(), now) }
                Event::Presence(a, on) => { entries[a].present = on; b.upsert_agent(entries[a].clone(), now) }
                Event::Manager(i, a, force) => match pick(i) {
                    Some(t) => {
                        let fits = b.traits_of(tk(t)).is_some_and(|tr| entries[a].card.matches(&tr));
                        match b.assign_by_manager(tk(t), ag(a as i64 + 1), force, now) {
                            Err(Refusal::CardMismatch(m)) => {
                                prop_assert!(!force && !fits && !m.is_empty(), "refused {:?} force {} fits {}", m, force, fits);
                                vec![]
                            }
                            other => other.unwrap_or_default(),
                        }
                    }
                    None => vec![],
                },
                Event::Claim(i, a) => match pick(i) {
                    Some(t) => {
                        let offered = b.offers_for(ag(a as i64 + 1)).contains(&tk(t));
                        let claimed = b.claim(tk(t), ag(a as i64 + 1), now);
                        prop_assert!(offered || claimed.is_err(), "ticket {} claimed without an offer", t);
                        claimed.unwrap_or_default()
                    }
                    None => vec![],
                },
                Event::Sweep => b.sweep(now),
                Event::ReturnTimer => b.return_unopened(now),
                Event::Overflow => b.overflow_queued(now),
            };
            for d in &decisions {
                match d {
                    Decision::Assign { ticket, agent, reason } => {
                        let previous = model.holder.get(ticket).copied();
                        if *reason == Reason::Manager {
                            model.pinned.insert(*ticket);
                        } else {
                            model.pinned.remove(ticket);
                        }
                        if *reason != Reason::Manager {
                            prop_assert!(previous.is_none(), "ticket {} given to {} while {:?} holds it", ticket, agent, previous);
                            let entry = &entries[(agent.0 - 1) as usize];
                            prop_assert!(entry.available(), "assigned to unavailable agent {}", agent);
                            prop_assert!(!model.lapsed.contains(&(*ticket, *agent)), "ticket {} given back to {} who let it lapse", ticket, agent);
                            // Within its group, or past its group's overflow delay to the
                            // overflow group, and then said so.
                            // (Membership is spelled out here, not taken from the card.)
                            let tr = b.traits_of(*ticket).unwrap();
                            let card_fits = entry.card.matches(&TicketTraits { group: None, ..tr.clone() });
                            prop_assert!(card_fits, "ticket {} given to {} whose card does not take it", ticket, agent);
                            let member = tr.group.is_none_or(|g| entry.card.groups.contains(&g));
                            prop_assert_eq!(*reason == Reason::Overflow, !member, "ticket {} to {} with reason {:?}", ticket, agent, reason);
                            if !member {
                                let open = overflow_at(&groups, &tr, model.created[ticket], now);
                                prop_assert!(open.is_some_and(|g| entry.card.groups.contains(&g)), "ticket {} of group {:?} overflowed to {} early or to a stranger", ticket, tr.group, agent);
                            }
                        }
                        model.holder.insert(*ticket, *agent);
                        model.assigned_at.insert(*ticket, now);
                    }
                    Decision::Unassign { ticket, agent, reason } => {
                        prop_assert_eq!(model.holder.remove(ticket), Some(*agent));
                        if model.pinned.remove(ticket) {
                            prop_assert_eq!(*reason, Reason::AgentLeft, "pinned ticket {} moved", ticket);
                        }
                        prop_assert!(!model.opened.contains(ticket), "opened ticket {} moved automatically", ticket);
                        if *reason == Reason::ReturnTimer {
                            let held_since = model.assigned_at[ticket];
                            prop_assert!(timer(model.stage[ticket]).is_some_and(|t| held_since + t <= now), "ticket {} returned after {} s", ticket, (now - held_since).num_seconds());
                            model.lapsed.insert((*ticket, *agent));
                        }
                    }
                    _ => {}
                }
            }
            b.assert_consistent();
            for t in &live {
                prop_assert_eq!(b.holder(tk(*t)), model.holder.get(&tk(*t)).copied());
            }
            // No available agent idles while a queued ticket they may take waits (broadcast:
            // unless the ticket is on offer, which the sweep turns into an assignment).
            let overflow_now = overflow_pass.then_some((groups.as_slice(), &model, now));
            let idle = idle_while_queued(&b, &entries, &live, &model.lapsed, true, overflow_now);
            prop_assert!(idle.is_none(), "agent idles while a ticket is queued: {:?}", idle);
        }
        // After a sweep every offer has expired into an assignment: nobody idles at all, and no
        // available agent is the threshold below a holder of a ticket they may take.
        let end = at(10_000);
        for d in b.sweep(end) {
            match d {
                Decision::Assign { ticket, agent, .. } => { model.assigned_at.insert(ticket, end); model.holder.insert(ticket, agent); }
                Decision::Unassign { ticket, agent, reason: Reason::ReturnTimer } => { model.lapsed.insert((ticket, agent)); model.holder.remove(&ticket); }
                _ => {}
            }
        }
        // The return timer has run: no unopened ticket it may move is held past it.
        for id in live.iter().map(|t| tk(*t)) {
            let Some(t) = timer(model.stage[&id]) else { continue };
            let movable = model.holder.contains_key(&id) && !model.opened.contains(&id) && !model.pinned.contains(&id);
            prop_assert!(!movable || model.assigned_at[&id] + t > end, "ticket {} held unopened past the return timer", id);
        }
        let idle = idle_while_queued(&b, &entries, &live, &model.lapsed, false, Some((groups.as_slice(), &model, end)));
        prop_assert!(idle.is_none(), "agent idles after the sweep: {:?}", idle);
        let need = threshold.max(2) as u32;
        for receiver in entries.iter().filter(|e| e.available()) {
            let (r_load, r_active) = b.loads(receiver.id).unwrap();
            if receiver.card.max_active.is_some_and(|c| i64::from(r_active) >= i64::from(c)) { continue; }
            for donor in entries.iter().filter(|e| e.available() && e.id != receiver.id) {
                let (d_load, _) = b.loads(donor.id).unwrap();
                if d_load >= r_load + need {
                    let movable = b.unopened_of(donor.id).into_iter().filter(|t| !model.pinned.contains(t) && !model.lapsed.contains(&(*t, receiver.id))).any(|t| b.traits_of(t).is_some_and(|tr| receiver.card.matches(&tr)));
                    prop_assert!(!movable, "agent {} ({}) could take from {} ({})", receiver.id, r_load, donor.id, d_load);
                }
            }
        }
    }
}

#[test]
fn presence_is_as_last_said_and_unknown_users_are_absent() {
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[agent(1), agent(2)]);
    assert!(b.is_present(ag(1)));
    b.set_presence(&[(ag(1), false)], at(1));
    assert!(!b.is_present(ag(1)));
    assert!(b.is_present(ag(2)));
    assert!(!b.is_present(ag(9)), "not a user of the board");
}

/// A ticket as the follow-up sweeper hands it back (queued again in the database).
fn returning(id: i64) -> TicketEntry {
    TicketEntry {
        id: tk(id),
        traits: any_ticket(),
        state: TicketState::Queued,
        assignee: None,
        unanswered: false,
        created_at: at(0),
        assigned_at: None,
        previous_agent: None,
        pinned: false,
        lapsed_with: Vec::new(),
    }
}

#[test]
fn a_parked_ticket_leaves_the_board_and_comes_back_to_its_agent_even_when_busier() {
    let mut b = board_with(AssignmentStrategy::Balanced, 0, &[agent(1), agent(2)]);
    b.ticket_created(tk(1), any_ticket(), at(0), None, at(0));
    b.ticket_created(tk(2), any_ticket(), at(1), None, at(1));
    b.ticket_created(tk(3), any_ticket(), at(2), None, at(2));
    assert_eq!(b.holder(tk(1)), Some(ag(1)));
    assert_eq!(b.loads(ag(1)).map(|l| l.0), Some(2));
    b.ticket_parked(tk(1), at(3));
    assert_eq!(b.holder(tk(1)), None);
    assert_eq!(
        b.loads(ag(1)).map(|l| l.0),
        Some(1),
        "a parked ticket is no load"
    );
    let d = b.follow_up_due(returning(1), Some(ag(1)), at(10));
    assert_eq!(assigned_to(&d), vec![(1, 1, Reason::FollowUp)]);
    b.assert_consistent();
}

#[test]
fn a_follow_up_whose_agent_is_not_working_is_dispatched_or_queued() {
    let mut stopped = agent(1);
    stopped.working = false;
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[stopped, agent(2)]);
    let d = b.follow_up_due(returning(1), Some(ag(1)), at(10));
    assert_eq!(assigned_to(&d), vec![(1, 2, Reason::FollowUp)]);
    let mut alone = agent(1);
    alone.working = false;
    let mut b = board_with(AssignmentStrategy::Balanced, 2, &[alone]);
    let d = b.follow_up_due(returning(1), Some(ag(1)), at(10));
    assert_eq!(d, vec![Decision::Queue { ticket: tk(1) }]);
    b.assert_consistent();
}
