//! What the run observed: every ticket's send time, its deliveries, who holds it now, and the
//! latency histogram. Shared by all simulated agents behind one mutex (contention is tiny
//! next to network I/O).

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Default)]
struct Ticket {
    sent_at: Option<Instant>,
    first_push: Option<Instant>,
    /// Whether the first push was replayed on a resume: it was numbered while its agent had
    /// no socket (between a drop and the reconnect).
    first_replayed: bool,
    holders: HashSet<String>,
    last_holder: Option<String>,
    deliveries: u64,
}

impl Ticket {
    /// `agent` no longer holds the ticket. If the run last saw it reach that agent while
    /// another agent still holds it, that other agent is its holder now: frames of different
    /// agents arrive in no common order, so a move's `ticket.assigned` to the new agent can
    /// come before an old `ticket.assigned` the first agent replays on resuming (or a
    /// snapshot read before the move), which the first agent's `ticket.unassigned` then
    /// follows. Judging by arrival order alone counted such moves as assignee mismatches.
    fn let_go(&mut self, agent: &str) {
        self.holders.remove(agent);
        if self.last_holder.as_deref() == Some(agent) {
            if let Some(other) = self.holders.iter().next() {
                self.last_holder = Some(other.clone());
            }
        }
    }
}

/// Counters of one run.
pub struct Stats {
    tickets: Mutex<HashMap<String, Ticket>>,
    latency: Mutex<Histogram<u64>>,
    /// The part of `latency` whose first push came live, not replayed on a resume.
    live: Mutex<Histogram<u64>>,
    /// From a guest message's request leaving until its answer: the ingest part of `latency`.
    answered: Mutex<Histogram<u64>>,
    /// Tickets pushed to a second agent before the first agent's `ticket.unassigned` arrived
    /// (two sockets race; the server already refuses the first agent's actions).
    overlapped: Mutex<HashSet<String>>,
    storm: Mutex<Option<Storm>>,
    /// The node each agent's latest socket was served by.
    sockets: Mutex<HashMap<String, String>>,
    /// A node killed during the run (`--kill-at`), and who is still to come back from it.
    kill: Mutex<Option<KillWatch>>,
    pub messages_sent: std::sync::atomic::AtomicU64,
    /// Replies the server accepted from the simulated agents.
    pub replies_sent: std::sync::atomic::AtomicU64,
    pub errors: std::sync::atomic::AtomicU64,
    pub agents_connected: std::sync::atomic::AtomicU64,
    pub reconnects: std::sync::atomic::AtomicU64,
    /// Agents connected again after the reconnect storm dropped them.
    pub back_after_storm: std::sync::atomic::AtomicU64,
    /// Whether agents still act on their tickets (cleared before the reconciliation, so
    /// nothing they do moves a ticket while the run compares itself with the database).
    pub acting: std::sync::atomic::AtomicBool,
    /// `ticket.assigned` and `ticket.unassigned` frames so far: the reconciliation waits until
    /// the count stops growing.
    pub frames: std::sync::atomic::AtomicU64,
}

/// The run's summary (SPEC §7 FILE.json).
#[derive(Debug, Serialize)]
pub struct Summary {
    pub agents_connected: u64,
    pub messages_sent: u64,
    pub tickets_created: u64,
    pub tickets_delivered: u64,
    pub lost: u64,
    /// Tickets that, once the run settled, more than one agent held.
    pub duplicated: u64,
    /// Tickets that reached a second agent before the first heard it was moved (in flight
    /// on two sockets at once; not duplicates: only the new holder may act).
    pub overlaps: u64,
    pub latency_ms: Latency,
    /// `latency_ms` of the tickets whose first push reached a live socket: the others were
    /// pushed while their agent (flapping, but eligible through the grace period, SPEC §2)
    /// had no socket and reached it on the resume.
    pub live_latency_ms: Latency,
    /// Tickets whose first push was replayed on a resume.
    pub replayed_first: u64,
    /// From a guest message's request leaving until ingest answered it.
    pub ingest_answer_ms: Latency,
    pub throughput_per_s: f64,
    pub errors: u64,
    pub reconnects: u64,
    pub assignee_mismatches: u64,
    pub duration_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storm: Option<Storm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kill: Option<Kill>,
}

