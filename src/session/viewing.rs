//! This node's keeper of who views which ticket (the collision notice). Each node holds the
//! whole deployment's picture ([`Viewers`]): its own sockets' sightings, applied at once, and
//! the other nodes', which arrive as node notices through the hub's relay. Whenever a ticket's
//! list of people changes, this node sends `ticket.viewers` to the users looking at that
//! ticket here (each node tells its own sockets, so a user with tabs on two nodes gets each
//! list once per tab).
//!
//! Nothing here checks who may look at what: a session adds a sighting only after the
//! application has found the ticket in the user's account, and every key is the account's.

use super::frames::{EventFrame, ServerEvent};
use super::hub::{Audience, Hub};
use crate::domain::ids::{AccountId, TicketId, UserId};
use crate::domain::viewers::{Screen, Sighting, TicketKey, Viewers};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How often sightings not renewed are looked for.
pub const SWEEP_EVERY: Duration = Duration::from_secs(2);
/// Node notices waiting to be applied; past it the hub drops them (the next renewal, within
/// ten seconds, repairs what was missed).
pub const NOTICES: usize = 4096;

/// A node notice as the hub hands it over: the account it was published for, and the notice.
pub type NodeNotice = (AccountId, EventFrame);

/// What one node tells the others about one of its sockets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
enum Notice {
    /// The socket shows this ticket (first, again, or instead of another).
    #[serde(rename = "viewer.seen")]
    Seen {
        screen: Screen,
        ticket_id: TicketId,
        user_id: UserId,
        name: String,
        typing: bool,
    },
    /// The socket shows no ticket any more.
    #[serde(rename = "viewer.left")]
    Left { screen: Screen },
}

/// Who views which ticket, on this node's reckoning.
pub struct Viewing {
    /// This process, among the nodes (random per start).
    node: u64,
    viewers: Mutex<Viewers>,
    hub: Arc<Hub>,
}

impl Viewing {
    /// The keeper of `hub`'s node, applying the node notices the hub hands to `notices` and
    /// forgetting stale sightings, for as long as it lives.
    pub fn start(hub: Arc<Hub>, notices: mpsc::Receiver<NodeNotice>) -> Arc<Viewing> {
        let viewing = Arc::new(Viewing {
            node: rand::random(),
            viewers: Mutex::default(),
            hub,
        });
        tokio::spawn(hear(notices, Arc::downgrade(&viewing)));
        tokio::spawn(sweep(Arc::downgrade(&viewing)));
        viewing
    }

    /// A channel for [`Hub::hearing`] and its receiving end, for [`Viewing::start`].
    pub fn notices() -> (mpsc::Sender<NodeNotice>, mpsc::Receiver<NodeNotice>) {
        mpsc::channel(NOTICES)
    }

    /// This node's connection `connection` shows the ticket of `sighting` (checked readable
    /// by its user).
    pub fn see(&self, connection: u64, sighting: Sighting) {
        let screen = self.screen(connection);
        let notice = Notice::Seen {
            screen,
            ticket_id: sighting.ticket_id,
            user_id: sighting.user_id,
            name: sighting.name.clone(),
            typing: sighting.typing,
        };
        let key = (sighting.account_id, sighting.ticket_id);
        let user_id = sighting.user_id;
        let (arrived, changed) = self.with(|v| {
            let arrived = v.showing(screen) != Some(key);
            (arrived, v.see(screen, sighting, Instant::now()))
        });
        self.tell(&changed);
        if arrived && !changed.contains(&key) {
            // A new tab of someone already on the ticket: nobody else's list changed, but
            // this tab has none yet.
            if let Some(frame) = self.with(|v| list_for(v, key, user_id)) {
                self.hub.deliver(key.0, &Audience::User { user_id }, &frame);
            }
        }
        self.announce(key.0, &notice);
    }

    /// This node's connection `connection` (of `account_id`) shows no ticket any more.
    pub fn leave(&self, account_id: AccountId, connection: u64) {
        let screen = self.screen(connection);
        let changed = self.with(|v| v.leave(screen));
        self.tell(changed.as_slice());
        self.announce(account_id, &Notice::Left { screen });
    }

    fn screen(&self, connection: u64) -> Screen {
        Screen {
            node: self.node,
            connection,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Viewers) -> T) -> T {
        f(&mut self.viewers.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Tells the other nodes (this one skips its own notice when it comes back).
    fn announce(&self, account_id: AccountId, notice: &Notice) {
        match serde_json::to_string(notice) {
            Ok(text) => self
                .hub
                .push_to_nodes(account_id, &EventFrame::from_serialised(text.into())),
            Err(e) => tracing::error!(error = %e, "a viewer notice did not serialise"),
        }
    }

    /// Another node's notice, or this node's own coming back (skipped).
    fn heard(&self, account_id: AccountId, frame: &EventFrame) {
        let notice = match serde_json::from_str::<Notice>(frame.serialised()) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable node notice");
                return;
            }
        };
        let changed = match notice {
            Notice::Seen { screen, .. } | Notice::Left { screen } if screen.node == self.node => {
                return
            }
            Notice::Seen {
                screen,
                ticket_id,
                user_id,
                name,
                typing,
            } => {
                let sighting = Sighting {
                    account_id,
                    ticket_id,
                    user_id,
                    name,
                    typing,
                };
                self.with(|v| v.see(screen, sighting, Instant::now()))
            }
            Notice::Left { screen } => self.with(|v| v.leave(screen)).into_iter().collect(),
        };
        self.tell(&changed);
    }

