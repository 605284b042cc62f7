//! The per-node registry of live sessions. It numbers each user's events (`seq`), keeps a
//! short bounded history for `resume`, and fans every frame out to all of the user's tabs.
//!
//! Each node numbers a user's frames on its own, so a `seq` means something only in the
//! history it was counted in: every history has an `epoch` (random, told in `hello`), and a
//! resume that names another epoch (another node, or this one before a restart or a resync)
//! is answered with a snapshot instead of frames that would only look like the missed ones.
//!
//! Sending never waits: each session has a bounded outbound queue, and a session whose queue
//! is full is cut off (it reconnects and gets a snapshot) rather than growing memory.

use super::frame_budget::{self, FrameBudget};
use super::frames::EventFrame;
use crate::domain::ids::{AccountId, SessionId, UserId};
use crate::metrics::Metrics;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Notify};

/// How many frames, and how many bytes of frames, each user's history keeps for `resume`.
const HISTORY_FRAMES: usize = 128;
const HISTORY_BYTES: usize = 64 * 1024;
/// Live connections one user may have on a node; opening one more closes the oldest, so a
/// runaway client cannot multiply every push (and every `agent.state`) without bound.
pub const MAX_SOCKETS_PER_USER: usize = 20;

/// What a session's writer task receives.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A serialized JSON frame.
    Frame(Arc<str>),
    /// A protocol-level ping.
    Ping,
    /// The answer to a client's protocol-level ping.
    Pong(actix_web::web::Bytes),
}

/// Why the server ends a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// The client did not read its frames fast enough.
    TooSlow,
    /// This server is shutting down; another one (or this one, restarted) takes over.
    ShuttingDown,
    /// The login session behind the connection ended.
    Revoked,
    /// The user opened more connections than allowed; this was the oldest.
    Superseded,
    /// The client kept sending frames far past its budget.
    Flooding,
    /// The session ended on its own (the client closed or fell silent).
    Ended,
    /// The user's role changed; the client reconnects at once and gets the new one.
    RoleChanged,
    /// Frames relayed from other nodes were missed (Redis was down, or a relay queue full);
    /// the client reconnects at once and gets a snapshot.
    MissedFrames,
}

/// Tells a session's writer to close the connection, and why.
#[derive(Default)]
pub struct Closer {
    reason: Mutex<Option<Closing>>,
    notify: Notify,
}

impl Closer {
    /// Asks the writer to close; the first reason given wins.
    pub fn close(&self, why: Closing) {
        self.reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(why);
        self.notify.notify_one();
    }

    /// Waits until [`Closer::close`] is called, and answers why.
    pub async fn closed(&self) -> Closing {
        self.notify.notified().await;
        self.reason
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or(Closing::ShuttingDown)
    }
}

/// The most bytes of frames one connection may have waiting to be written; past it the
/// client counts as too slow (a few `resume` snapshots can be half a megabyte each).
pub const OUTBOX_BYTES: usize = 2 * 1024 * 1024;

/// A connection's queue of frames to write, bounded in frames (by the channel) and in bytes.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Outbound>,
    bytes: Arc<std::sync::atomic::AtomicUsize>,
}

/// Why a frame could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The client is not reading fast enough.
    Full,
    /// The connection's writer has ended.
    Closed,
}

impl Outbound {
    fn len(&self) -> usize {
        match self {
            Outbound::Frame(f) => f.len(),
            Outbound::Ping => 0,
            Outbound::Pong(data) => data.len(),
        }
    }
}

impl Outbox {
    /// A queue of at most `frames` frames, and its receiving end.
    pub fn new(frames: usize) -> (Outbox, mpsc::Receiver<Outbound>) {
        let (tx, rx) = mpsc::channel(frames);
        let bytes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        (Outbox { tx, bytes }, rx)
    }

    /// Queues `item` unless that would pass the frame or byte bound.
    pub fn push(&self, item: Outbound) -> Result<(), Refused> {
        use std::sync::atomic::Ordering::Relaxed;
        let n = item.len();
        if self.bytes.load(Relaxed) + n > OUTBOX_BYTES {
            return Err(Refused::Full);
        }
        match self.tx.try_send(item) {
            Ok(()) => {
                self.bytes.fetch_add(n, Relaxed);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => Err(Refused::Full),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Refused::Closed),
        }
    }