/// How a reconnect storm went: how many agents came back, and how long until the last did.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Storm {
    pub agents_back: u64,
    pub all_back_ms: f64,
}

/// A node killed with the traffic running: whose sockets it held, how long until all of those
/// agents were connected again (to another node), and how long until a surviving node held the
/// dispatcher lease the killed node had.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Kill {
    pub node: String,
    /// Seconds into the guest traffic.
    pub at_s: f64,
    /// Its `switchboard_dispatcher_leases` when it was killed (`None`: no node reported the
    /// gauge).
    pub leases_held: Option<f64>,
    /// Agents whose socket was on it.
    pub agents_on_node: u64,
    /// Of those, the agents connected again (to another node) by the end of the run.
    pub agents_back: u64,
    /// From the kill until the last of them was connected again (`None`: not all came back).
    pub all_back_ms: Option<f64>,
    /// From the kill until a surviving node's gauge showed the lease (`None`: not measured,
    /// or no takeover).
    pub takeover_ms: Option<f64>,
    pub takeover_node: Option<String>,
}

/// What the run knows of a killed node while its agents come back.
struct KillWatch {
    fired: Instant,
    waiting: HashSet<String>,
    last_back: Option<Instant>,
    report: Kill,
}

#[derive(Debug, Serialize, Default)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Stats {
    #[allow(clippy::expect_used)] // the bounds are constants that hdrhistogram accepts
    pub fn new() -> Stats {
        Stats {
            tickets: Mutex::new(HashMap::new()),
            latency: Mutex::new(
                Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("histogram bounds"),
            ),
            live: Mutex::new(
                Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("histogram bounds"),
            ),
            answered: Mutex::new(
                Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("histogram bounds"),
            ),
            overlapped: Mutex::new(HashSet::new()),
            storm: Mutex::new(None),
            sockets: Mutex::new(HashMap::new()),
            kill: Mutex::new(None),
            messages_sent: Default::default(),
            replies_sent: Default::default(),
            errors: Default::default(),
            agents_connected: Default::default(),
            reconnects: Default::default(),
            back_after_storm: Default::default(),
            acting: std::sync::atomic::AtomicBool::new(true),
            frames: Default::default(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Ticket>) -> T) -> T {
        f(&mut self.tickets.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Ingest answered 202 for a new ticket; `sent` is when the request left.
    pub fn created(&self, ticket: &str, sent: Instant) {
        let first_push = self.with(|t| {
            let entry = t.entry(ticket.to_string()).or_default();
            entry.sent_at.get_or_insert(sent);
            entry.first_push.map(|at| (at, entry.first_replayed))
        });
        if let Some((pushed, replayed)) = first_push {
            self.record_latency(sent, pushed, replayed);
        }
    }

    fn record_latency(&self, sent: Instant, pushed: Instant, replayed: bool) {
        record(&self.latency, sent, pushed);
        if !replayed {
            record(&self.live, sent, pushed);
        }
    }

    /// Ingest answered a guest message sent at `sent`.
    pub fn answered(&self, sent: Instant) {
        record(&self.answered, sent, Instant::now());
    }

    /// A `ticket.assigned` frame reached `agent`, `replayed` on a resume or live.
    pub fn assigned(&self, ticket: &str, agent: &str, at: Instant, replayed: bool) {
        let (sent, first, overlap) = self.with(|t| {
            let entry = t.entry(ticket.to_string()).or_default();
            entry.deliveries += 1;
            let first = entry.first_push.is_none();
            if first {
                entry.first_push = Some(at);
                entry.first_replayed = replayed;
            }
            let overlap = !entry.holders.is_empty() && !entry.holders.contains(agent);
            entry.holders.insert(agent.to_string());
            entry.last_holder = Some(agent.to_string());
            (entry.sent_at, first, overlap)
        });
        if overlap {
            self.overlapped
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(ticket.to_string());
        }
        if let (Some(sent), true) = (sent, first) {
            self.record_latency(sent, at, replayed);
        }
    }

    /// A `ticket.unassigned` frame reached `agent`.
    pub fn unassigned(&self, ticket: &str, agent: &str) {
        self.with(|t| {
            if let Some(entry) = t.get_mut(ticket) {
                entry.let_go(agent);
            }
        });
    }

    /// A snapshot replaced what `agent` holds: these are its tickets now.
    pub fn snapshot(&self, agent: &str, tickets: &[String]) {
        self.with(|t| {
            for entry in t.values_mut() {
                entry.let_go(agent);
            }
            for id in tickets {
                let entry = t.entry(id.clone()).or_default();
                entry.holders.insert(agent.to_string());
                entry.last_holder = Some(agent.to_string());
                entry.first_push.get_or_insert_with(Instant::now);
            }
        });
    }

    /// Tickets created in this run, with the agent the run last saw holding each.
    pub fn created_tickets(&self) -> Vec<(String, Option<String>, bool)> {
        self.with(|t| {
            t.iter()
                .filter(|(_, e)| e.sent_at.is_some())
                .map(|(id, e)| (id.clone(), e.last_holder.clone(), e.first_push.is_some()))
                .collect()
        })
    }

    /// Tickets created in this run that no agent has received yet.
    pub fn undelivered(&self) -> u64 {
        self.with(|t| {
            t.values()
                .filter(|e| e.sent_at.is_some() && e.first_push.is_none())
                .count() as u64
        })
    }

    /// A reconnect storm ended: `agents_back` resumed within `all_back_ms`.
    pub fn storm_recovered(&self, agents_back: u64, all_back_ms: f64) {
        *self.storm.lock().unwrap_or_else(|p| p.into_inner()) = Some(Storm {
            agents_back,
            all_back_ms,
        });
    }

    /// `agent` opened a socket that `node` serves.
    pub fn connected(&self, agent: &str, node: &str) {
        self.sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(agent.to_string(), node.to_string());
        let mut kill = self.kill.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(watch) = kill.as_mut() {
            // A socket to the killed node before it died does not count as coming back.
            if watch.report.node != node && watch.waiting.remove(agent) {
                watch.report.agents_back += 1;
                watch.last_back = Some(Instant::now());
            }
        }
    }

    /// How many agents' latest sockets each node serves.
    pub fn sockets_per_node(&self) -> HashMap<String, u64> {
        let mut per_node = HashMap::new();
        for node in self
            .sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            *per_node.entry(node.clone()).or_insert(0) += 1;
        }
        per_node
    }

    /// `node` is about to be killed (`at_s` into the traffic, holding `leases_held`): from now
    /// on, every agent whose socket it serves is waited for. Answers how many those are.
    pub fn node_killed(&self, node: &str, at_s: f64, leases_held: Option<f64>) -> u64 {
        let waiting: HashSet<String> = self
            .sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, n)| n.as_str() == node)
            .map(|(agent, _)| agent.clone())
            .collect();
        let on_node = waiting.len() as u64;
        *self.kill.lock().unwrap_or_else(|p| p.into_inner()) = Some(KillWatch {
            fired: Instant::now(),
            waiting,
            last_back: None,
            report: Kill {
                node: node.to_string(),
                at_s,
                leases_held,
                agents_on_node: on_node,
                agents_back: 0,
                all_back_ms: None,
                takeover_ms: None,
                takeover_node: None,
            },
        });
        on_node
    }

    /// A surviving node (`node`) showed the killed node's lease `ms` after the kill.
    pub fn took_over(&self, node: &str, ms: f64) {
        if let Some(watch) = self.kill.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            watch.report.takeover_ms = Some(ms);
            watch.report.takeover_node = Some(node.to_string());
        }
    }

    /// Agents of the killed node not connected again yet (0 when no node was killed).
    pub fn still_away(&self) -> usize {
        self.kill
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(0, |w| w.waiting.len())
    }

    fn kill_report(&self) -> Option<Kill> {
        let kill = self.kill.lock().unwrap_or_else(|p| p.into_inner());
        let watch = kill.as_ref()?;
        let mut report = watch.report.clone();
        if watch.waiting.is_empty() {
            let last = watch.last_back.unwrap_or(watch.fired);
            report.all_back_ms = Some(last.duration_since(watch.fired).as_secs_f64() * 1000.0);
        }
        Some(report)
    }

    /// How many tickets took longer than `over` from their message to their first push, by
    /// the second after `start` their message was sent (only seconds that had any): whether
    /// the slowest tickets came together, in a stall, or spread over the run.
    pub fn slow_by_second(&self, start: Instant, over: std::time::Duration) -> Vec<(u64, u64)> {
        let mut seconds = std::collections::BTreeMap::new();
        self.with(|t| {
            for (sent, pushed) in t.values().filter_map(|e| e.sent_at.zip(e.first_push)) {
                if pushed.saturating_duration_since(sent) > over {
                    *seconds
                        .entry(sent.saturating_duration_since(start).as_secs())
                        .or_insert(0) += 1;
                }
            }
        });
        seconds.into_iter().collect()
    }

    /// The summary; `lost` and mismatches come from the reconciliation with the API.
    pub fn summary(&self, duration_s: f64, lost: u64, assignee_mismatches: u64) -> Summary {
        use std::sync::atomic::Ordering::Relaxed;
        let created = self.created_tickets();
        let delivered = created.iter().filter(|(_, _, d)| *d).count() as u64;
        let latency = quantiles(&self.latency);
        let ingest_answer_ms = quantiles(&self.answered);
        Summary {
            agents_connected: self.agents_connected.load(Relaxed),
            messages_sent: self.messages_sent.load(Relaxed),
            tickets_created: created.len() as u64,
            tickets_delivered: delivered,
            lost,
            duplicated: self.with(|t| t.values().filter(|e| e.holders.len() > 1).count() as u64),
            overlaps: self
                .overlapped
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .len() as u64,
            latency_ms: latency,
            live_latency_ms: quantiles(&self.live),
            replayed_first: self.with(|t| {
                t.values()
                    .filter(|e| e.sent_at.is_some() && e.first_replayed)
                    .count() as u64
            }),
            ingest_answer_ms,
            throughput_per_s: if duration_s > 0.0 {
                self.messages_sent.load(Relaxed) as f64 / duration_s
            } else {
                0.0
            },
            errors: self.errors.load(Relaxed),
            reconnects: self.reconnects.load(Relaxed),
            assignee_mismatches,
            duration_s,
            storm: *self.storm.lock().unwrap_or_else(|p| p.into_inner()),
            kill: self.kill_report(),
        }
    }
}

