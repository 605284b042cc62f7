//! One simulated agent: a WebSocket session that records every push, opens and answers its
//! tickets after a think time, sometimes flags one pending or pauses intake, and (for a share
//! of agents) drops the connection and comes back with `?last_seq=` to resume.

use crate::stats::Stats;
use futures_util::StreamExt;
use rand::Rng;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

/// One URL the harness was given (`--url`, comma-separated for several).
#[derive(Debug, Clone, PartialEq)]
pub struct Base {
    /// `…/api/v1`
    pub api: String,
    /// `ws…/api/v1/ws`
    pub ws: String,
    /// The node's name when this URL is one node's own (`--nodes`); else answers name their
    /// node in `X-Served-By` (scripts/cluster's HAProxy), or the URL stands for it.
    pub node: Option<String>,
}

/// The URLs an agent uses: the one it was handed first, and the next one in turn whenever its
/// socket cannot connect (a node that died), so an agent given one node's own URL fails over.
/// With a single URL (a balancer, or one server) it always uses that one.
#[derive(Clone)]
pub struct Route {
    bases: Arc<Vec<Base>>,
    at: Arc<AtomicUsize>,
}

impl Route {
    /// Starts at `bases[first % len]`; `bases` is not empty.
    pub fn new(bases: Arc<Vec<Base>>, first: usize) -> Route {
        Route {
            at: Arc::new(AtomicUsize::new(first % bases.len().max(1))),
            bases,
        }
    }

    fn base(&self) -> &Base {
        &self.bases[self.at.load(Relaxed) % self.bases.len()]
    }

    pub fn api(&self) -> &str {
        &self.base().api
    }

    fn fail_over(&self) {
        let len = self.bases.len();
        let _ = self
            .at
            .fetch_update(Relaxed, Relaxed, |at| Some((at + 1) % len));
    }

    /// The node a socket to the current URL landed on.
    fn node(&self, served_by: Option<&str>) -> String {
        let base = self.base();
        served_by
            .map(str::to_string)
            .or_else(|| base.node.clone())
            .unwrap_or_else(|| base.api.clone())
    }
}

/// What an agent needs to work.
#[derive(Clone)]
pub struct AgentSetup {
    pub id: String,
    pub token: String,
    pub route: Route,
    pub client: reqwest::Client,
    pub stats: Arc<Stats>,
    /// Drops and resumes its connection now and then.
    pub flaky: bool,
    pub think: (u64, u64),
}

impl AgentSetup {
    async fn post(&self, path: &str, body: Value) -> Option<reqwest::StatusCode> {
        let res = self
            .client
            .post(format!("{}{path}", self.route.api()))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .ok()?;
        Some(res.status())
    }

