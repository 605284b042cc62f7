//! One actix actor per WebSocket connection.
//!
//! The actor reads client frames, keeps the connection alive (server pings; a session silent
//! for three heartbeats is closed) and refreshes presence. Writing happens in a separate task
//! that drains a bounded queue: it sends `hello` and the first `snapshot` (or the replay of
//! what the client missed) before any live event, so a client never applies an event to state
//! it has not loaded yet.

use super::frames::{ClientFrame, ControlFrame};
use super::hub::{Outbound, Replay, SessionLink};
use crate::presence::SessionKey;
use crate::realtime::Realtime;
use actix::prelude::*;
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Notify};

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
    pub is_manager: bool,
    /// The `last_seq` the client gave when reconnecting, if any.
    pub resume_from: Option<u64>,
}

/// A live WebSocket connection.
pub struct WsSession {
    peer: Peer,
    rt: Arc<Realtime>,
    outbound: mpsc::Sender<Outbound>,
    /// Handed to the writer once `hello` and the first snapshot or replay are ready.
    first_frames: Option<oneshot::Sender<Vec<Arc<str>>>>,
    last_heard: Instant,
}

/// Stops the session (the writer ended, the client closed, or it was cut off).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnect;

impl WsSession {
    /// Starts the actor and its writer task for an upgraded connection.
    pub fn start(
        peer: Peer,
        rt: Arc<Realtime>,
        socket: actix_ws::Session,
        stream: actix_ws::MessageStream,
    ) -> Addr<WsSession> {
        let (tx, rx) = mpsc::channel(OUTBOUND_CAPACITY);
        let (first_tx, first_rx) = oneshot::channel();
        let cut_off = Arc::new(Notify::new());
        let link = SessionLink {
            connection_id: peer.key.connection_id,
            outbound: tx.clone(),
            cut_off: cut_off.clone(),
        };
        let seq_at_attach =
            rt.hub
                .attach(peer.key.account_id, peer.key.user_id, peer.is_manager, link);
        let stream = stream
            .max_frame_size(MAX_FRAME_BYTES)
            .aggregate_continuations()
            .max_continuation_size(MAX_FRAME_BYTES);
        let addr = WsSession::create(move |ctx| {
            ctx.add_stream(stream);
            WsSession {
                peer,
                rt,
                outbound: tx,
                first_frames: Some(first_tx),
                last_heard: Instant::now(),
            }
            .with_initial_frames(ctx, seq_at_attach)
        });
        actix_web::rt::spawn(write_loop(socket, first_rx, rx, cut_off, addr.clone()));
        addr
    }

    /// Loads `hello` plus the snapshot (or the replay) before the actor handles anything else.
    fn with_initial_frames(self, ctx: &mut Context<Self>, seq_at_attach: u64) -> Self {
        let rt = self.rt.clone();
        let peer = self.peer.clone();
        let load = async move {
            let mut frames = vec![to_frame(&ControlFrame::Hello {
                seq: seq_at_attach,
                user: rt.user_json(&peer.key).await.unwrap_or_default(),
                heartbeat_seconds: HEARTBEAT.as_secs(),
            })];
            let replayed = match peer
                .resume_from
                .map(|last| rt.hub.replay(peer.key.user_id, last))
            {
                // Frames numbered after the attach are already queued for this session.
                Some(Replay::Frames(missed)) => Some(
                    missed
                        .into_iter()
                        .filter(|(seq, _)| *seq <= seq_at_attach)
                        .map(|(_, f)| f)
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            };
            match replayed {
                Some(missed) => frames.extend(missed),
                None => frames.push(rt.snapshot(&peer.key, seq_at_attach).await),
            }
            frames
        };
        ctx.wait(load.into_actor(&self).map(|frames, act, _| {
            if let Some(first) = act.first_frames.take() {
                let _ = first.send(frames);
            }
        }));
        self
    }

    fn send(&self, ctx: &mut Context<Self>, frame: Arc<str>) {
        if self.outbound.try_send(Outbound::Frame(frame)).is_err() {
            ctx.stop();
        }
    }

    fn handle_client_frame(&mut self, text: &str, ctx: &mut Context<Self>) {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(f) => f,
            Err(e) => {
                let error = ControlFrame::Error {
                    code: "invalid_frame",
                    message: e.to_string(),
                };
                return self.send(ctx, to_frame(&error));
            }
        };
        match frame {
            ClientFrame::Ping => self.send(ctx, to_frame(&ControlFrame::Pong)),
            ClientFrame::Resume { last_seq } => {
                match self.rt.hub.replay(self.peer.key.user_id, last_seq) {
                    Replay::Frames(missed) => {
                        missed.into_iter().for_each(|(_, f)| self.send(ctx, f))
                    }
                    Replay::TooOld => {
                        let rt = self.rt.clone();
                        let key = self.peer.key;
                        let seq = rt.hub.seq(key.user_id);
                        ctx.wait(
                            async move { rt.snapshot(&key, seq).await }
                                .into_actor(self)
                                .map(|frame, act, ctx| act.send(ctx, frame)),
                        );
                    }
                }
            }
            ClientFrame::Open { ticket_id } => {
                let rt = self.rt.clone();
                let key = self.peer.key;
                ctx.spawn(
                    async move { rt.open_ticket(&key, ticket_id).await }
                        .into_actor(self)
                        .map(|result, act, ctx| {
                            if let Err(e) = result {
                                act.send(
                                    ctx,
                                    to_frame(&ControlFrame::Error {
                                        code: e.code(),
                                        message: e.to_string(),
                                    }),
                                );
                            }
                        }),
                );
            }
        }
    }
}