fn record(histogram: &Mutex<Histogram<u64>>, from: Instant, to: Instant) {
    let micros = to.saturating_duration_since(from).as_micros().max(1) as u64;
    let _ = histogram
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .record(micros);
}

/// A histogram of microseconds as milliseconds at the quantiles a summary prints.
fn quantiles(histogram: &Mutex<Histogram<u64>>) -> Latency {
    let h = histogram.lock().unwrap_or_else(|p| p.into_inner());
    let ms = |micros: u64| micros as f64 / 1000.0;
    if h.is_empty() {
        return Latency::default();
    }
    Latency {
        p50: ms(h.value_at_quantile(0.5)),
        p95: ms(h.value_at_quantile(0.95)),
        p99: ms(h.value_at_quantile(0.99)),
        max: ms(h.max()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_still_held_by_two_agents_counts_as_duplicated_and_a_move_does_not() {
        let s = Stats::new();
        let now = Instant::now();
        s.created("1", now);
        s.assigned("1", "a", now, false);
        s.unassigned("1", "a");
        s.assigned("1", "b", now, false);
        s.created("2", now);
        s.assigned("2", "a", now, false);
        s.assigned("2", "b", now, false);
        s.created("3", now);
        s.assigned("3", "a", now, false);
        s.assigned("3", "b", now, false);
        s.unassigned("3", "a");
        let summary = s.summary(1.0, 0, 0);
        assert_eq!(summary.duplicated, 1);
        assert_eq!(summary.overlaps, 2);
        assert_eq!(summary.tickets_created, 3);
        assert_eq!(summary.tickets_delivered, 3);
    }

    #[test]
    fn a_first_push_replayed_on_a_resume_counts_in_latency_but_not_in_live_pushes() {
        use std::time::Duration;
        let s = Stats::new();
        let sent = Instant::now();
        s.created("1", sent);
        s.assigned("1", "a", sent + Duration::from_millis(10), false);
        s.created("2", sent);
        s.assigned("2", "b", sent + Duration::from_millis(300), true);
        // Ingest answers after the (replayed) push: the push still counts as replayed.
        s.assigned("3", "c", sent + Duration::from_millis(200), true);
        s.created("3", sent);
        let summary = s.summary(1.0, 0, 0);
        assert_eq!(summary.replayed_first, 2);
        assert!(summary.latency_ms.max >= 299.0, "{:?}", summary.latency_ms);
        assert!(
            summary.live_latency_ms.max < 11.0,
            "{:?}",
            summary.live_latency_ms
        );
    }

    #[test]
    fn an_old_assignment_replayed_after_a_move_leaves_the_ticket_with_its_new_agent() {
        let s = Stats::new();
        let now = Instant::now();
        s.created("1", now);
        s.assigned("1", "b", now, false);
        // Agent a resumes: the replay brings the assignment that came before the move, then
        // the move itself.
        s.assigned("1", "a", now, false);
        s.unassigned("1", "a");
        let held: Vec<_> = s.created_tickets();
        assert_eq!(held, vec![("1".to_string(), Some("b".to_string()), true)]);
        // A ticket its agent closed (no longer in its snapshot) stays that agent's.
        s.created("2", now);
        s.assigned("2", "c", now, false);
        s.snapshot("c", &[]);
        let closed = s
            .created_tickets()
            .into_iter()
            .find(|t| t.0 == "2")
            .unwrap();
        assert_eq!(closed.1.as_deref(), Some("c"));
    }

    #[test]
    fn after_a_kill_only_the_killed_nodes_agents_are_waited_for_until_they_connect_elsewhere() {
        let s = Stats::new();
        s.connected("a", "node-1");
        s.connected("b", "node-2");
        s.connected("c", "node-2");
        assert_eq!(s.node_killed("node-2", 30.0, Some(1.0)), 2);
        // Back on the node about to die: still away.
        s.connected("b", "node-2");
        s.connected("a", "node-3");
        assert_eq!(s.still_away(), 2);
        s.connected("b", "node-1");
        let half = s.summary(1.0, 0, 0).kill.unwrap();
        assert_eq!((half.agents_on_node, half.agents_back), (2, 1));
        assert_eq!(half.all_back_ms, None);
        s.connected("c", "node-3");
        s.took_over("node-3", 250.0);
        let kill = s.summary(1.0, 0, 0).kill.unwrap();
        assert_eq!(kill.agents_back, 2);
        assert!(kill.all_back_ms.is_some());
        assert_eq!(kill.takeover_node.as_deref(), Some("node-3"));
        assert_eq!(s.still_away(), 0);
        assert_eq!(s.sockets_per_node().get("node-3"), Some(&2));
    }
}
