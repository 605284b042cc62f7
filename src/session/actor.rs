//! One actix actor per WebSocket connection.
//!
//! The actor reads client frames, keeps the connection alive (server pings; a session silent
//! for three heartbeats is closed) and refreshes presence. Writing happens in a separate task
//! that drains a bounded queue: it sends `hello` and the first `snapshot` (or the replay of
//! what the client missed) before any live event, so a client never applies an event to state
//! it has not loaded yet.

use super::desk::Desk;
use super::frame_budget::{self, FrameBudget, Verdict};
use super::frames::{ClientFrame, ControlFrame, FrameError};
use super::hub::{
    Arrival, Attached, Closer, Closing, Hub, LeftOff, Outbound, Outbox, Replay, SessionLink,
};
use super::viewing::Viewing;
use crate::detached::{self, InRuntimeExt};
use crate::domain::ids::{SessionId, TicketId};
use crate::domain::viewers::Sighting;
use crate::metrics::{LiveSocket, Metrics, SocketClosed};
use crate::presence::SessionKey;
use crate::wire::Code;
use actix::prelude::*;
use actix_web::web::Bytes;
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Item, ProtocolError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How often the server pings and refreshes presence.
pub const HEARTBEAT: Duration = Duration::from_secs(10);
/// A session not heard from for this long is closed.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// Frames a session may have waiting before it counts as too slow.
pub const OUTBOUND_CAPACITY: usize = 512;
/// Largest client frame accepted.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Everything a session needs to know about who it serves.
#[derive(Debug, Clone)]
pub struct Peer {
    pub key: SessionKey,
    /// The login session the connection was opened with (closed when it is revoked).
    pub session_id: SessionId,
    pub is_manager: bool,
    /// Where the client left off, when reconnecting.
    pub resume_from: Option<LeftOff>,
}

/// A live WebSocket connection.
pub struct WsSession {
    peer: Peer,
    desk: Arc<dyn Desk>,
    hub: Arc<Hub>,
    outbound: Outbox,
    /// Tells the writer to close the connection; whenever the actor stops, the writer ends
    /// too, so a connection never outlives its session.
    closer: Arc<Closer>,
    /// Handed to the writer once `hello` and the first snapshot or replay are ready.
    first_frames: Option<oneshot::Sender<Vec<Arc<str>>>>,
    last_heard: Instant,
    budget: FrameBudget,
    /// Shared with the user's other connections on this node.
    user_budget: Arc<Mutex<FrameBudget>>,
    /// The last snapshot sent and the `seq` it was taken at: a `resume` that needs a snapshot
    /// while nothing has happened since gets this one again instead of another read.
    last_snapshot: Option<(u64, Arc<str>)>,
    /// Who views which ticket on this node (and, as this node knows, on the others).
    viewing: Arc<Viewing>,
    /// The one ticket this connection says it shows, once found readable: a client can
    /// register no more than that.
    looking: Option<Looking>,
    /// Counts this connection as live until the actor is gone.
    _live: LiveSocket,
}

/// The ticket a connection shows, and how its user appears to the others on it.
#[derive(Debug, Clone)]
struct Looking {
    ticket_id: TicketId,
    name: String,
}

/// Stops the session (the writer ended, the client closed, or it was cut off).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnect;

impl WsSession {
    /// Starts the actor and its writer task for an upgraded connection.
    pub fn start(
        peer: Peer,
        desk: Arc<dyn Desk>,
        hub: Arc<Hub>,
        viewing: Arc<Viewing>,
        socket: actix_ws::Session,
        stream: actix_ws::MessageStream,
    ) -> Addr<WsSession> {
        let (tx, rx) = Outbox::new(OUTBOUND_CAPACITY);
        let tx_for_writer = tx.clone();
        let (first_tx, first_rx) = oneshot::channel();
        let closer = Arc::new(Closer::default());
        let link = SessionLink {
            connection_id: peer.key.connection_id,
            session_id: peer.session_id,
            outbound: tx.clone(),
            closer: closer.clone(),
        };
        // Before the attach: should the user's last other session detach in between, its drop
        // is not told, since the hub sees this one when the drop's wait ends.
        let arrival = hub.arrive(peer.key.user_id);
        let attached = hub.attach(peer.key.account_id, peer.key.user_id, peer.is_manager, link);
        let user_budget = hub.user_budget(peer.key.user_id);
        let stream = stream
            .max_frame_size(MAX_FRAME_BYTES)
            .aggregate_continuations()
            .max_continuation_size(MAX_FRAME_BYTES);
        let closer_for_actor = closer.clone();
        let metrics = hub.metrics().clone();
        let addr = WsSession::create(move |ctx| {
            ctx.add_stream(stream);
            WsSession {
                _live: hub.metrics().socket_opened(),
                peer,
                desk,
                hub,
                outbound: tx,
                closer: closer_for_actor,
                first_frames: Some(first_tx),
                last_heard: Instant::now(),
                budget: FrameBudget::new(frame_budget::PER_CONNECTION, Instant::now()),
                user_budget,
                last_snapshot: None,
                viewing,
                looking: None,
            }
            .with_initial_frames(ctx, attached, arrival)
        });
        let writer = Writer {
            socket,
            outbox: tx_for_writer,
            closer,
            actor: addr.clone(),
            metrics,
        };
        actix_web::rt::spawn(writer.run(first_rx, rx));
        addr
    }

