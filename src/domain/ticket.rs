//! The ticket state machine of SPEC §1:
//! `queued` → `assigned` → `opened` → `pending` → `done`.
//!
//! Every change of state asks [`TicketState::apply`] first; a transition it refuses is a
//! 422 at the edge and never reaches the database.

use serde::{Deserialize, Serialize};

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// No eligible agent yet.
    Queued,
    /// An agent has it and has not looked at it: the dispatcher may still move it.
    Assigned,
    /// The agent looked at it: only a manager moves it now.
    Opened,
    /// The agent flagged it for a manager.
    Pending,
    /// Finished. A new guest message on the thread starts a new ticket.
    Done,
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the guest.
    Inbound,
    /// From an agent.
    Outbound,
}

impl Direction {
    pub fn parse(raw: &str) -> Result<Direction, String> {
        match raw {
            "inbound" => Ok(Direction::Inbound),
            "outbound" => Ok(Direction::Outbound),
            other => Err(format!("`{other}` is not a message direction")),
        }
    }
}

/// Something that happens to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAction {
    /// The dispatcher or a manager gives the ticket to an agent.
    Assign,
    /// The dispatcher takes an unopened ticket back (agent left, rebalancing).
    Release,
    /// The assignee looks at it.
    Open,
    /// The assignee (or a manager) answers the guest.
    Reply,
    /// The assignee flags it for a manager.
    MarkPending,
    /// The ticket is finished.
    MarkDone,
}

/// Why an action is refused in the ticket's current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {state} ticket cannot be {verb}")]
pub struct InvalidTransition {
    pub state: &'static str,
    pub verb: &'static str,
}

impl TicketState {
    pub const ALL: [TicketState; 5] = [
        TicketState::Queued,
        TicketState::Assigned,
        TicketState::Opened,
        TicketState::Pending,
        TicketState::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Queued => "queued",
            TicketState::Assigned => "assigned",
            TicketState::Opened => "opened",
            TicketState::Pending => "pending",
            TicketState::Done => "done",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                format!("`{raw}` is not a ticket state (queued, assigned, opened, pending, done)")
            })
    }

    /// Assigned, opened and pending tickets count towards an agent's active load.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            TicketState::Assigned | TicketState::Opened | TicketState::Pending
        )
    }

    /// The state after `action`, or why it cannot happen.
    ///
    /// Replying to an assigned ticket opens it (nobody answers without looking). Assigning an
    /// opened or pending ticket to someone else is a manager's move and keeps the state: the new
    /// agent inherits a conversation in progress. A done ticket never changes again.
    pub fn apply(self, action: TicketAction) -> Result<TicketState, InvalidTransition> {
        use TicketAction as A;
        use TicketState as S;
        let next = match (self, action) {
            (S::Queued, A::Assign) | (S::Assigned, A::Assign) => Some(S::Assigned),
            (S::Opened, A::Assign) => Some(S::Opened),
            (S::Pending, A::Assign) => Some(S::Pending),
            (S::Assigned, A::Release) => Some(S::Queued),
            (S::Assigned, A::Open) | (S::Opened, A::Open) => Some(S::Opened),
            (S::Pending, A::Open) => Some(S::Pending),
            (S::Assigned | S::Opened, A::Reply) => Some(S::Opened),
            (S::Pending, A::Reply) => Some(S::Pending),
            (S::Assigned | S::Opened | S::Pending, A::MarkPending) => Some(S::Pending),
            (S::Queued | S::Assigned | S::Opened | S::Pending, A::MarkDone) => Some(S::Done),
            _ => None,
        };
        next.ok_or(InvalidTransition {
            state: self.as_str(),
            verb: action.verb(),
        })
    }
}

impl TicketAction {
    /// Every (from, to) pair of states this action allows, so one guarded SQL statement can
    /// apply it with the domain's rules instead of reading the state first.
    pub fn transitions(self) -> Vec<(TicketState, TicketState)> {
        TicketState::ALL
            .into_iter()
            .filter_map(|from| from.apply(self).ok().map(|to| (from, to)))
            .collect()
    }

    fn verb(self) -> &'static str {
        match self {
            TicketAction::Assign => "assigned",
            TicketAction::Release => "released",
            TicketAction::Open => "opened",
            TicketAction::Reply => "replied to",
            TicketAction::MarkPending => "marked pending",
            TicketAction::MarkDone => "marked done",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ACTIONS: [TicketAction; 6] = [
        TicketAction::Assign,
        TicketAction::Release,
        TicketAction::Open,
        TicketAction::Reply,
        TicketAction::MarkPending,
        TicketAction::MarkDone,
    ];

    #[test]
    fn the_happy_path() {
        let s = TicketState::Queued.apply(TicketAction::Assign).unwrap();
        let s = s.apply(TicketAction::Open).unwrap();
        let s = s.apply(TicketAction::Reply).unwrap();
        let s = s.apply(TicketAction::MarkPending).unwrap();
        assert_eq!(s, TicketState::Pending);
        assert_eq!(s.apply(TicketAction::MarkDone).unwrap(), TicketState::Done);
    }

    #[test]
    fn refusals_name_the_state() {
        let err = TicketState::Done.apply(TicketAction::Reply).unwrap_err();
        assert_eq!(err.to_string(), "a done ticket cannot be replied to");
        assert!(TicketState::Queued.apply(TicketAction::Open).is_err());
        assert!(TicketState::Opened.apply(TicketAction::Release).is_err());
    }

    #[test]
    fn transitions_list_exactly_what_apply_allows() {
        for action in ACTIONS {
            let pairs = action.transitions();
            for from in TicketState::ALL {
                let listed = pairs.iter().find(|(f, _)| *f == from).map(|(_, to)| *to);
                assert_eq!(listed, from.apply(action).ok(), "{action:?} from {from:?}");
            }
        }
        assert_eq!(
            TicketAction::Open.transitions(),
            vec![
                (TicketState::Assigned, TicketState::Opened),
                (TicketState::Opened, TicketState::Opened),
                (TicketState::Pending, TicketState::Pending),
            ]
        );
    }

    proptest! {
        /// Whatever happens, a done ticket stays done, and only an unopened (assigned) ticket
        /// can ever go back to the queue: an opened ticket is never taken away automatically.
        #[test]
        fn done_is_final_and_only_unopened_tickets_are_released(
            steps in proptest::collection::vec(0usize..ACTIONS.len(), 0..40)
        ) {
            let mut state = TicketState::Queued;
            let mut was_opened = false;
            for i in steps {
                let action = ACTIONS[i];
                match state.apply(action) {
                    Ok(next) => {
                        if state == TicketState::Done {
                            prop_assert!(false, "done ticket changed by {:?}", action);
                        }
                        if next == TicketState::Queued {
                            prop_assert_eq!(state, TicketState::Assigned);
                        }
                        if matches!(next, TicketState::Opened | TicketState::Pending) {
                            was_opened = true;
                        }
                        if was_opened {
                            prop_assert!(next != TicketState::Queued && next != TicketState::Assigned);
                        }
                        state = next;
                    }
                    Err(e) => prop_assert_eq!(e.state, state.as_str()),
                }
            }
        }
    }
}
