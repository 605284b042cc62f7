//! The wire shape of a user (SPEC §5 "agent"), shared by `/me`, login and `/agents`.

use crate::domain::card::AgentCard;
use crate::domain::user::Role;
use crate::store::users::UserRecord;
use serde::Serialize;

/// A user as clients see it: identity, card and live work state.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    #[serde(with = "crate::domain::ids::as_string")]
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub card: AgentCard,
    pub state: WorkStateView,
}

/// Whether the timer runs, intake is paused, and the user's presence.
#[derive(Debug, Clone, Serialize)]
pub struct WorkStateView {
    pub working: bool,
    pub intake_paused: bool,
    /// `online`, `away` or `offline`.
    pub presence: &'static str,
}

impl UserView {
    /// The view of `u` with the presence the caller looked up.
    pub fn new(u: UserRecord, presence: &'static str) -> UserView {
        UserView {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            active: u.active,
            card: u.card,
            state: WorkStateView {
                working: u.working,
                intake_paused: u.intake_paused,
                presence,
            },
        }
    }
}
