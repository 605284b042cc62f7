//! Who is looking at which ticket right now (the collision notice: "Ana is viewing", "Ana is
//! replying…"). One node's picture of every open ticket page in the deployment: each browser
//! tab (a socket, on this node or another) shows at most one ticket, and a tab not heard from
//! for [`EXPIRES_AFTER`] is forgotten, so a tab on a node that died goes away by itself.
//! Pure: the caller passes the time and tells the users; nothing here touches a socket.

use super::ids::{AccountId, TicketId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How long a tab counts as looking at a ticket without saying so again (browsers say so
/// every ten seconds while the ticket is on screen).
pub const EXPIRES_AFTER: Duration = Duration::from_secs(30);

/// One browser tab somewhere in the deployment: its node and its connection there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Screen {
    pub node: u64,
    pub connection: u64,
}

/// What a tab says it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub user_id: UserId,
    /// The user's name, as the others see it.
    pub name: String,
    /// Whether they are writing a reply (or a note) on it.
    pub typing: bool,
}

/// Another person on the ticket, as the `ticket.viewers` frame lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Viewer {
    pub user_id: UserId,
    pub name: String,
    /// True while any of their tabs on the ticket is writing.
    pub typing: bool,
}

/// A ticket of an account.
pub type TicketKey = (AccountId, TicketId);

struct Entry {
    sighting: Sighting,
    until: Instant,
}

/// Every tab known to look at a ticket.
#[derive(Default)]
pub struct Viewers {
    by_screen: HashMap<Screen, Entry>,
    by_ticket: HashMap<TicketKey, HashSet<Screen>>,
}

impl Viewers {
    /// `screen` shows the ticket of `sighting` at `now` (the first time, again, or instead of
    /// another ticket). Answers the tickets whose list of people changed: a refresh that
    /// changes nobody's presence or typing changes none.
    pub fn see(&mut self, screen: Screen, sighting: Sighting, now: Instant) -> Vec<TicketKey> {
        let key = (sighting.account_id, sighting.ticket_id);
        let mut changed = Vec::new();
        if let Some(old) = self.by_screen.get(&screen) {
            let old_key = (old.sighting.account_id, old.sighting.ticket_id);
            if old_key != key {
                changed.extend(self.leave(screen));
            }
        }
        let before = self.people(key);
        self.by_screen.insert(
            screen,
            Entry {
                sighting,
                until: now + EXPIRES_AFTER,
            },
        );
        self.by_ticket.entry(key).or_default().insert(screen);
        if self.people(key) != before {
            changed.push(key);
        }
        changed
    }

    /// `screen` shows no ticket any more (it left the page, or closed). Answers the ticket
    /// whose list of people changed, if any.
    pub fn leave(&mut self, screen: Screen) -> Option<TicketKey> {
        let entry = self.by_screen.get(&screen)?;
        let key = (entry.sighting.account_id, entry.sighting.ticket_id);
        let before = self.people(key);
        self.forget(screen);
        (self.people(key) != before).then_some(key)
    }

    /// Forgets every tab not heard from since [`EXPIRES_AFTER`] before `now`; answers the
    /// tickets whose list of people changed.
    pub fn expire(&mut self, now: Instant) -> Vec<TicketKey> {
        let stale: Vec<Screen> = self
            .by_screen
            .iter()
            .filter(|(_, e)| e.until <= now)
            .map(|(s, _)| *s)
            .collect();
        let mut changed: Vec<TicketKey> = Vec::new();
        for screen in stale {
            if let Some(key) = self.leave(screen) {
                if !changed.contains(&key) {
                    changed.push(key);
                }
            }
        }
        changed
    }

    /// The people on the ticket as `user_id` sees them: everyone else, once each (typing if
    /// any of their tabs is), by name.
    pub fn others(&self, key: TicketKey, user_id: UserId) -> Vec<Viewer> {
        self.people(key)
            .into_iter()
            .filter(|v| v.user_id != user_id)
            .collect()
    }

