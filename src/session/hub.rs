//! The per-node registry of live sessions. It numbers each user's events (`seq`), keeps a
//! short bounded history for `resume`, and fans every frame out to all of the user's tabs.
//!
//! A `seq` means something only in the history it was counted in, and every history has an
//! `epoch` (told in `hello`). With Redis, a user's frames are numbered once for every node
//! (the shared history, [`SharedHistory`]): every node hears them numbered, in order, and a
//! client that reconnects to any node resumes exactly where it left off. Without Redis, or
//! while it is unreachable, each node numbers its users' frames on its own, in a history of
//! its own (a random epoch): moving between the two tells the live sessions the new epoch in
//! band (an `epoch` frame), and a resume that names another history is answered with a
//! snapshot instead of frames that would only look like the missed ones.
//!
//! Sending never waits: each session has a bounded outbound queue, and a session whose queue
//! is full is cut off (it reconnects and gets a snapshot) rather than growing memory.

use super::frame_budget::{self, FrameBudget};
use super::frames::{ControlFrame, EventFrame};
use crate::domain::ids::{AccountId, SessionId, UserId};
use crate::metrics::Metrics;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
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
    /// Names this history: `seq`s from another are not comparable. 0 while the feed waits to
    /// learn the shared history it follows (from its next frame or connection).
    epoch: u64,
    seq: u64,
    history: VecDeque<(u64, Arc<str>)>,
    history_bytes: usize,
    sessions: Vec<SessionLink>,
    /// The connection whose close left the user with none here, until their return or the
    /// announcement that they are away (see [`Hub::arrive`]).
    dropped: Option<u64>,
    /// What all of the user's connections here may send together.
    budget: Arc<Mutex<FrameBudget>>,
}

impl Feed {
    /// Follows history `epoch` from `seq` on, forgetting the frames of the one before.
    fn start_history(&mut self, epoch: u64, seq: u64) {
        self.epoch = epoch;
        self.seq = seq;
        self.history.clear();
        self.history_bytes = 0;
    }

    /// Tells every session but `skip` (one whose `hello` says it), in band, that the frames
    /// after this one count in history `epoch` from `seq` on.
    fn announce(&mut self, skip: Option<u64>) {
        let frame = ControlFrame::Epoch {
            epoch: self.epoch,
            seq: self.seq,
        };
        let text: Arc<str> = match serde_json::to_string(&frame) {
            Ok(text) => text.into(),
            Err(e) => return tracing::error!(error = %e, "an epoch frame did not serialise"),
        };
        let (skipped, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.sessions)
            .into_iter()
            .partition(|s| Some(s.connection_id) == skip);
        self.sessions = rest;
        self.fan_out(&text);
        self.sessions.extend(skipped);
    }

    /// Closes every session but `keep`: they reconnect at once and resume.
    fn resync(&mut self, keep: Option<u64>) {
        self.sessions.retain(|s| {
            let kept = Some(s.connection_id) == keep;
            if !kept {
                s.closer.close(Closing::MissedFrames);
            }
            kept
        });
    }

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

/// What a new connection is to the user's others on this node ([`Hub::arrive`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// No other connection here, and any drop before it was told: news.
    First,
    /// The user has other connections here: nothing changes.
    AnotherTab,
    /// The user's last connection here closed moments ago, and nobody was told yet: nothing
    /// changes either.
    BackFromBlip,
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

/// Where a user's frames are numbered once for every node (Redis): the history any node can
/// resume a client from. Implemented by the frame relay, which also hands the hub each frame
/// numbered ([`Hub::deliver_numbered`]).
pub trait SharedHistory: Send + Sync + 'static {
    /// Registers a connection of the user: the history their frames are numbered in now, and
    /// the last `seq` in it.
    fn attach(
        &self,
        account_id: AccountId,
        user_id: UserId,
        is_manager: bool,
    ) -> BoxFuture<'_, Result<Attached, String>>;
    /// The frames after where the client left off, numbered, if the history still has them.
    fn replay(&self, user_id: UserId, left_off: LeftOff) -> BoxFuture<'_, Result<Replay, String>>;
}