    /// Loads `hello` plus the snapshot (or the replay) before the actor handles anything else.
    fn with_initial_frames(
        self,
        ctx: &mut Context<Self>,
        attached: Attached,
        arrival: Arrival,
    ) -> Self {
        let (desk, hub) = (self.desk.clone(), self.hub.clone());
        let peer = self.peer.clone();
        let load = async move {
            let key = peer.key;
            let attached = hub
                .attach_shared(
                    key.account_id,
                    key.user_id,
                    peer.is_manager,
                    key.connection_id,
                    attached,
                )
                .await;
            let seq_at_attach = attached.seq;
            let mut frames = vec![to_frame(&ControlFrame::Hello {
                seq: seq_at_attach,
                epoch: attached.epoch,
                user: desk.connected(key, arrival).await,
                heartbeat_seconds: HEARTBEAT.as_secs(),
            })];
            let replayed = match peer.resume_from {
                Some(last) => match hub.replay_anywhere(key.user_id, last).await {
                    // Frames numbered after the attach are already queued for this session.
                    Replay::Frames(missed) => Some(
                        missed
                            .into_iter()
                            .filter(|(seq, _)| *seq <= seq_at_attach)
                            .map(|(_, f)| f)
                            .collect::<Vec<_>>(),
                    ),
                    Replay::TooOld => None,
                },
                None => None,
            };
            match replayed {
                Some(missed) => frames.extend(missed),
                None => match snapshot_frame(desk.as_ref(), peer.key, seq_at_attach).await {
                    Ok(frame) | Err(frame) => frames.push(frame),
                },
            }
            frames
        };
        ctx.wait(load.in_runtime().into_actor(&self).map(|frames, act, _| {
            if let Some(first) = act.first_frames.take() {
                let _ = first.send(frames);
            }
        }));
        self
    }

    fn send(&self, ctx: &mut Context<Self>, frame: Arc<str>) {
        if self.outbound.push(Outbound::Frame(frame)).is_err() {
            self.stop(ctx, Closing::TooSlow);
        }
    }

    /// Ends the session, and with it the connection, saying why.
    fn stop(&self, ctx: &mut Context<Self>, why: Closing) {
        self.closer.close(why);
        ctx.stop();
    }

    /// Spends one frame from the connection's budget and, if that allows it, the user's.
    fn spend(&mut self) -> Verdict {
        let now = Instant::now();
        match self.budget.spend(now) {
            Verdict::Handle => self
                .user_budget
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .spend(now),
            over => over,
        }
    }