    /// The users with a tab on the ticket on `node` (each once): whom that node tells.
    pub fn users_on(&self, key: TicketKey, node: u64) -> Vec<UserId> {
        let mut users: Vec<UserId> = self
            .screens(key)
            .filter(|(s, _)| s.node == node)
            .map(|(_, e)| e.sighting.user_id)
            .collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// The ticket `screen` shows, if any.
    pub fn showing(&self, screen: Screen) -> Option<TicketKey> {
        self.by_screen
            .get(&screen)
            .map(|e| (e.sighting.account_id, e.sighting.ticket_id))
    }

    /// How many tabs are known (for bounds and tests).
    pub fn len(&self) -> usize {
        self.by_screen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_screen.is_empty()
    }

    fn screens(&self, key: TicketKey) -> impl Iterator<Item = (&Screen, &Entry)> {
        self.by_ticket
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|s| self.by_screen.get(s).map(|e| (s, e)))
    }

    /// Everyone on the ticket, once each, by name then id.
    fn people(&self, key: TicketKey) -> Vec<Viewer> {
        let mut people: Vec<Viewer> = Vec::new();
        for (_, e) in self.screens(key) {
            match people.iter_mut().find(|v| v.user_id == e.sighting.user_id) {
                Some(v) => v.typing |= e.sighting.typing,
                None => people.push(Viewer {
                    user_id: e.sighting.user_id,
                    name: e.sighting.name.clone(),
                    typing: e.sighting.typing,
                }),
            }
        }
        people.sort_by(|a, b| a.name.cmp(&b.name).then(a.user_id.cmp(&b.user_id)));
        people
    }

