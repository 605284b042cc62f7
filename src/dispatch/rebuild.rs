//! Loading a dispatcher's state from the database: the account's settings, its users with
//! their work state and presence, and every ticket that is not done.

use crate::domain::account::Settings;
use crate::domain::dispatch::{AgentEntry, Board, TicketEntry};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::routing::RoutingGroup;
use crate::domain::user::Role;
use crate::presence::{Presence, PresenceStore};
use crate::store::{self, dispatch_state::OpenTicket, users::UserRecord};
use sqlx::PgPool;
use std::collections::BTreeSet;

/// Everything a board is rebuilt from.
pub struct Loaded {
    pub settings: Settings,
    /// The account's active managers (whether one is online is the board's presence).
    pub managers: BTreeSet<UserId>,
    agents: Vec<AgentEntry>,
    tickets: Vec<OpenTicket>,
    groups: Vec<RoutingGroup>,
}

impl Loaded {
    /// A board holding exactly what the database says.
    pub fn into_board(self) -> Board {
        let mut board = Board::new(&self.settings);
        board.set_groups(&self.groups);
        for agent in self.agents {
            board.load_agent(agent);
        }
        for t in self.tickets {
            board.load_ticket(TicketEntry {
                id: t.id,
                traits: t.traits,
                state: t.state,
                assignee: t.assignee_id,
                unanswered: t.unanswered,
                created_at: t.created_at,
                assigned_at: t.assigned_at,
                previous_agent: t.previous_agent,
                pinned: t.pinned,
                lapsed_with: t.lapsed_with,
            });
        }
        board
    }
}

fn entry(user: UserRecord, presence: Presence) -> AgentEntry {
    AgentEntry {
        id: user.id,
        card: user.card,
        active: user.active,
        working: user.working,
        intake_paused: user.intake_paused,
        present: presence != Presence::Offline,
    }
}

async fn presence_of(
    presence: &dyn PresenceStore,
    account_id: AccountId,
    ids: &[UserId],
) -> Vec<Presence> {
    presence.presence_of(account_id, ids).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "presence unavailable while loading; treating agents as offline");
        vec![Presence::Offline; ids.len()]
    })
}

/// Loads the whole state of an account.
pub async fn load(
    pool: &PgPool,
    presence: &dyn PresenceStore,
    account_id: AccountId,
) -> Result<Loaded, sqlx::Error> {
    let account = store::accounts::get(pool, account_id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let users = store::users::list(pool, account_id).await?;
    let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
    let found = presence_of(presence, account_id, &ids).await;
    let managers = users
        .iter()
        .filter(|u| u.active && u.role == Role::Manager)
        .map(|u| u.id)
        .collect();
    let agents = users
        .into_iter()
        .zip(found)
        .map(|(u, p)| entry(u, p))
        .collect();
    let tickets = store::dispatch_state::open_tickets(pool, account_id).await?;
    let groups = store::groups::list(pool, account_id)
        .await?
        .iter()
        .map(|g| g.routing())
        .collect();
    Ok(Loaded {
        settings: account.settings,
        managers,
        agents,
        tickets,
        groups,
    })
}

/// Loads these users as agent entries, in one query and one presence lookup; an id that is
/// no longer a user of the account comes back with `None`.
pub async fn agents(
    pool: &PgPool,
    presence: &dyn PresenceStore,
    account_id: AccountId,
    ids: &[UserId],
) -> Result<Vec<(UserId, Option<AgentEntry>)>, sqlx::Error> {
    let users = store::users::get_many(pool, account_id, ids).await?;
    let found_ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
    let found = presence_of(presence, account_id, &found_ids).await;
    let mut entries: std::collections::HashMap<UserId, AgentEntry> = users
        .into_iter()
        .zip(found)
        .map(|(u, p)| (u.id, entry(u, p)))
        .collect();
    Ok(ids.iter().map(|id| (*id, entries.remove(id))).collect())
}