    /// Sends each ticket's new list to the users looking at it on this node.
    fn tell(&self, changed: &[TicketKey]) {
        for &key in changed {
            let lists: Vec<(UserId, EventFrame)> = self.with(|v| {
                v.users_on(key, self.node)
                    .into_iter()
                    .filter_map(|user_id| list_for(v, key, user_id).map(|f| (user_id, f)))
                    .collect()
            });
            for (user_id, frame) in lists {
                self.hub.deliver(key.0, &Audience::User { user_id }, &frame);
            }
        }
    }
}

/// The `ticket.viewers` frame for `user_id` on the ticket.
fn list_for(viewers: &Viewers, key: TicketKey, user_id: UserId) -> Option<EventFrame> {
    let event = ServerEvent::TicketViewers {
        ticket_id: key.1,
        viewers: viewers.others(key, user_id),
    };
    EventFrame::new(&event).ok()
}

async fn hear(mut notices: mpsc::Receiver<NodeNotice>, viewing: Weak<Viewing>) {
    while let Some((account_id, frame)) = notices.recv().await {
        let Some(viewing) = viewing.upgrade() else {
            return;
        };
        viewing.heard(account_id, &frame);
    }
}

async fn sweep(viewing: Weak<Viewing>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        let Some(viewing) = viewing.upgrade() else {
            return;
        };
        let changed = viewing.with(|v| v.expire(Instant::now()));
        viewing.tell(&changed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::SessionId;
    use crate::session::hub::{Closer, Outbound, Outbox, SessionLink};

    const A: AccountId = AccountId(3);
    const T: TicketId = TicketId(40);

    fn tab(hub: &Hub, user: i64, connection: u64) -> mpsc::Receiver<Outbound> {
        let (outbound, rx) = Outbox::new(16);
        hub.attach(
            A,
            UserId(user),
            false,
            SessionLink {
                connection_id: connection,
                session_id: SessionId(connection as i64),
                outbound,
                closer: Arc::new(Closer::default()),
            },
        );
        rx
    }

    fn sighting(user: i64, name: &str, typing: bool) -> Sighting {
        Sighting {
            account_id: A,
            ticket_id: T,
            user_id: UserId(user),
            name: name.into(),
            typing,
        }
    }

    fn lists(rx: &mut mpsc::Receiver<Outbound>) -> Vec<serde_json::Value> {
        let mut got = Vec::new();
        while let Ok(Outbound::Frame(f)) = rx.try_recv() {
            got.push(serde_json::from_str::<serde_json::Value>(&f).unwrap()["viewers"].clone());
        }
        got
    }

    /// Two nodes whose hubs hand each other's node notices over by hand (the relay's part).
    #[tokio::test]
    async fn two_nodes_see_each_others_viewers_and_forget_them_when_they_leave() {
        let (tx_a, mut rx_a) = Viewing::notices();
        let (tx_b, mut rx_b) = Viewing::notices();
        let hub_a = Arc::new(Hub::default().hearing(tx_a));
        let hub_b = Arc::new(Hub::default().hearing(tx_b));
        let (_, idle_a) = Viewing::notices();
        let (_, idle_b) = Viewing::notices();
        let node_a = Viewing::start(hub_a.clone(), idle_a);
        let node_b = Viewing::start(hub_b.clone(), idle_b);
        let mut ana = tab(&hub_a, 1, 1);
        let mut bo = tab(&hub_b, 2, 1);
        let relay = |from: &mut mpsc::Receiver<NodeNotice>, to: &Viewing| {
            while let Ok((account, frame)) = from.try_recv() {
                to.heard(account, &frame);
            }
        };

        node_a.see(1, sighting(1, "Ana", false));
        relay(&mut rx_a, &node_b);
        assert_eq!(lists(&mut ana), [serde_json::json!([])]);
        assert!(lists(&mut bo).is_empty(), "Bo is not on the ticket");

        node_b.see(1, sighting(2, "Bo", true));
        relay(&mut rx_b, &node_a);
        assert_eq!(
            lists(&mut bo),
            [serde_json::json!([{"user_id": "1", "name": "Ana", "typing": false}])]
        );
        assert_eq!(
            lists(&mut ana),
            [serde_json::json!([{"user_id": "2", "name": "Bo", "typing": true}])]
        );

        // Ana opens the ticket in a second tab: only that tab's user hears (the list of
        // the others is unchanged).
        let mut ana_again = tab(&hub_a, 1, 2);
        node_a.see(2, sighting(1, "Ana", false));
        relay(&mut rx_a, &node_b);
        assert_eq!(
            lists(&mut ana_again),
            [serde_json::json!([{"user_id": "2", "name": "Bo", "typing": true}])]
        );
        assert!(lists(&mut bo).is_empty(), "Bo's list did not change");
        lists(&mut ana);

        node_b.leave(A, 1);
        relay(&mut rx_b, &node_a);
        assert_eq!(lists(&mut ana), [serde_json::json!([])]);
        assert!(lists(&mut bo).is_empty(), "nobody tells who left");
    }
}