    /// Opens, answers and closes (or flags) a ticket, like a person would.
    async fn work(self, ticket: String) {
        let (lo, hi) = self.think;
        let think = rand::thread_rng().gen_range(lo..=hi.max(lo));
        tokio::time::sleep(Duration::from_millis(think)).await;
        let steps: [(&str, Value); 2] = [
            ("open", json!({})),
            (
                "reply",
                json!({"body": "Thanks for your message! Let me check that for you."}),
            ),
        ];
        for (action, body) in steps {
            if !self.stats.acting.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            match self
                .post(&format!("/tickets/{ticket}/{action}"), body)
                .await
            {
                Some(s) if s.is_success() => {
                    if action == "reply" {
                        self.stats
                            .replies_sent
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                // Moved to someone else meanwhile (rebalanced, agent_left): not an error.
                Some(s) if s.as_u16() == 403 || s.as_u16() == 422 => return,
                _ => {
                    self.stats
                        .errors
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return;
                }
            }
        }
        if !self.stats.acting.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let roll: f64 = rand::thread_rng().gen();
        let last = if roll < 0.1 {
            ("pending", json!({"note": "Guest asks for a refund"}))
        } else {
            ("done", json!({}))
        };
        if !matches!(self.post(&format!("/tickets/{ticket}/{}", last.0), last.1).await, Some(s) if s.is_success() || s.as_u16() == 403 || s.as_u16() == 422)
        {
            self.stats
                .errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if roll > 0.98 {
            self.post("/me/intake/pause", json!({})).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            self.post("/me/intake/resume", json!({})).await;
        }
    }
}

/// Connects, works until `stop`, reconnecting with `last_seq` when the connection drops or
/// `storm` fires.
pub async fn run(
    setup: AgentSetup,
    mut stop: watch::Receiver<bool>,
    mut storm: watch::Receiver<()>,
) {
    let mut last_seq: Option<u64> = None;
    // The history `last_seq` counts in (from `hello`): another node answers a snapshot.
    let mut epoch: Option<u64> = None;
    let mut first = true;
    let mut stormed = false;
    while !*stop.borrow() {
        let mut url = format!("{}?token={}", setup.route.base().ws, setup.token);
        if let Some(seq) = last_seq {
            url.push_str(&format!("&last_seq={seq}"));
            if let Some(epoch) = epoch {
                url.push_str(&format!("&epoch={epoch}"));
            }
        }
        let Ok((mut stream, answer)) = tokio_tungstenite::connect_async(url).await else {
            setup
                .stats
                .errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            setup.route.fail_over();
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        let served_by = answer
            .headers()
            .get("x-served-by")
            .and_then(|v| v.to_str().ok());
        setup
            .stats
            .connected(&setup.id, &setup.route.node(served_by));
        if first {
            setup
                .stats
                .agents_connected
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            first = false;
        } else {
            setup
                .stats
                .reconnects
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if std::mem::take(&mut stormed) {
            setup
                .stats
                .back_after_storm
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let drop_after = setup
            .flaky
            .then(|| Duration::from_millis(rand::thread_rng().gen_range(2_000..6_000)));
        let connected = Instant::now();
        // The last `seq` numbered before this socket attached (from `hello`): frames up to it
        // are replayed, pushed while the agent had no socket.
        let mut live_after: Option<u64> = None;
        loop {
            let wait = drop_after.map_or(Duration::from_secs(3600), |d| {
                d.saturating_sub(connected.elapsed())
            });
            tokio::select! {
                _ = stop.changed() => {
                    let _ = stream.close(None).await;
                    return;
                }
                Ok(()) = storm.changed() => {
                    // Everyone drops at once and comes straight back.
                    let _ = stream.close(None).await;
                    stormed = true;
                    break;
                }
                _ = tokio::time::sleep(wait) => {
                    // A network flap: drop and come back.
                    let _ = stream.close(None).await;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
                msg = stream.next() => {
                    let Some(Ok(msg)) = msg else { break };
                    let Message::Text(text) = msg else { continue };
                    let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                    if frame["type"] == "hello" || frame["type"] == "epoch" {
                        epoch = frame["epoch"].as_u64();
                    }
                    handle(&setup, &frame, &mut last_seq, &mut live_after);
                }
            }
        }
    }
}

fn handle(
    setup: &AgentSetup,
    frame: &Value,
    last_seq: &mut Option<u64>,
    live_after: &mut Option<u64>,
) {
    let now = Instant::now();
    match frame["type"].as_str() {
        // A new history (`epoch`) numbers its live frames after its first `seq`.
        Some("hello" | "epoch") => *live_after = frame["seq"].as_u64(),
        Some("snapshot") => {
            let ids: Vec<String> = frame["tickets"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|t| t["id"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            setup.stats.snapshot(&setup.id, &ids);
            *last_seq = frame["seq"].as_u64();
            for (ticket, state) in frame["tickets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| {
                    Some((
                        t["id"].as_str()?.to_string(),
                        t["state"].as_str()?.to_string(),
                    ))
                })
            {
                if state == "assigned" {
                    tokio::spawn(setup.clone().work(ticket));
                }
            }
        }
        Some("ticket.assigned") => {
            setup
                .stats
                .frames
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Some(ticket) = frame["ticket"]["id"].as_str() {
                let replayed = frame["seq"]
                    .as_u64()
                    .zip(*live_after)
                    .is_some_and(|(seq, after)| seq <= after);
                setup.stats.assigned(ticket, &setup.id, now, replayed);
                tokio::spawn(setup.clone().work(ticket.to_string()));
            }
        }
        Some("ticket.unassigned") => {
            setup
                .stats
                .frames
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Some(ticket) = frame["ticket_id"].as_str() {
                setup.stats.unassigned(ticket, &setup.id);
            }
        }
        _ => {}
    }
    if frame["type"] == "epoch" {
        // Another history: its numbers start here.
        *last_seq = frame["seq"].as_u64();
    } else if let Some(seq) = frame["seq"].as_u64() {
        if frame["type"] != "hello" {
            *last_seq = Some(last_seq.map_or(seq, |s| s.max(seq)));
        }
    }
}