    fn handle_client_frame(&mut self, text: &str, ctx: &mut Context<Self>) {
        match self.spend() {
            Verdict::Handle => {}
            Verdict::Drop { first } => {
                self.hub.metrics().client_frame_dropped();
                if first {
                    let error = ControlFrame::error(FrameError {
                        code: Code::RateLimited,
                        message: "too many frames; these are dropped, slow down".into(),
                    });
                    self.send(ctx, to_frame(&error));
                }
                return;
            }
            Verdict::Close => {
                tracing::warn!(user_id = %self.peer.key.user_id, "client flooding frames; closing it");
                return self.stop(ctx, Closing::Flooding);
            }
        }
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(f) => f,
            Err(e) => {
                let error = ControlFrame::error(FrameError {
                    code: Code::InvalidFrame,
                    message: e.to_string(),
                });
                return self.send(ctx, to_frame(&error));
            }
        };
        match frame {
            ClientFrame::Ping => self.send(ctx, to_frame(&ControlFrame::Pong)),
            ClientFrame::Resume { last_seq, epoch } => {
                let left_off = LeftOff {
                    seq: last_seq,
                    epoch,
                };
                let key = self.peer.key;
                if let Replay::Frames(missed) = self.hub.replay(key.user_id, left_off) {
                    return missed.into_iter().for_each(|(_, f)| self.send(ctx, f));
                }
                let (desk, hub) = (self.desk.clone(), self.hub.clone());
                let last_snapshot = self.last_snapshot.clone();
                let resumed = async move {
                    if let Replay::Frames(missed) = hub.replay_anywhere(key.user_id, left_off).await
                    {
                        return Resumed::Frames(missed.into_iter().map(|(_, f)| f).collect());
                    }
                    let seq = hub.seq(key.user_id);
                    match last_snapshot {
                        Some((at, frame)) if at == seq => Resumed::Frames(vec![frame]),
                        _ => Resumed::Snapshot(seq, snapshot_frame(desk.as_ref(), key, seq).await),
                    }
                };
                ctx.wait(resumed.in_runtime().into_actor(self).map(
                    |resumed, act, ctx| match resumed {
                        Resumed::Frames(frames) => {
                            frames.into_iter().for_each(|f| act.send(ctx, f))
                        }
                        Resumed::Snapshot(seq, Ok(frame)) => {
                            act.last_snapshot = Some((seq, frame.clone()));
                            act.send(ctx, frame)
                        }
                        Resumed::Snapshot(_, Err(error)) => act.send(ctx, error),
                    },
                ));
            }
            ClientFrame::Viewing { ticket_id, typing } => self.look(ctx, ticket_id, typing),
            ClientFrame::Open { ticket_id } => {
                let desk = self.desk.clone();
                let key = self.peer.key;
                ctx.spawn(
                    async move { desk.open(key, ticket_id).await }
                        .in_runtime()
                        .into_actor(self)
                        .map(|result, act, ctx| {
                            if let Err(e) = result {
                                act.send(ctx, to_frame(&ControlFrame::error(e)));
                            }
                        }),
                );
            }
        }
    }
}

impl WsSession {
    /// The `viewing` frame: the tab shows `ticket_id` (none: no ticket). A ticket other than
    /// the one already shown is first checked readable (one read; renewals read nothing).
    fn look(&mut self, ctx: &mut Context<Self>, ticket_id: Option<TicketId>, typing: bool) {
        let key = self.peer.key;
        let Some(ticket_id) = ticket_id else {
            if self.looking.take().is_some() {
                self.viewing.leave(key.account_id, key.connection_id);
            }
            return;
        };
        if let Some(looking) = self.looking.as_ref().filter(|l| l.ticket_id == ticket_id) {
            let name = looking.name.clone();
            return self.sighted(ticket_id, name, typing);
        }
        let desk = self.desk.clone();
        // Waits: frames after this one see the ticket as shown (or refused).
        ctx.wait(
            async move { desk.look(key, ticket_id).await }
                .in_runtime()
                .into_actor(self)
                .map(move |found, act, ctx| match found {
                    Ok(name) => act.sighted(ticket_id, name, typing),
                    Err(e) => {
                        if act.looking.take().is_some() {
                            act.viewing.leave(key.account_id, key.connection_id);
                        }
                        act.send(ctx, to_frame(&ControlFrame::error(e)));
                    }
                }),
        );
    }

    fn sighted(&mut self, ticket_id: TicketId, name: String, typing: bool) {
        let key = self.peer.key;
        self.viewing.see(
            key.connection_id,
            Sighting {
                account_id: key.account_id,
                ticket_id,
                user_id: key.user_id,
                name: name.clone(),
                typing,
            },
        );
        self.looking = Some(Looking { ticket_id, name });
    }
}

impl Actor for WsSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(HEARTBEAT, |act, ctx| {
            if act.last_heard.elapsed() > CLIENT_TIMEOUT {
                tracing::info!(user_id = %act.peer.key.user_id, "session silent; closing it");
                act.hub.metrics().disconnected(SocketClosed::Silent);
                ctx.stop();
                return;
            }
            if act.outbound.push(Outbound::Ping).is_err() {
                act.stop(ctx, Closing::TooSlow);
                return;
            }
            let (desk, key) = (act.desk.clone(), act.peer.key);
            detached::spawn(async move { desk.heartbeat(key).await });
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.closer.close(Closing::Ended);
        let (desk, key) = (self.desk.clone(), self.peer.key);
        if self.looking.take().is_some() {
            self.viewing.leave(key.account_id, key.connection_id);
        }
        let last_here = self.hub.detach(key.user_id, key.connection_id);
        detached::spawn(async move { desk.disconnected(key, last_here).await });
    }
}