    /// The writer took `item` off the queue.
    pub fn taken(&self, item: &Outbound) {
        self.bytes
            .fetch_sub(item.len(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// The hub's handle on one live connection.
#[derive(Clone)]
pub struct SessionLink {
    pub connection_id: u64,
    pub session_id: SessionId,
    pub outbound: Outbox,
    pub closer: Arc<Closer>,
}

struct Feed {
    account_id: AccountId,
    is_manager: bool,
    /// Names this history: `seq`s from another are not comparable.
    epoch: u64,
    seq: u64,
    history: VecDeque<(u64, Arc<str>)>,
    history_bytes: usize,
    sessions: Vec<SessionLink>,
    /// What all of the user's connections here may send together.
    budget: Arc<Mutex<FrameBudget>>,
}

impl Feed {
    fn remember(&mut self, seq: u64, frame: Arc<str>) {
        self.history_bytes += frame.len();
        self.history.push_back((seq, frame));
        while self.history.len() > HISTORY_FRAMES || self.history_bytes > HISTORY_BYTES {
            match self.history.pop_front() {
                Some((_, old)) => self.history_bytes -= old.len(),
                None => break,
            }
        }
    }

    /// Hands `frame` to every session; a session with a full queue is cut off.
    fn fan_out(&mut self, frame: &Arc<str>) {
        self.sessions
            .retain(|s| match s.outbound.push(Outbound::Frame(frame.clone())) {
                Ok(()) => true,
                Err(Refused::Full) => {
                    tracing::warn!(
                        connection = s.connection_id,
                        "session too slow to read; disconnecting it"
                    );
                    s.closer.close(Closing::TooSlow);
                    false
                }
                Err(Refused::Closed) => false,
            });
    }
}

/// Where a client left off: the last `seq` it saw, and the epoch of the history that `seq`
/// was counted in (`None` from a client that does not send it: the `seq` alone is trusted,
/// which holds on a single node within one run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftOff {
    pub seq: u64,
    pub epoch: Option<u64>,
}

/// Where a new session starts: the user's current `seq` and the history's epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attached {
    pub seq: u64,
    pub epoch: u64,
}

/// A new history's epoch: random, nonzero, and below 2^53 so JavaScript reads it exactly.
fn new_epoch() -> u64 {
    (rand::random::<u64>() >> 11).max(1)
}

/// What `resume` can offer.
#[derive(Debug, PartialEq, Eq)]
pub enum Replay {
    /// Every frame after the client's `last_seq`, in order, with its `seq` (possibly none).
    Frames(Vec<(u64, Arc<str>)>),
    /// The history no longer reaches back that far (or the seq is from another server life).
    TooOld,
}

/// Who a frame is for, wherever they are connected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Audience {
    /// One user.
    User { user_id: UserId },
    /// Every manager of the account.
    Managers,
    /// These users and every manager of the account (a user who is both gets it once).
    UsersAndManagers { users: Vec<UserId> },
    /// No socket: every node itself (what it keeps of the deployment, e.g. who views which
    /// ticket), handed to the receiver given to [`Hub::hearing`].
    Nodes,
}

/// A frame pushed on this node, on its way to the account's sockets on the other nodes.
#[derive(Debug, Clone)]
pub struct Relayed {
    pub account_id: AccountId,
    pub audience: Audience,
    pub frame: EventFrame,
}

/// How many frames may wait for the relay to the other nodes; past it (Redis slow or down)
/// frames reach this node's sockets only, and the others' clients catch up on reconnecting.
pub const RELAY_QUEUE: usize = 16 * 1024;

/// The hub's way to the other nodes: a bounded queue of frames, and a count of the frames
/// that found it full, which the relay numbers as sent so that the other nodes see the gap.
#[derive(Clone)]
pub struct RelayQueue {
    pub frames: mpsc::Sender<Relayed>,
    pub overflowed: Arc<AtomicU64>,
}

impl RelayQueue {
    /// A queue of [`RELAY_QUEUE`] frames, and its receiving end.
    pub fn new() -> (RelayQueue, mpsc::Receiver<Relayed>) {
        let (frames, queued) = mpsc::channel(RELAY_QUEUE);
        let overflowed = Arc::new(AtomicU64::new(0));
        (RelayQueue { frames, overflowed }, queued)
    }
}

/// Live sessions of this node, by user.
#[derive(Default)]
pub struct Hub {
    feeds: Mutex<HashMap<UserId, Feed>>,
    /// Where the node's sockets are counted.
    metrics: Arc<Metrics>,
    /// Where every push also goes, for the other nodes' sockets (`None`: a single node).
    relay: Option<RelayQueue>,
    /// Where frames for the nodes themselves go ([`Audience::Nodes`]).
    node_notices: Option<mpsc::Sender<(AccountId, EventFrame)>>,
}

impl Hub {
    pub fn new(metrics: Arc<Metrics>) -> Hub {
        Hub {
            feeds: Mutex::default(),
            metrics,
            relay: None,
            node_notices: None,
        }
    }