impl Actor for WsSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let (rt, key) = (self.rt.clone(), self.peer.key);
        actix_web::rt::spawn(async move { rt.connected(key).await });
        ctx.run_interval(HEARTBEAT, |act, ctx| {
            if act.last_heard.elapsed() > CLIENT_TIMEOUT {
                tracing::info!(user_id = act.peer.key.user_id, "session silent; closing it");
                ctx.stop();
                return;
            }
            if act.outbound.try_send(Outbound::Ping).is_err() {
                ctx.stop();
                return;
            }
            let (rt, key) = (act.rt.clone(), act.peer.key);
            actix_web::rt::spawn(async move { rt.heartbeat(key).await });
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        let (rt, key) = (self.rt.clone(), self.peer.key);
        let last_here = rt.hub.detach(key.user_id, key.connection_id);
        actix_web::rt::spawn(async move { rt.disconnected(key, last_here).await });
    }
}

impl StreamHandler<Result<AggregatedMessage, ProtocolError>> for WsSession {
    fn handle(&mut self, msg: Result<AggregatedMessage, ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        match msg {
            Ok(AggregatedMessage::Text(text)) => self.handle_client_frame(&text, ctx),
            Ok(AggregatedMessage::Ping(_)) | Ok(AggregatedMessage::Pong(_)) => {}
            Ok(AggregatedMessage::Binary(_)) => {
                let error = ControlFrame::Error {
                    code: "invalid_frame",
                    message: "frames are JSON text".into(),
                };
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

/// Sends the first frames, then whatever the hub and the actor queue, until either side ends.
async fn write_loop(
    mut socket: actix_ws::Session,
    first: oneshot::Receiver<Vec<Arc<str>>>,
    mut rx: mpsc::Receiver<Outbound>,
    cut_off: Arc<Notify>,
    actor: Addr<WsSession>,
) {
    let mut close = None;
    if let Ok(frames) = first.await {
        'writing: {
            for frame in frames {
                if socket.text(frame.to_string()).await.is_err() {
                    break 'writing;
                }
            }
            loop {
                tokio::select! {
                    next = rx.recv() => {
                        let sent = match next {
                            Some(Outbound::Frame(f)) => socket.text(f.to_string()).await,
                            Some(Outbound::Ping) => socket.ping(b"").await,
                            None => break,
                        };
                        if sent.is_err() {
                            break;
                        }
                    }
                    _ = cut_off.notified() => {
                        close = Some(CloseReason { code: CloseCode::Policy, description: Some("too slow to read; reconnect and resume".into()) });
                        break;
                    }
                }
            }
        }
    }
    let _ = socket.close(close).await;
    actor.do_send(Disconnect);
}

/// Serializes a control frame (they cannot fail to serialize: plain JSON values).
fn to_frame(frame: &ControlFrame) -> Arc<str> {
    serde_json::to_string(frame)
        .unwrap_or_else(|_| r#"{"type":"error","code":"internal","message":"frame"}"#.into())
        .into()
}