/// A frame's number in one recipient's shared history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbered {
    pub user_id: UserId,
    pub epoch: u64,
    pub seq: u64,
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
    /// Where every push goes to be numbered for every node (`None`: a single node without
    /// Redis).
    relay: Option<RelayQueue>,
    /// The histories every node shares, once the relay is running.
    shared: OnceLock<Arc<dyn SharedHistory>>,
    /// Whether frames are numbered in the shared history now (Redis answers) rather than here.
    sequenced: AtomicBool,
    /// Where frames for the nodes themselves go ([`Audience::Nodes`]).
    node_notices: Option<mpsc::Sender<(AccountId, EventFrame)>>,
}

impl Hub {
    pub fn new(metrics: Arc<Metrics>) -> Hub {
        Hub {
            feeds: Mutex::default(),
            metrics,
            relay: None,
            shared: OnceLock::new(),
            sequenced: AtomicBool::new(false),
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

    /// This hub, handing every push to `relay`, which has it numbered in the shared history
    /// and hands it back, numbered, to every node ([`Hub::deliver_numbered`]). Until
    /// [`Hub::number_shared`], frames are numbered here.
    pub fn relaying(self, relay: RelayQueue) -> Hub {
        Hub {
            relay: Some(relay),
            ..self
        }
    }

    /// Where the shared histories are read (set once, by the relay).
    pub fn share_histories(&self, shared: Arc<dyn SharedHistory>) {
        let _ = self.shared.set(shared);
    }

    /// Whether frames are numbered in the shared history now.
    pub fn is_sequenced(&self) -> bool {
        self.sequenced.load(Ordering::Relaxed)
    }

    /// Frames are numbered in the shared history again (Redis answers): every feed learns
    /// its history from its next frame or connection, and its sessions are told in band.
    pub fn number_shared(&self) {
        if self.sequenced.swap(true, Ordering::Relaxed) {
            return;
        }
        self.with(|feeds| {
            for feed in feeds.values_mut() {
                let seq = feed.seq;
                feed.start_history(0, seq);
            }
        });
    }

    /// Frames are numbered on this node alone from now on (Redis does not answer). Every
    /// feed starts a history of its own, told to its sessions in band; when frames may have
    /// been `lost` on their way (a failed publish), the sessions reconnect for a snapshot
    /// instead.
    pub fn number_locally(&self, lost: bool) {
        if !self.sequenced.swap(false, Ordering::Relaxed) && !lost {
            return;
        }
        self.with(|feeds| {
            for feed in feeds.values_mut() {
                // A seq past every one the client saw, for clients that send no epoch.
                let seq = feed.seq + 1;
                feed.start_history(new_epoch(), seq);
                if lost {
                    feed.resync(None);
                } else {
                    feed.announce(None);
                }
            }
        });
    }

    /// The users with live sessions here, to register again with a Redis that came back
    /// (or whose keys are about to expire): account, user and whether a manager.
    pub fn live_users(&self) -> Vec<(AccountId, UserId, bool)> {
        self.with(|feeds| {
            feeds
                .iter()
                .filter(|(_, f)| !f.sessions.is_empty())
                .map(|(id, f)| (f.account_id, *id, f.is_manager))
                .collect()
        })
    }

    /// The node's figures, for its sessions to count sockets and frames in.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<UserId, Feed>) -> T) -> T {
        f(&mut self.feeds.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Registers a session and returns where it starts: every event after that `seq` will
    /// reach the session. With the shared history, [`Hub::attach_shared`] then says where.
    pub fn attach(
        &self,
        account_id: AccountId,
        user_id: UserId,
        is_manager: bool,
        link: SessionLink,
    ) -> Attached {
        self.with(|feeds| {
            let sequenced = self.is_sequenced();
            let feed = feeds.entry(user_id).or_insert_with(|| Feed {
                account_id,
                is_manager,
                epoch: if sequenced { 0 } else { new_epoch() },
                seq: 0,
                history: VecDeque::new(),
                history_bytes: 0,
                sessions: Vec::new(),
                dropped: None,
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

    /// Where a session attached `here` starts in the shared history (when frames are
    /// numbered there): the feed follows that history from then on. A shared history that
    /// cannot be reached makes this node number its frames alone.
    pub async fn attach_shared(
        &self,
        account_id: AccountId,
        user_id: UserId,
        is_manager: bool,
        connection_id: u64,
        here: Attached,
    ) -> Attached {
        let Some(shared) = self.shared.get().filter(|_| self.is_sequenced()) else {
            return here;
        };
        match shared.attach(account_id, user_id, is_manager).await {
            Ok(there) => {
                self.adopt(user_id, there, Some(connection_id));
                there
            }
            Err(e) => {
                tracing::warn!(error = %e, "the shared history did not answer; numbering frames here");
                self.number_locally(false);
                Attached {
                    seq: self.seq(user_id),
                    epoch: self.epoch(user_id),
                }
            }
        }
    }

    /// The feed follows the shared history `at` (from a connection's registration): nothing
    /// changes when it already does; a feed still learning starts it, told in band; one that
    /// followed another closes its sessions but `keep` (they may have missed frames).
    pub fn adopt(&self, user_id: UserId, at: Attached, keep: Option<u64>) {
        self.with(|feeds| {
            let Some(feed) = feeds.get_mut(&user_id) else {
                return;
            };
            if feed.epoch == at.epoch {
                return;
            }
            if feed.epoch != 0 {
                feed.resync(keep);
            }
            feed.start_history(at.epoch, at.seq);
            feed.announce(keep);
        });
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

    /// What a connection of the user about to attach is to the others: their first here, a
    /// tab beside live ones, or a return from a drop nobody was told of yet (a blip).
    pub fn arrive(&self, user_id: UserId) -> Arrival {
        self.with(|feeds| {
            let Some(feed) = feeds.get_mut(&user_id) else {
                return Arrival::First;
            };
            if !feed.sessions.is_empty() {
                Arrival::AnotherTab
            } else if feed.dropped.take().is_some() {
                Arrival::BackFromBlip
            } else {
                Arrival::First
            }
        })
    }

    /// Whether `connection`'s close still leaves the user with no connection here, nor any
    /// return since; if so, that drop is now to be told, and the user's next connection is
    /// their first again.
    pub fn still_away(&self, user_id: UserId, connection_id: u64) -> bool {
        self.with(|feeds| match feeds.get_mut(&user_id) {
            Some(feed) if feed.sessions.is_empty() && feed.dropped == Some(connection_id) => {
                feed.dropped = None;
                true
            }
            _ => false,
        })
    }

    /// Unregisters a session; answers whether the user has no other session on this node.
    pub fn detach(&self, user_id: UserId, connection_id: u64) -> bool {
        self.with(|feeds| match feeds.get_mut(&user_id) {
            Some(feed) => {
                feed.sessions.retain(|s| s.connection_id != connection_id);
                let last = feed.sessions.is_empty();
                if last {
                    feed.dropped = Some(connection_id);
                }
                last
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

    /// Hands the frame to the relay to be numbered for every node, without waiting; while
    /// frames are numbered here (or the relay is full), delivers it here only and counts it
    /// as relayed, so that the other nodes see they missed it.
    fn push_everywhere(&self, account_id: AccountId, audience: Audience, event: &EventFrame) {
        if let Some(relay) = &self.relay {
            if self.is_sequenced() {
                let relayed = Relayed {
                    account_id,
                    audience: audience.clone(),
                    frame: event.clone(),
                };
                match relay.frames.try_send(relayed) {
                    Ok(()) => return,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        tracing::warn!("the relay is full; numbering frames on this node");
                        self.number_locally(true);
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => self.number_locally(false),
                }
            }
            relay.overflowed.fetch_add(1, Ordering::Relaxed);
        }
        self.deliver(account_id, &audience, event);
    }

    /// Delivers a frame numbered in the shared history to the recipients' sessions on this
    /// node, each once and in order. A number past the next one means frames were missed:
    /// the sessions reconnect and resume exactly (the shared history has them). Ignored while
    /// frames are numbered here.
    pub fn deliver_numbered(&self, account_id: AccountId, to: &[Numbered], event: &EventFrame) {
        if !self.is_sequenced() {
            return;
        }
        self.with(|feeds| {
            for n in to {
                let Some(feed) = feeds.get_mut(&n.user_id) else {
                    continue;
                };
                if feed.account_id != account_id || n.seq == 0 {
                    continue;
                }
                if feed.epoch == n.epoch {
                    if n.seq <= feed.seq {
                        continue;
                    }
                    if n.seq > feed.seq + 1 {
                        feed.resync(None);
                        feed.start_history(n.epoch, n.seq - 1);
                    }
                } else if feed.epoch == 0 || n.seq == 1 {
                    // A history this feed is learning, or one that begins with this frame.
                    feed.start_history(n.epoch, n.seq - 1);
                    feed.announce(None);
                } else {
                    feed.resync(None);
                    feed.start_history(n.epoch, n.seq - 1);
                }
                Self::push_to(feed, event);
            }
        });
    }

    /// Numbers `event` here and sends it to the audience's sessions on this node only.
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
                // A set: the audience can be every user online (5,000 under `target`).
                let users: HashSet<&UserId> = users.iter().collect();
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

    /// The frames after where the client left off: from this node's history when it has
    /// them, else from the shared one.
    pub async fn replay_anywhere(&self, user_id: UserId, left_off: LeftOff) -> Replay {
        if let Replay::Frames(frames) = self.replay(user_id, left_off) {
            return Replay::Frames(frames);
        }
        let Some(shared) = self.shared.get().filter(|_| self.is_sequenced()) else {
            return Replay::TooOld;
        };
        match shared.replay(user_id, left_off).await {
            Ok(replay) => replay,
            Err(e) => {
                tracing::warn!(error = %e, "the shared history did not answer a resume");
                Replay::TooOld
            }
        }
    }

    /// The epoch of the user's history here (0 while it is being learned).
    pub fn epoch(&self, user_id: UserId) -> u64 {
        self.with(|feeds| feeds.get(&user_id).map_or(0, |f| f.epoch))
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

    /// Closes every session of this node with "reconnect now": frames from other nodes were
    /// missed, so no history here is whole, and each resume is served from the shared history
    /// (or is a snapshot).
    pub fn resync_all(&self) {
        let sequenced = self.is_sequenced();
        self.with(|feeds| {
            for feed in feeds.values_mut() {
                // With the shared history, the feed learns it again (and a resume is served
                // from it, exactly); without, a new history here (and a seq past every one the
                // client saw, for clients that send no epoch): `resume` answers a snapshot.
                let (epoch, seq) = match sequenced {
                    true => (0, feed.seq),
                    false => (new_epoch(), feed.seq + 1),
                };
                feed.start_history(epoch, seq);
                feed.resync(None);
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

    #[test]
    fn a_tab_beside_live_ones_or_back_from_a_blip_is_no_news() {
        let hub = Hub::default();
        assert_eq!(hub.arrive(U), Arrival::First);
        let (a, _rx_a, _) = link(1, 8);
        hub.attach(A, U, false, a);
        assert_eq!(hub.arrive(U), Arrival::AnotherTab);
        let (b, _rx_b, _) = link(2, 8);
        hub.attach(A, U, false, b);
        assert!(!hub.detach(U, 1));
        assert!(!hub.still_away(U, 1), "another tab is still here");
        assert!(hub.detach(U, 2));
        assert_eq!(hub.arrive(U), Arrival::BackFromBlip);
        let (c, _rx_c, _) = link(3, 8);
        hub.attach(A, U, false, c);
        assert!(!hub.still_away(U, 2), "back within the blip: never away");
    }

    #[test]
    fn a_user_who_stays_away_is_told_once_and_their_return_is_news() {
        let hub = Hub::default();
        let (a, _rx, _) = link(1, 8);
        hub.attach(A, U, false, a);
        assert!(hub.detach(U, 1));
        assert!(hub.still_away(U, 1));
        assert!(!hub.still_away(U, 1), "told once");
        assert_eq!(hub.arrive(U), Arrival::First);
    }

    #[test]
    fn only_the_latest_drop_is_told() {
        let hub = Hub::default();
        let (a, _rx_a, _) = link(1, 8);
        hub.attach(A, U, false, a);
        assert!(hub.detach(U, 1));
        assert_eq!(hub.arrive(U), Arrival::BackFromBlip);
        let (b, _rx_b, _) = link(2, 8);
        hub.attach(A, U, false, b);
        assert!(hub.detach(U, 2));
        assert!(
            !hub.still_away(U, 1),
            "the first drop's wait ends: nothing to say"
        );
        assert!(hub.still_away(U, 2));
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

    /// A hub with a relay, following the shared histories.
    fn sequenced() -> (Hub, mpsc::Receiver<Relayed>) {
        let (queue, relayed) = RelayQueue::new();
        let hub = Hub::default().relaying(queue);
        hub.number_shared();
        (hub, relayed)
    }

    fn numbered(epoch: u64, seq: u64) -> [Numbered; 1] {
        [Numbered {
            user_id: U,
            epoch,
            seq,
        }]
    }

    const E: u64 = 1764790000123456;

    #[tokio::test]
    async fn a_push_waits_for_its_number_in_the_shared_history_and_comes_once_in_order() {
        let (hub, mut relayed) = sequenced();
        let (tab, mut rx, closer) = link(1, 8);
        hub.attach(A, U, false, tab);
        hub.push(A, U, &event(1));
        let copy = relayed.try_recv().expect("relayed");
        assert_eq!(copy.audience, Audience::User { user_id: U });
        assert!(
            rx.try_recv().is_err(),
            "not delivered before it is numbered"
        );

        hub.deliver_numbered(A, &numbered(E, 1), &event(1));
        assert_eq!(
            text(rx.try_recv().unwrap()),
            format!(r#"{{"type":"epoch","epoch":{E},"seq":0}}"#),
            "the learnt history is told in band first"
        );
        assert!(text(rx.try_recv().unwrap()).starts_with(r#"{"seq":1,"#));
        hub.deliver_numbered(A, &numbered(E, 1), &event(1));
        hub.deliver_numbered(AccountId(10), &numbered(E, 2), &event(2));
        assert!(rx.try_recv().is_err(), "heard twice, or another account's");
        hub.deliver_numbered(A, &numbered(E, 2), &event(2));
        assert!(text(rx.try_recv().unwrap()).starts_with(r#"{"seq":2,"#));
        assert_eq!(
            hub.replay(
                U,
                LeftOff {
                    seq: 1,
                    epoch: Some(E)
                }
            ),
            Replay::Frames(vec![(2, event(2).numbered(2))])
        );

        hub.deliver_numbered(A, &numbered(E, 4), &event(4));
        let why = tokio::time::timeout(std::time::Duration::from_secs(1), closer.closed())
            .await
            .expect("a gap closes the session");
        assert_eq!(why, Closing::MissedFrames);
        assert_eq!(hub.seq(U), 4);
    }

    #[test]
    fn without_redis_frames_are_numbered_here_in_a_history_of_its_own_told_in_band() {
        let (hub, mut relayed) = sequenced();
        let (tab, mut rx, _) = link(1, 8);
        hub.attach(A, U, false, tab);
        hub.deliver_numbered(A, &numbered(E, 5), &event(5));
        while rx.try_recv().is_ok() {}

        hub.number_locally(false);
        let told: serde_json::Value = serde_json::from_str(&text(rx.try_recv().unwrap())).unwrap();
        assert_eq!(told["type"], "epoch");
        assert_ne!(told["epoch"], E);
        assert_eq!(told["seq"], 6);
        hub.push(A, U, &event(7));
        assert!(relayed.try_recv().is_err(), "nothing waits for Redis");
        assert!(text(rx.try_recv().unwrap()).starts_with(r#"{"seq":7,"#));
        hub.deliver_numbered(A, &numbered(E, 6), &event(6));
        assert!(
            rx.try_recv().is_err(),
            "numbered frames wait for the shared history"
        );

        hub.number_shared();
        hub.deliver_numbered(A, &numbered(E, 8), &event(8));
        assert_eq!(
            text(rx.try_recv().unwrap()),
            format!(r#"{{"type":"epoch","epoch":{E},"seq":7}}"#)
        );
        assert!(text(rx.try_recv().unwrap()).starts_with(r#"{"seq":8,"#));
    }

    #[tokio::test]
    async fn a_connection_makes_its_feed_follow_the_shared_history_it_was_told() {
        let (hub, _relayed) = sequenced();
        let (first, mut rx, first_closer) = link(1, 8);
        let (second, mut rx_second, _) = link(2, 8);
        assert_eq!(hub.attach(A, U, false, first).epoch, 0, "still to learn");
        hub.attach(A, U, false, second);
        hub.adopt(U, Attached { seq: 4, epoch: E }, Some(2));
        assert_eq!((hub.epoch(U), hub.seq(U)), (E, 4));
        assert_eq!(
            text(rx.try_recv().unwrap()),
            format!(r#"{{"type":"epoch","epoch":{E},"seq":4}}"#)
        );
        assert!(rx_second.try_recv().is_err(), "its hello says it");
        hub.adopt(U, Attached { seq: 3, epoch: E }, None);
        assert!(rx.try_recv().is_err(), "already following it");

        let (third, _rx, _) = link(3, 8);
        hub.attach(A, U, false, third);
        hub.adopt(
            U,
            Attached {
                seq: 0,
                epoch: E + 1,
            },
            Some(3),
        );
        let why = tokio::time::timeout(std::time::Duration::from_secs(1), first_closer.closed())
            .await
            .expect("a tab of another history reconnects");
        assert_eq!(why, Closing::MissedFrames);
        assert!(hub.is_connected(U), "the new connection stays");
    }

    #[test]
    fn a_full_relay_numbers_frames_here_and_counts_what_it_dropped() {
        let (hub, _relayed) = sequenced();
        let overflowed = hub.relay.as_ref().unwrap().overflowed.clone();
        for n in 0..RELAY_QUEUE as i64 + 3 {
            hub.push_to_managers(A, &event(n));
        }
        assert_eq!(overflowed.load(Ordering::Relaxed), 3);
        assert!(!hub.is_sequenced());
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
    fn a_frame_for_the_nodes_reaches_every_node_through_the_relay_and_no_socket() {
        let (notices, mut heard) = mpsc::channel(4);
        let (queue, mut relayed) = RelayQueue::new();
        let hub = Hub::default().relaying(queue).hearing(notices);
        hub.number_shared();
        let (m, mut rx_m, _) = link(1, 8);
        hub.attach(A, UserId(1), true, m);
        hub.push_to_nodes(A, &event(1));
        assert_eq!(
            relayed.try_recv().expect("relayed").audience,
            Audience::Nodes
        );
        assert!(heard.try_recv().is_err(), "heard here when it comes back");
        // What the relay hands back, this node's own included.
        hub.deliver(A, &Audience::Nodes, &event(1));
        let (account, frame) = heard.try_recv().expect("heard here");
        assert_eq!(account, A);
        assert_eq!(frame.serialised(), event(1).serialised());
        assert!(rx_m.try_recv().is_err(), "no socket gets it");

        hub.number_locally(false);
        while rx_m.try_recv().is_ok() {}
        hub.push_to_nodes(A, &event(2));
        assert!(heard.try_recv().is_ok(), "without Redis, this node alone");
        assert!(relayed.try_recv().is_err());
        assert!(rx_m.try_recv().is_err(), "no socket gets it");
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