    /// This hub, handing frames pushed to [`Audience::Nodes`] (by this node or another) to
    /// `notices`; one that finds it full is dropped (logged).
    pub fn hearing(self, notices: mpsc::Sender<(AccountId, EventFrame)>) -> Hub {
        Hub {
            node_notices: Some(notices),
            ..self
        }
    }

    /// This hub, handing a copy of every push to `relay` so that the user's sockets on the
    /// other nodes get it too (frames coming back from them enter through [`Hub::deliver`]).
    pub fn relaying(self, relay: RelayQueue) -> Hub {
        Hub {
            relay: Some(relay),
            ..self
        }
    }

    /// The node's figures, for its sessions to count sockets and frames in.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<UserId, Feed>) -> T) -> T {
        f(&mut self.feeds.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Registers a session and returns where it starts: every event after that `seq` will
    /// reach the session.
    pub fn attach(
        &self,
        account_id: AccountId,
        user_id: UserId,
        is_manager: bool,
        link: SessionLink,
    ) -> Attached {
        self.with(|feeds| {
            let feed = feeds.entry(user_id).or_insert_with(|| Feed {
                account_id,
                is_manager,
                epoch: new_epoch(),
                seq: 0,
                history: VecDeque::new(),
                history_bytes: 0,
                sessions: Vec::new(),
                budget: Arc::new(Mutex::new(FrameBudget::new(
                    frame_budget::PER_USER,
                    std::time::Instant::now(),
                ))),
            });
            feed.is_manager = is_manager;
            if feed.sessions.len() >= MAX_SOCKETS_PER_USER {
                let oldest = feed.sessions.remove(0);
                oldest.closer.close(Closing::Superseded);
            }
            feed.sessions.push(link);
            Attached {
                seq: feed.seq,
                epoch: feed.epoch,
            }
        })
    }

    /// The frame budget the user's connections on this node share (a fresh one for a user not
    /// attached here, which cannot happen for a live connection).
    pub fn user_budget(&self, user_id: UserId) -> Arc<Mutex<FrameBudget>> {
        self.with(|feeds| match feeds.get(&user_id) {
            Some(feed) => feed.budget.clone(),
            None => Arc::new(Mutex::new(FrameBudget::new(
                frame_budget::PER_USER,
                std::time::Instant::now(),
            ))),
        })
    }

    /// Unregisters a session; answers whether the user has no other session on this node.
    pub fn detach(&self, user_id: UserId, connection_id: u64) -> bool {
        self.with(|feeds| match feeds.get_mut(&user_id) {
            Some(feed) => {
                feed.sessions.retain(|s| s.connection_id != connection_id);
                feed.sessions.is_empty()
            }
            None => true,
        })
    }

    /// Numbers `event` for the user, remembers it, and sends it to each of their sessions,
    /// here and on every other node. A user who never connected to a node has no feed there:
    /// they get a snapshot on connect.
    pub fn push(&self, account_id: AccountId, user_id: UserId, event: &EventFrame) {
        self.push_everywhere(account_id, Audience::User { user_id }, event);
    }

    /// Sends `event` to every manager of the account, here and on every other node.
    pub fn push_to_managers(&self, account_id: AccountId, event: &EventFrame) {
        self.push_everywhere(account_id, Audience::Managers, event);
    }

    /// Sends `event` once to each of `users` and to every manager of the account, here and on
    /// every other node (a user who is both gets it once).
    pub fn push_to_users_and_managers(
        &self,
        account_id: AccountId,
        users: &[UserId],
        event: &EventFrame,
    ) {
        let users = users.to_vec();
        self.push_everywhere(account_id, Audience::UsersAndManagers { users }, event);
    }

    /// Sends `event` to every node's receiver of node notices, this one's included.
    pub fn push_to_nodes(&self, account_id: AccountId, event: &EventFrame) {
        self.push_everywhere(account_id, Audience::Nodes, event);
    }

    /// Delivers here, then hands the frame to the relay without waiting; a full relay queue
    /// drops it for the other nodes only (logged), never blocks the pusher.
    fn push_everywhere(&self, account_id: AccountId, audience: Audience, event: &EventFrame) {
        self.deliver(account_id, &audience, event);
        if let Some(relay) = &self.relay {
            let relayed = Relayed {
                account_id,
                audience,
                frame: event.clone(),
            };
            if let Err(mpsc::error::TrySendError::Full(_)) = relay.frames.try_send(relayed) {
                relay.overflowed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("the relay to the other nodes is full; a frame stays on this node");
            }
        }
    }

    /// Sends `event` to the audience's sessions on this node only (a frame another node
    /// pushed and relayed here, or the local half of a push).
    pub fn deliver(&self, account_id: AccountId, audience: &Audience, event: &EventFrame) {
        self.with(|feeds| match audience {
            Audience::User { user_id } => {
                if let Some(feed) = feeds.get_mut(user_id) {
                    Self::push_to(feed, event);
                }
            }
            Audience::Managers => {
                for feed in feeds
                    .values_mut()
                    .filter(|f| f.account_id == account_id && f.is_manager)
                {
                    Self::push_to(feed, event);
                }
            }
            Audience::UsersAndManagers { users } => {
                for (_, feed) in feeds.iter_mut().filter(|(id, f)| {
                    f.account_id == account_id && (f.is_manager || users.contains(id))
                }) {
                    Self::push_to(feed, event);
                }
            }
            Audience::Nodes => {
                if let Some(notices) = &self.node_notices {
                    if notices.try_send((account_id, event.clone())).is_err() {
                        tracing::warn!("node notices are full or gone; one is dropped");
                    }
                }
            }
        });
    }

    fn push_to(feed: &mut Feed, event: &EventFrame) {
        feed.seq += 1;
        let seq = feed.seq;
        let frame = event.numbered(seq);
        feed.remember(seq, frame.clone());
        feed.fan_out(&frame);
    }

    /// The frames after where the client left off, if that is in this history and the
    /// history still has all of them.
    pub fn replay(&self, user_id: UserId, left_off: LeftOff) -> Replay {
        let last_seq = left_off.seq;
        self.with(|feeds| {
            let Some(feed) = feeds.get(&user_id) else {
                return Replay::TooOld;
            };
            if left_off.epoch.is_some_and(|e| e != feed.epoch) || last_seq > feed.seq {
                return Replay::TooOld;
            }
            if last_seq == feed.seq {
                return Replay::Frames(Vec::new());
            }
            match feed.history.front() {
                Some((oldest, _)) if *oldest <= last_seq + 1 => Replay::Frames(
                    feed.history
                        .iter()
                        .filter(|(seq, _)| *seq > last_seq)
                        .cloned()
                        .collect(),
                ),
                _ => Replay::TooOld,
            }
        })
    }

    /// The user's current `seq`.
    pub fn seq(&self, user_id: UserId) -> u64 {
        self.with(|feeds| feeds.get(&user_id).map_or(0, |f| f.seq))
    }

    /// Whether a manager of the account has a live session on this node (the dispatcher asks
    /// presence about the other nodes).
    pub fn has_local_managers(&self, account_id: AccountId) -> bool {
        self.with(|feeds| {
            feeds
                .values()
                .any(|f| f.account_id == account_id && f.is_manager && !f.sessions.is_empty())
        })
    }

    /// Closes the user's connections opened with a revoked login session: `only` that one,
    /// or every one but `keep`.
    pub fn close_revoked(&self, user_id: UserId, only: Option<SessionId>, keep: Option<SessionId>) {
        self.with(|feeds| {
            let Some(feed) = feeds.get_mut(&user_id) else {
                return;
            };
            feed.sessions.retain(|s| {
                let revoked = only.is_none_or(|o| o == s.session_id) && keep != Some(s.session_id);
                if revoked {
                    s.closer.close(Closing::Revoked);
                }
                !revoked
            });
        });
    }

    /// Closes every connection of the user on this node, saying why.
    pub fn close_user(&self, user_id: UserId, why: Closing) {
        self.with(|feeds| {
            if let Some(feed) = feeds.get_mut(&user_id) {
                for s in feed.sessions.drain(..) {
                    s.closer.close(why);
                }
            }
        });
    }

    /// The login sessions behind this node's live connections (each once).
    pub fn session_ids(&self) -> Vec<SessionId> {
        let mut ids: Vec<SessionId> = self.with(|feeds| {
            feeds
                .values()
                .flat_map(|f| f.sessions.iter().map(|s| s.session_id))
                .collect()
        });
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Closes every connection opened with one of these login sessions (found ended).
    pub fn close_sessions(&self, ended: &HashSet<SessionId>) {
        self.with(|feeds| {
            for feed in feeds.values_mut() {
                feed.sessions.retain(|s| {
                    let revoked = ended.contains(&s.session_id);
                    if revoked {
                        s.closer.close(Closing::Revoked);
                    }
                    !revoked
                });
            }
        });
    }

    /// Closes every session of this node (shutdown), each with a close frame saying why.
    pub fn close_all(&self, why: Closing) {
        self.with(|feeds| {
            for feed in feeds.values_mut() {
                for s in feed.sessions.drain(..) {
                    s.closer.close(why);
                }
            }
        });
    }

    /// Closes every session of this node with "reconnect now" and makes their next `resume`
    /// a snapshot: frames relayed from other nodes were missed, so no history here is whole.
    pub fn resync_all(&self) {
        self.with(|feeds| {
            for feed in feeds.values_mut() {
                // A new history (and a seq past every one the client saw, for clients that
                // do not send the epoch): `resume` answers a snapshot.
                feed.epoch = new_epoch();
                feed.seq += 1;
                feed.history.clear();
                feed.history_bytes = 0;
                for s in feed.sessions.drain(..) {
                    s.closer.close(Closing::MissedFrames);
                }
            }
        });
    }

    /// Whether the user has a live session on this node.
    pub fn is_connected(&self, user_id: UserId) -> bool {
        self.with(|feeds| feeds.get(&user_id).is_some_and(|f| !f.sessions.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dispatch::Reason;
    use crate::domain::ids::TicketId;
    use crate::session::frames::ServerEvent;

    const A: AccountId = AccountId(9);
    const U: UserId = UserId(100);

    fn link(id: u64, capacity: usize) -> (SessionLink, mpsc::Receiver<Outbound>, Arc<Closer>) {
        let (tx, rx) = Outbox::new(capacity);
        let closer = Arc::new(Closer::default());
        (
            SessionLink {
                connection_id: id,
                session_id: SessionId(id as i64),
                outbound: tx,
                closer: closer.clone(),
            },
            rx,
            closer,
        )
    }

    fn event(n: i64) -> EventFrame {
        EventFrame::new(&ServerEvent::TicketUnassigned {
            reason: Reason::Rebalanced,
            ticket_id: TicketId(n),
        })
        .unwrap()
    }

    fn text(o: Outbound) -> String {
        match o {
            Outbound::Frame(f) => f.to_string(),
            Outbound::Ping => "ping".into(),
            Outbound::Pong(_) => "pong".into(),
        }
    }

    #[test]
    fn every_tab_gets_every_event_numbered_once() {
        let hub = Hub::default();
        let (a, mut rx_a, _) = link(1, 8);
        let (b, mut rx_b, _) = link(2, 8);
        assert_eq!(hub.attach(A, U, false, a).seq, 0);
        assert_eq!(hub.attach(A, U, false, b).seq, 0);
        hub.push(A, U, &event(1));
        hub.push(A, U, &event(2));
        for rx in [&mut rx_a, &mut rx_b] {
            assert!(text(rx.try_recv().unwrap()).contains(r#""seq":1"#));
            assert!(text(rx.try_recv().unwrap()).contains(r#""seq":2"#));
        }
        assert!(!hub.detach(U, 1));
        assert!(hub.detach(U, 2));
        hub.push(A, U, &event(3));
        assert_eq!(
            hub.seq(U),
            3,
            "events while disconnected are numbered and kept for resume"
        );
    }

    /// Where a client that sends no epoch left off.
    fn seq(n: u64) -> LeftOff {
        LeftOff {
            seq: n,
            epoch: None,
        }
    }

    #[test]
    fn a_resume_counted_in_another_history_is_too_old_however_its_seq_compares() {
        let hub = Hub::default();
        let (tab, _rx, _) = link(1, 1024);
        let here = hub.attach(A, U, false, tab);
        for n in 1..=5 {
            hub.push(A, U, &event(n));
        }
        let elsewhere = LeftOff {
            seq: 3,
            epoch: Some(here.epoch + 1),
        };
        assert_eq!(hub.replay(U, elsewhere), Replay::TooOld);
        let same = LeftOff {
            seq: 3,
            epoch: Some(here.epoch),
        };
        assert!(matches!(hub.replay(U, same), Replay::Frames(f) if f.len() == 2));
        hub.resync_all();
        assert_eq!(
            hub.replay(U, same),
            Replay::TooOld,
            "a resync starts a new history"
        );
    }

    #[test]
    fn replay_serves_the_gap_or_says_it_is_too_old() {
        let hub = Hub::default();
        let (a, _rx, _) = link(1, 1024);
        hub.attach(A, U, false, a);
        for n in 1..=5 {
            hub.push(A, U, &event(n));
        }
        match hub.replay(U, seq(3)) {
            Replay::Frames(frames) => {
                assert_eq!(frames.len(), 2);
                assert_eq!(frames[0].0, 4);
                assert!(frames[0].1.contains(r#""seq":4"#));
            }
            Replay::TooOld => panic!("history should reach seq 4"),
        }
        assert_eq!(hub.replay(U, seq(5)), Replay::Frames(vec![]));
        assert_eq!(
            hub.replay(U, seq(6)),
            Replay::TooOld,
            "a seq from another server life"
        );
        for n in 6..=(HISTORY_FRAMES as i64 + 10) {
            hub.push(A, U, &event(n));
        }
        assert_eq!(hub.replay(U, seq(1)), Replay::TooOld);
        assert_eq!(hub.replay(UserId(404), seq(0)), Replay::TooOld);
    }

    #[tokio::test]
    async fn a_session_that_cannot_keep_up_is_cut_off() {
        let hub = Hub::default();
        let (slow, _rx, cut_off) = link(1, 2);
        let (fast, mut rx_fast, _) = link(2, 64);
        hub.attach(A, U, false, slow);
        hub.attach(A, U, false, fast);
        for n in 0..5 {
            hub.push(A, U, &event(n));
        }
        let why = tokio::time::timeout(std::time::Duration::from_secs(1), cut_off.closed())
            .await
            .expect("cut off");
        assert_eq!(why, Closing::TooSlow);
        let mut got = 0;
        while rx_fast.try_recv().is_ok() {
            got += 1;
        }
        assert_eq!(got, 5, "the other tab is unaffected");
        assert!(hub.is_connected(U));
    }

    #[test]
    fn an_outbox_is_bounded_in_bytes_as_well_as_frames() {
        let (outbox, mut rx) = Outbox::new(1000);
        let big: Arc<str> = "x".repeat(OUTBOX_BYTES / 4 + 1).into();
        for _ in 0..3 {
            assert_eq!(outbox.push(Outbound::Frame(big.clone())), Ok(()));
        }
        assert_eq!(
            outbox.push(Outbound::Frame(big.clone())),
            Err(Refused::Full),
            "four such frames pass the byte bound"
        );
        let taken = rx.try_recv().unwrap();
        outbox.taken(&taken);
        assert_eq!(
            outbox.push(Outbound::Frame(big)),
            Ok(()),
            "writing frees room"
        );
    }

    #[test]
    fn a_push_reaches_the_local_tabs_and_goes_to_the_relay_once_while_a_relayed_frame_stays() {
        let (queue, mut relayed) = RelayQueue::new();
        let hub = Hub::default().relaying(queue);
        let (tab, mut rx, _) = link(1, 8);
        hub.attach(A, U, false, tab);
        hub.push(A, U, &event(1));
        let copy = relayed.try_recv().expect("relayed");
        assert_eq!(copy.account_id, A);
        assert_eq!(copy.audience, Audience::User { user_id: U });
        assert_eq!(copy.frame.serialised(), event(1).serialised());
        // What another node relayed here is delivered, never relayed again.
        hub.deliver(A, &Audience::User { user_id: U }, &event(2));
        assert!(
            relayed.try_recv().is_err(),
            "no echo back to the other nodes"
        );
        assert!(text(rx.try_recv().unwrap()).starts_with(r#"{"seq":1,"#));
        assert!(text(rx.try_recv().unwrap()).starts_with(r#"{"seq":2,"#));
    }

    #[test]
    fn a_full_relay_counts_what_it_dropped() {
        let (queue, _relayed) = RelayQueue::new();
        let overflowed = queue.overflowed.clone();
        let hub = Hub::default().relaying(queue);
        for n in 0..RELAY_QUEUE as i64 + 3 {
            hub.push_to_managers(A, &event(n));
        }
        assert_eq!(overflowed.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn a_resync_closes_every_session_and_makes_resume_a_snapshot() {
        let hub = Hub::default();
        let (tab, _rx, closer) = link(1, 8);
        hub.attach(A, U, false, tab);
        hub.push(A, U, &event(1));
        let seen = hub.seq(U);
        hub.resync_all();
        let why = tokio::time::timeout(std::time::Duration::from_secs(1), closer.closed())
            .await
            .expect("closed");
        assert_eq!(why, Closing::MissedFrames);
        assert_eq!(hub.replay(U, seq(seen)), Replay::TooOld);
        assert_eq!(hub.replay(U, seq(0)), Replay::TooOld);
    }

    #[tokio::test]
    async fn shutting_down_closes_every_session_with_its_reason() {
        let hub = Hub::default();
        let (a, _rx_a, closer_a) = link(1, 8);
        let (b, _rx_b, closer_b) = link(2, 8);
        hub.attach(A, U, false, a);
        hub.attach(A, UserId(2), true, b);
        hub.close_all(Closing::ShuttingDown);
        for closer in [closer_a, closer_b] {
            let why = tokio::time::timeout(std::time::Duration::from_secs(1), closer.closed())
                .await
                .expect("closed");
            assert_eq!(why, Closing::ShuttingDown);
        }
        assert!(!hub.is_connected(U));
    }

    #[tokio::test]
    async fn a_user_keeps_at_most_twenty_sockets_and_the_oldest_goes() {
        let hub = Hub::default();
        let mut closers = Vec::new();
        let mut receivers = Vec::new();
        for id in 0..=MAX_SOCKETS_PER_USER as u64 {
            let (l, rx, closer) = link(id, 8);
            hub.attach(A, U, false, l);
            closers.push(closer);
            receivers.push(rx);
        }
        let why = tokio::time::timeout(std::time::Duration::from_secs(1), closers[0].closed())
            .await
            .expect("the oldest is closed");
        assert_eq!(why, Closing::Superseded);
        hub.push(A, U, &event(1));
        assert!(
            receivers[0].try_recv().is_err(),
            "the oldest gets nothing more"
        );
        assert!(receivers.iter_mut().skip(1).all(|rx| rx.try_recv().is_ok()));
    }

    #[tokio::test]
    async fn a_revoked_login_closes_its_connections_and_no_others() {
        let hub = Hub::default();
        let (a, _rx_a, closer_a) = link(1, 8);
        let (b, mut rx_b, _closer_b) = link(2, 8);
        hub.attach(A, U, false, a);
        hub.attach(A, U, false, b);
        hub.close_revoked(U, Some(SessionId(1)), None);
        let why = tokio::time::timeout(std::time::Duration::from_secs(1), closer_a.closed())
            .await
            .expect("closed");
        assert_eq!(why, Closing::Revoked);
        hub.push(A, U, &event(1));
        assert!(rx_b.try_recv().is_ok(), "the other login keeps its socket");
        hub.close_revoked(U, None, Some(SessionId(2)));
        assert!(hub.is_connected(U), "kept");
        hub.close_revoked(U, None, None);
        assert!(!hub.is_connected(U));
    }

    #[tokio::test]
    async fn sessions_found_ended_lose_their_connections_on_every_user() {
        let hub = Hub::default();
        let (a, _rx_a, closer_a) = link(1, 8);
        let (b, _rx_b, _closer_b) = link(2, 8);
        let (c, _rx_c, closer_c) = link(3, 8);
        hub.attach(A, U, false, a);
        hub.attach(A, U, false, b);
        hub.attach(A, UserId(2), true, c);
        assert_eq!(
            hub.session_ids(),
            [SessionId(1), SessionId(2), SessionId(3)]
        );
        hub.close_sessions(&HashSet::from([SessionId(1), SessionId(3)]));
        for closer in [closer_a, closer_c] {
            let why = tokio::time::timeout(std::time::Duration::from_secs(1), closer.closed())
                .await
                .expect("closed");
            assert_eq!(why, Closing::Revoked);
        }
        assert_eq!(hub.session_ids(), [SessionId(2)]);
    }

    #[test]
    fn a_frame_for_some_users_and_the_managers_reaches_each_once() {
        let hub = Hub::default();
        let (m, mut rx_m, _) = link(1, 8);
        let (named, mut rx_named, _) = link(2, 8);
        let (other, mut rx_other, _) = link(3, 8);
        let (elsewhere, mut rx_elsewhere, _) = link(4, 8);
        hub.attach(A, UserId(1), true, m);
        hub.attach(A, UserId(2), false, named);
        hub.attach(A, UserId(3), false, other);
        hub.attach(AccountId(10), UserId(4), true, elsewhere);
        hub.push_to_users_and_managers(A, &[UserId(1), UserId(2)], &event(1));
        for rx in [&mut rx_m, &mut rx_named] {
            assert!(text(rx.try_recv().unwrap()).contains(r#""seq":1"#));
            assert!(rx.try_recv().is_err(), "once");
        }
        assert!(rx_other.try_recv().is_err());
        assert!(rx_elsewhere.try_recv().is_err());
    }

    #[test]
    fn a_frame_for_the_nodes_reaches_the_node_and_no_socket() {
        let (notices, mut heard) = mpsc::channel(4);
        let (queue, mut relayed) = RelayQueue::new();
        let hub = Hub::default().relaying(queue).hearing(notices);
        let (m, mut rx_m, _) = link(1, 8);
        hub.attach(A, UserId(1), true, m);
        hub.push_to_nodes(A, &event(1));
        let (account, frame) = heard.try_recv().expect("heard here");
        assert_eq!(account, A);
        assert_eq!(frame.serialised(), event(1).serialised());
        assert_eq!(
            relayed.try_recv().expect("relayed").audience,
            Audience::Nodes
        );
        assert!(rx_m.try_recv().is_err(), "no socket gets it");
        hub.deliver(A, &Audience::Nodes, &event(2));
        assert!(heard.try_recv().is_ok(), "another node's too");
    }

    #[test]
    fn managers_get_account_wide_frames_and_nobody_else_does() {
        let hub = Hub::default();
        let (m, mut rx_m, _) = link(1, 8);
        let (a, mut rx_a, _) = link(2, 8);
        let (other, mut rx_other, _) = link(3, 8);
        hub.attach(A, UserId(1), true, m);
        hub.attach(A, UserId(2), false, a);
        hub.attach(AccountId(10), UserId(3), true, other);
        hub.push_to_managers(A, &event(1));
        assert!(rx_m.try_recv().is_ok());
        assert!(rx_a.try_recv().is_err());
        assert!(rx_other.try_recv().is_err());
    }
}
