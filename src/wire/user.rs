//! A user as clients see them (SPEC §5 "agent"), shared by `/me`, login, `/agents` and the
//! `hello` and `agent.state` frames.

use crate::domain::card::AgentCard;
use crate::domain::ids::UserId;
use crate::domain::user::Role;
use crate::presence::Presence;
use crate::store::users::UserRecord;
use serde::Serialize;

/// Identity, card and live work state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub card: AgentCard,
    pub state: WorkStateView,
}

/// Whether the timer runs, intake is paused, and the user's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WorkStateView {
    pub working: bool,
    pub intake_paused: bool,
    pub presence: Presence,
}

impl UserView {
    /// The view of `u` with the presence the caller looked up.
    pub fn new(u: UserRecord, presence: Presence) -> UserView {
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