impl StreamHandler<Result<AggregatedMessage, ProtocolError>> for WsSession {
    fn handle(&mut self, msg: Result<AggregatedMessage, ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        match msg {
            Ok(AggregatedMessage::Text(text)) => self.handle_client_frame(&text, ctx),
            // RFC 6455 §5.5.2: a ping is answered with a pong carrying the same data.
            Ok(AggregatedMessage::Ping(data)) => {
                if self.outbound.push(Outbound::Pong(data)).is_err() {
                    self.stop(ctx, Closing::TooSlow);
                }
            }
            Ok(AggregatedMessage::Pong(_)) => {}
            Ok(AggregatedMessage::Binary(_)) => {
                let error = ControlFrame::error(FrameError {
                    code: Code::InvalidFrame,
                    message: "frames are JSON text".into(),
                });
                self.send(ctx, to_frame(&error));
            }
            Ok(AggregatedMessage::Close(_)) | Err(_) => ctx.stop(),
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

impl Handler<Disconnect> for WsSession {
    type Result = ();
    fn handle(&mut self, _: Disconnect, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

/// How long one write to the socket may take; a client that does not read for this long is
/// closed (its TCP connection with it) rather than allowed to hold frames in memory.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(10);

/// The task that writes one connection's frames.
struct Writer {
    socket: actix_ws::Session,
    /// For the byte accounting of what it takes off the queue.
    outbox: Outbox,
    closer: Arc<Closer>,
    actor: Addr<WsSession>,
    metrics: Arc<Metrics>,
}

/// How one write to the socket ended.
enum Written {
    Sent,
    /// The connection is already closed: there is nobody to tell anything.
    Gone,
    /// The deadline passed: the client is too slow to read.
    Stalled,
}

/// Frames longer than this are written as a fragmented message (RFC 6455 §5.4) of pieces
/// this long. The WebSocket library queues 32 messages per connection before a write waits;
/// in pieces, what it holds for a client that does not read stays under a megabyte instead of
/// 32 whole snapshots.
pub const FRAGMENT_BYTES: usize = 16 * 1024;

impl Writer {
    /// Writes `item` within the deadline.
    async fn write(&mut self, item: &Outbound) -> Written {
        let sent = async {
            match item {
                Outbound::Frame(f) if f.len() > FRAGMENT_BYTES => {
                    write_fragmented(&mut self.socket, f).await
                }
                Outbound::Frame(f) => self.socket.text(f.to_string()).await,
                Outbound::Ping => self.socket.ping(b"").await,
                Outbound::Pong(data) => self.socket.pong(data).await,
            }
        };
        match tokio::time::timeout(WRITE_DEADLINE, sent).await {
            Ok(Ok(())) => {
                if matches!(item, Outbound::Frame(_)) {
                    self.metrics.frame_sent();
                }
                Written::Sent
            }
            Ok(Err(_)) => Written::Gone,
            Err(_) => Written::Stalled,
        }
    }

    /// Why to close after a write that did not go through (`None`: nothing to close).
    fn after(written: Written) -> Result<(), Option<Closing>> {
        match written {
            Written::Sent => Ok(()),
            Written::Gone => Err(None),
            Written::Stalled => Err(Some(Closing::TooSlow)),
        }
    }

    /// Sends the first frames, then whatever the hub and the actor queue, until either side
    /// ends, a write misses its deadline, or the connection is told to close.
    async fn run(
        mut self,
        first: oneshot::Receiver<Vec<Arc<str>>>,
        mut rx: mpsc::Receiver<Outbound>,
    ) {
        let mut close = None;
        if let Ok(frames) = first.await {
            'writing: {
                for frame in frames {
                    let written = self.write(&Outbound::Frame(frame)).await;
                    if let Err(why) = Self::after(written) {
                        close = why;
                        break 'writing;
                    }
                }
                loop {
                    tokio::select! {
                        next = rx.recv() => {
                            let Some(item) = next else { break };
                            self.outbox.taken(&item);
                            let written = self.write(&item).await;
                            if let Err(why) = Self::after(written) {
                                close = why;
                                break;
                            }
                        }
                        why = self.closer.closed() => {
                            close = Some(why);
                            break;
                        }
                    }
                }
            }
        }
        if let Some(counted) = close.and_then(counted_as) {
            self.metrics.disconnected(counted);
        }
        // A client that reads nothing cannot take the close frame either: give it up after the
        // deadline; dropping the session then ends the response and the TCP connection.
        let close = close.map(close_reason);
        let _ = tokio::time::timeout(WRITE_DEADLINE, self.socket.close(close)).await;
        self.actor.do_send(Disconnect);
    }
}

/// Writes a long text frame as a first piece, continuations and a last piece, each at most
/// [`FRAGMENT_BYTES`] (slices of one copy of the frame).
async fn write_fragmented(
    socket: &mut actix_ws::Session,
    frame: &str,
) -> Result<(), actix_ws::Closed> {
    let bytes = Bytes::copy_from_slice(frame.as_bytes());
    let pieces = bytes.len().div_ceil(FRAGMENT_BYTES);
    for n in 0..pieces {
        let piece = bytes.slice(n * FRAGMENT_BYTES..bytes.len().min((n + 1) * FRAGMENT_BYTES));
        let item = match n {
            0 => Item::FirstText(piece),
            n if n + 1 == pieces => Item::Last(piece),
            _ => Item::Continue(piece),
        };
        socket.continuation(item).await?;
    }
    Ok(())
}

/// How a close is counted in the node's figures (`None`: the session ended on its own, which
/// is counted where it is noticed, if at all).
fn counted_as(why: Closing) -> Option<SocketClosed> {
    match why {
        Closing::TooSlow => Some(SocketClosed::TooSlow),
        Closing::Flooding => Some(SocketClosed::Flooding),
        Closing::ShuttingDown => Some(SocketClosed::ShuttingDown),
        Closing::Revoked => Some(SocketClosed::Revoked),
        Closing::Superseded => Some(SocketClosed::Superseded),
        Closing::Ended | Closing::RoleChanged | Closing::MissedFrames => None,
    }
}

/// The close frame for `why`: 1008 for a client too slow to read, 1012 ("service restart")
/// when the server shuts down, which the browser app takes as "reconnect now", and 4001 when
/// the login session ended (sign-out, deactivation, a new password): back to the login page.
fn close_reason(why: Closing) -> CloseReason {
    let (code, description) = match why {
        Closing::TooSlow => (CloseCode::Policy, "too slow to read; reconnect and resume"),
        Closing::ShuttingDown => (CloseCode::Restart, "server restarting; reconnect now"),
        Closing::Revoked => (CloseCode::Other(4001), "signed out; sign in again"),
        Closing::Superseded => (
            CloseCode::Other(4002),
            "too many open connections; this was the oldest",
        ),
        Closing::Flooding => (CloseCode::Policy, "too many frames"),
        Closing::Ended => (CloseCode::Normal, "session ended"),
        Closing::RoleChanged => (CloseCode::Restart, "your role changed; reconnect now"),
        Closing::MissedFrames => (CloseCode::Restart, "missed live frames; reconnect now"),
    };
    CloseReason {
        code,
        description: Some(description.into()),
    }
}

/// How a `resume` is answered: the missed frames (or the last snapshot again, when nothing
/// happened since), or a snapshot read at `seq`.
enum Resumed {
    Frames(Vec<Arc<str>>),
    Snapshot(u64, Result<Arc<str>, Arc<str>>),
}

/// The `snapshot` frame, or an error frame asking the client to reconnect.
async fn snapshot_frame(desk: &dyn Desk, key: SessionKey, seq: u64) -> Result<Arc<str>, Arc<str>> {
    match desk.snapshot(key).await {
        Ok(inbox) => Ok(to_frame(&ControlFrame::Snapshot { seq, inbox })),
        Err(e) => Err(to_frame(&ControlFrame::error(FrameError {
            code: e.code,
            message: "could not load the inbox; reconnect".into(),
        }))),
    }
}

/// Serializes a control frame (they cannot fail to serialize: plain JSON values).
fn to_frame(frame: &ControlFrame) -> Arc<str> {
    serde_json::to_string(frame)
        .unwrap_or_else(|_| r#"{"type":"error","code":"internal","message":"frame"}"#.into())
        .into()
}