    fn forget(&mut self, screen: Screen) {
        let Some(entry) = self.by_screen.remove(&screen) else {
            return;
        };
        let key = (entry.sighting.account_id, entry.sighting.ticket_id);
        if let Some(screens) = self.by_ticket.get_mut(&key) {
            screens.remove(&screen);
            if screens.is_empty() {
                self.by_ticket.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: AccountId = AccountId(1);
    const T: TicketId = TicketId(10);

    fn screen(node: u64, connection: u64) -> Screen {
        Screen { node, connection }
    }

    fn on(ticket: TicketId, user: i64, name: &str, typing: bool) -> Sighting {
        Sighting {
            account_id: A,
            ticket_id: ticket,
            user_id: UserId(user),
            name: name.into(),
            typing,
        }
    }

    fn names(v: &[Viewer]) -> Vec<(&str, bool)> {
        v.iter().map(|v| (v.name.as_str(), v.typing)).collect()
    }

    #[test]
    fn each_sees_the_others_never_themselves_and_a_refresh_changes_nothing() {
        let now = Instant::now();
        let mut viewers = Viewers::default();
        assert_eq!(
            viewers.see(screen(1, 1), on(T, 1, "Ana", false), now),
            [(A, T)]
        );
        assert_eq!(
            viewers.see(screen(2, 7), on(T, 2, "Bo", false), now),
            [(A, T)]
        );
        assert_eq!(names(&viewers.others((A, T), UserId(1))), [("Bo", false)]);
        assert_eq!(names(&viewers.others((A, T), UserId(2))), [("Ana", false)]);
        assert_eq!(names(&viewers.others((A, T), UserId(3))).len(), 2);
        assert!(
            viewers
                .see(screen(1, 1), on(T, 1, "Ana", false), now)
                .is_empty(),
            "a refresh tells nobody"
        );
        assert_eq!(
            viewers.see(screen(1, 1), on(T, 1, "Ana", true), now),
            [(A, T)]
        );
        assert_eq!(names(&viewers.others((A, T), UserId(2))), [("Ana", true)]);
        assert_eq!(viewers.users_on((A, T), 1), [UserId(1)]);
        assert_eq!(viewers.users_on((A, T), 2), [UserId(2)]);
    }

    #[test]
    fn one_person_with_two_tabs_is_listed_once_and_stays_while_one_is_left() {
        let now = Instant::now();
        let mut viewers = Viewers::default();
        viewers.see(screen(1, 1), on(T, 1, "Ana", false), now);
        assert!(
            viewers.see(screen(2, 5), on(T, 1, "Ana", true), now) == [(A, T)],
            "typing in the second tab shows"
        );
        assert_eq!(names(&viewers.others((A, T), UserId(2))), [("Ana", true)]);
        assert_eq!(
            viewers.leave(screen(2, 5)),
            Some((A, T)),
            "no longer typing"
        );
        assert_eq!(names(&viewers.others((A, T), UserId(2))), [("Ana", false)]);
        viewers.see(screen(2, 5), on(T, 1, "Ana", false), now);
        assert_eq!(
            viewers.leave(screen(2, 5)),
            None,
            "still there in the other tab"
        );
        assert_eq!(viewers.leave(screen(1, 1)), Some((A, T)));
        assert!(viewers.others((A, T), UserId(2)).is_empty());
        assert!(viewers.is_empty());
        assert_eq!(viewers.leave(screen(1, 1)), None);
    }

    #[test]
    fn a_tab_shows_one_ticket_at_a_time() {
        let now = Instant::now();
        let mut viewers = Viewers::default();
        viewers.see(screen(1, 1), on(T, 1, "Ana", false), now);
        let moved = viewers.see(screen(1, 1), on(TicketId(11), 1, "Ana", false), now);
        assert_eq!(moved, [(A, T), (A, TicketId(11))]);
        assert_eq!(viewers.showing(screen(1, 1)), Some((A, TicketId(11))));
        assert!(viewers.others((A, T), UserId(2)).is_empty());
        assert_eq!(viewers.len(), 1);
    }

    #[test]
    fn accounts_never_mix_even_on_the_same_ticket_id() {
        let now = Instant::now();
        let mut viewers = Viewers::default();
        viewers.see(screen(1, 1), on(T, 1, "Ana", false), now);
        let elsewhere = Sighting {
            account_id: AccountId(2),
            ..on(T, 9, "Eve", false)
        };
        assert_eq!(
            viewers.see(screen(1, 2), elsewhere, now),
            [(AccountId(2), T)]
        );
        assert_eq!(names(&viewers.others((A, T), UserId(2))), [("Ana", false)]);
        assert_eq!(viewers.users_on((A, T), 1), [UserId(1)]);
    }

    #[test]
    fn a_tab_not_heard_from_for_thirty_seconds_is_gone() {
        let start = Instant::now();
        let mut viewers = Viewers::default();
        viewers.see(screen(1, 1), on(T, 1, "Ana", false), start);
        viewers.see(screen(2, 1), on(T, 2, "Bo", false), start);
        let later = start + Duration::from_secs(20);
        viewers.see(screen(2, 1), on(T, 2, "Bo", false), later);
        assert!(viewers.expire(start + Duration::from_secs(29)).is_empty());
        assert_eq!(viewers.expire(start + EXPIRES_AFTER), [(A, T)]);
        assert_eq!(names(&viewers.others((A, T), UserId(3))), [("Bo", false)]);
        assert_eq!(viewers.expire(later + EXPIRES_AFTER), [(A, T)]);
        assert!(viewers.is_empty());
    }

    proptest! {
        /// Whatever tabs come and go, each tab is on at most one ticket, nobody is listed
        /// twice or to themselves, and every list is whom the tabs say.
        #[test]
        fn lists_follow_the_tabs(steps in proptest::collection::vec(
            (0u64..4, 0i64..3, proptest::option::of(0i64..3), any::<bool>()), 0..40)) {
            let now = Instant::now();
            let mut viewers = Viewers::default();
            let mut truth: HashMap<u64, (i64, i64, bool)> = HashMap::new();
            for (tab, ticket, user, typing) in steps {
                let s = screen(tab % 2, tab);
                match user {
                    Some(u) => {
                        // A tab belongs to one user.
                        let u = truth.get(&tab).map_or(u, |t| t.1);
                        viewers.see(s, on(TicketId(ticket), u, &format!("u{u}"), typing), now);
                        truth.insert(tab, (ticket, u, typing));
                    }
                    None => {
                        viewers.leave(s);
                        truth.remove(&tab);
                    }
                }
            }
            prop_assert_eq!(viewers.len(), truth.len());
            for ticket in 0..3 {
                for me in 0..3 {
                    let seen = viewers.others((A, TicketId(ticket)), UserId(me));
                    let mut want: Vec<(i64, bool)> = Vec::new();
                    for (t, u, typing) in truth.values() {
                        if *t != ticket || *u == me { continue; }
                        match want.iter_mut().find(|w| w.0 == *u) {
                            Some(w) => w.1 |= *typing,
                            None => want.push((*u, *typing)),
                        }
                    }
                    want.sort_unstable();
                    let mut got: Vec<(i64, bool)> = seen.iter().map(|v| (v.user_id.0, v.typing)).collect();
                    got.sort_unstable();
                    prop_assert_eq!(got, want);
                }
            }
        }
    }
}
