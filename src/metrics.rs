//! The node's operational figures (`GET /api/v1/metrics`, Prometheus text): requests, ingest,
//! dispatching, the queue, sockets, the database pool and presence. One value per application,
//! handed to each part that counts, so two servers in one process (the tests) never mix figures.
//!
//! Every label takes a handful of values fixed in this file or a route pattern of the API; a
//! ticket, user or account id never becomes a label. Recording is an atomic add (plus, for a
//! labelled family, a read-locked map lookup): cheap on every hot path.

use crate::domain::dispatch::{Decision, Reason};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// The `Content-Type` of [`Metrics::render`]: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Sizes of group-committed ingest batches, up to the writer's bound.
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// Upper bounds of the request latency buckets, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// An HTTP method, with the rare and invented ones folded into `OTHER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(clippy::upper_case_acronyms)]
pub enum Method {
    GET,
    POST,
    PUT,
    PATCH,
    DELETE,
    HEAD,
    OPTIONS,
    OTHER,
}

impl Method {
    pub fn parse(method: &str) -> Method {
        match method {
            "GET" => Method::GET,
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            "HEAD" => Method::HEAD,
            "OPTIONS" => Method::OPTIONS,
            _ => Method::OTHER,
        }
    }
}

/// The route label of a request no route matched: never the raw path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: Method,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    method: Method,
    route: String,
}

/// What became of one delivery to `POST /ingest/messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored for the first time (202).
    Accepted,
    /// Already stored; answered with the same ids (200).
    Repeated,
    /// Refused as the caller's fault: bad input, key, size, rate (4xx).
    Refused,
    /// Not stored because of us or a dependency (5xx); the channel retries.
    Failed,
}

impl IngestOutcome {
    /// The outcome an ingest answer's status stands for.
    pub fn of_status(status: u16) -> IngestOutcome {
        match status {
            202 => IngestOutcome::Accepted,
            200..=299 => IngestOutcome::Repeated,
            500.. => IngestOutcome::Failed,
            _ => IngestOutcome::Refused,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            IngestOutcome::Accepted => "accepted",
            IngestOutcome::Repeated => "repeated",
            IngestOutcome::Refused => "refused",
            IngestOutcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct IngestLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DecisionLabels {
    /// `assigned`, `unassigned`, `queued`, `offered` or `offer_withdrawn`.
    decision: &'static str,
    /// The reason the event log records (`new`, `rebalanced`, `agent_left`, `manager`,
    /// `follow_up`), or `none` for queueing and offers.
    reason: &'static str,
}

impl DecisionLabels {
    fn of(decision: &Decision) -> DecisionLabels {
        let (decision, reason) = match decision {
            Decision::Assign { reason, .. } => ("assigned", Some(*reason)),
            Decision::Unassign { reason, .. } => ("unassigned", Some(*reason)),
            Decision::Queue { .. } => ("queued", None),
            Decision::Offer { .. } => ("offered", None),
            Decision::WithdrawOffer { .. } => ("offer_withdrawn", None),
        };
        DecisionLabels {
            decision,
            reason: reason.map_or("none", Reason::as_str),
        }
    }
}

/// Why the server ended a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketClosed {
    /// The client did not read its frames in time (its queue filled, or a write missed its
    /// deadline): closed with 1008.
    TooSlow,
    /// The client kept sending frames far over its budget.
    Flooding,
    /// Nothing heard from the client for the timeout.
    Silent,
    /// Its login session ended (4001).
    Revoked,
    /// The user opened more sockets than allowed; this was the oldest (4002).
    Superseded,
    /// The server shut down (1012).
    ShuttingDown,
}

impl SocketClosed {
    fn as_str(self) -> &'static str {
        match self {
            SocketClosed::TooSlow => "too_slow",
            SocketClosed::Flooding => "flooding",
            SocketClosed::Silent => "silent",
            SocketClosed::Revoked => "revoked",
            SocketClosed::Superseded => "superseded",
            SocketClosed::ShuttingDown => "shutting_down",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DisconnectLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StoreLabels {
    store: &'static str,
}

/// What is read at scrape time rather than counted as it happens.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Connections the pool holds now, and how many of them are idle.
    pub pool_size: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
    /// How long this scrape waited for a pool connection: what any request would wait now.
    pub pool_acquire: Duration,
    /// PostgreSQL answered the scrape's query.
    pub postgres_up: bool,
    /// Queued tickets and the age of the oldest, when PostgreSQL answered.
    pub queue: Option<QueueSample>,
    /// `redis` or `memory`, and whether it answers.
    pub presence_store: &'static str,
    pub presence_up: bool,
}

/// The queue of every account, from the database.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueSample {
    pub depth: i64,
    pub oldest_age: Duration,
}

/// The registry and every figure in it.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    ingest: Family<IngestLabels, Counter>,
    ingest_batches: Histogram,
    ingest_waiting: Gauge,
    action_batches: Histogram,
    receipt_batches: Histogram,
    receipt_waiting: Gauge,
    outcome_batches: Histogram,
    outcome_waiting: Gauge,
    action_waiting: Gauge,
    decisions: Family<DecisionLabels, Counter>,
    sockets: Gauge,
    frames_sent: Counter,
    client_frames_dropped: Counter,
    wallboards_computed: Counter,
    disconnects: Family<DisconnectLabels, Counter>,
    queue_depth: Gauge,
    queue_oldest: Gauge<f64, AtomicU64>,
    pool_connections: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    pool_acquire: Gauge<f64, AtomicU64>,
    postgres_up: Gauge,
    presence_up: Family<StoreLabels, Gauge>,
    leases: Gauge,
    takeovers: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Every figure registered under the `switchboard_` prefix, all at zero.
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("switchboard"),
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            ingest: Family::default(),
            ingest_batches: Histogram::new(BATCH_BUCKETS),
            ingest_waiting: Gauge::default(),
            action_batches: Histogram::new(BATCH_BUCKETS),
            receipt_batches: Histogram::new(BATCH_BUCKETS),
            receipt_waiting: Gauge::default(),
            outcome_batches: Histogram::new(BATCH_BUCKETS),
            outcome_waiting: Gauge::default(),
            action_waiting: Gauge::default(),
            decisions: Family::default(),
            sockets: Gauge::default(),
            frames_sent: Counter::default(),
            client_frames_dropped: Counter::default(),
            wallboards_computed: Counter::default(),
            disconnects: Family::default(),
            queue_depth: Gauge::default(),
            queue_oldest: Gauge::default(),
            pool_connections: Family::default(),
            pool_max: Gauge::default(),
            pool_acquire: Gauge::default(),
            postgres_up: Gauge::default(),
            presence_up: Family::default(),
            leases: Gauge::default(),
            takeovers: Counter::default(),
        };
        let r = &mut m.registry;
        r.register(
            "dispatcher_leases",
            "Accounts whose dispatcher runs on this node (leases it holds)",
            m.leases.clone(),
        );
        r.register(
            "dispatcher_takeovers",
            "Lapsed dispatcher leases this node took over from another (or an earlier run of itself)",
            m.takeovers.clone(),
        );
        r.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            m.requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (until the response head), by method and route pattern",
            m.latency.clone(),
        );
        r.register(
            "ingest_messages",
            "Guest message deliveries: accepted (new), repeated (already stored), refused (4xx), failed (5xx)",
            m.ingest.clone(),
        );
        r.register(
            "ingest_batch_messages",
            "Guest messages stored per group-committed transaction",
            m.ingest_batches.clone(),
        );
        r.register(
            "action_batch_actions",
            "Ticket actions (open, reply, pending, done) applied per group-committed transaction",
            m.action_batches.clone(),
        );
        r.register(
            "receipt_batch_reports",
            "Bridges' delivery reports stored per group-committed statement",
            m.receipt_batches.clone(),
        );
        r.register(
            "receipt_waiting_reports",
            "Bridges' delivery reports waiting for the report writer",
            m.receipt_waiting.clone(),
        );
        r.register(
            "outcome_batch_deliveries",
            "Delivery attempts' outcomes written per group-committed statement",
            m.outcome_batches.clone(),
        );
        r.register(
            "outcome_waiting_deliveries",
            "Delivery attempts' outcomes waiting for the outcome writer",
            m.outcome_waiting.clone(),
        );
        r.register(
            "action_waiting_actions",
            "Ticket actions waiting for an action writer",
            m.action_waiting.clone(),
        );
        r.register(
            "ingest_waiting_messages",
            "Guest messages waiting for the ingest writer",
            m.ingest_waiting.clone(),
        );
        r.register(
            "dispatch_decisions",
            "Dispatching decisions committed, by decision and reason",
            m.decisions.clone(),
        );
        r.register(
            "ws_connections",
            "Live WebSocket connections on this node",
            m.sockets.clone(),
        );
        r.register(
            "ws_frames_sent",
            "Frames written to WebSocket clients",
            m.frames_sent.clone(),
        );
        r.register(
            "wallboards_computed",
            "Wallboards the dispatchers computed to push (only while a manager is online)",
            m.wallboards_computed.clone(),
        );
        r.register(
            "ws_client_frames_dropped",
            "Client frames dropped for going over the per-socket frame budget",
            m.client_frames_dropped.clone(),
        );
        r.register(
            "ws_disconnects",
            "WebSocket connections the server closed, by reason",
            m.disconnects.clone(),
        );
        r.register(
            "queue_depth",
            "Queued tickets (nobody eligible yet), every account, at the last scrape PostgreSQL answered",
            m.queue_depth.clone(),
        );
        r.register(
            "queue_oldest_age_seconds",
            "Age of the oldest queued ticket (0 when none), at the last scrape PostgreSQL answered",
            m.queue_oldest.clone(),
        );
        r.register(
            "db_pool_connections",
            "PostgreSQL connections of the node's pools (requests, batch writers, dispatchers) by state (idle, in_use) at scrape time",
            m.pool_connections.clone(),
        );
        r.register(
            "db_pool_max_connections",
            "Largest PostgreSQL pool size",
            m.pool_max.clone(),
        );
        r.register(
            "db_pool_acquire_seconds",
            "How long the scrape waited for a pool connection (what a request waits now)",
            m.pool_acquire.clone(),
        );
        r.register(
            "postgres_up",
            "1 when PostgreSQL answered the scrape, else 0",
            m.postgres_up.clone(),
        );
        r.register(
            "presence_up",
            "1 when the presence store answers (redis; memory always does), 0 when degraded",
            m.presence_up.clone(),
        );
        m
    }

    /// One answered HTTP request; `route` is the matched pattern (`None`: no route matched).
    pub fn http_request(&self, method: Method, route: Option<&str>, status: u16, took: Duration) {
        let route = route.unwrap_or(UNMATCHED_ROUTE).to_string();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// One delivery to `POST /ingest/messages`.
    pub fn ingest(&self, outcome: IngestOutcome) {
        self.ingest
            .get_or_create(&IngestLabels {
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// A guest message joined the ingest writer's queue.
    pub fn ingest_queued(&self) {
        self.ingest_waiting.inc();
    }

    /// The ingest writer took a batch of `messages` from its queue, to store in one transaction.
    pub fn ingest_batch(&self, messages: usize) {
        self.ingest_waiting.dec_by(messages as i64);
        self.ingest_batches.observe(messages as f64);
    }

    /// This node now holds `count` dispatcher leases.
    pub fn leases_held(&self, count: usize) {
        self.leases.set(count as i64);
    }

    /// This node took over a lapsed dispatcher lease.
    pub fn lease_taken_over(&self) {
        self.takeovers.inc();
    }

    /// A ticket action joined the action writers' queue.
    pub fn action_queued(&self) {
        self.action_waiting.inc();
    }

    /// An action writer took a batch of `actions` to apply in one transaction.
    pub fn action_batch(&self, actions: usize) {
        self.action_waiting.dec_by(actions as i64);
        self.action_batches.observe(actions as f64);
    }

    /// A delivery report joined the report writer's queue.
    pub fn receipt_queued(&self) {
        self.receipt_waiting.inc();
    }

    /// The report writer took a batch of `reports` to store with one statement.
    pub fn receipt_batch(&self, reports: usize) {
        self.receipt_waiting.dec_by(reports as i64);
        self.receipt_batches.observe(reports as f64);
    }

    /// A delivery attempt's outcome joined the outcome writer's queue.
    pub fn outcome_queued(&self) {
        self.outcome_waiting.inc();
    }

    /// The outcome writer took a batch of `outcomes` to write with one statement.
    pub fn outcome_batch(&self, outcomes: usize) {
        self.outcome_waiting.dec_by(outcomes as i64);
        self.outcome_batches.observe(outcomes as f64);
    }

    /// Decisions that were just committed.
    pub fn committed<'a>(&self, decisions: impl IntoIterator<Item = &'a Decision>) {
        for d in decisions {
            self.decisions.get_or_create(&DecisionLabels::of(d)).inc();
        }
    }

    /// A socket opened; the live count goes down when the returned guard is dropped.
    pub fn socket_opened(&self) -> LiveSocket {
        self.sockets.inc();
        LiveSocket(self.sockets.clone())
    }

    /// A frame was written to a client.
    pub fn frame_sent(&self) {
        self.frames_sent.inc();
    }

    /// A dispatcher computed its account's wallboard to push it.
    pub fn wallboard_computed(&self) {
        self.wallboards_computed.inc();
    }

    /// A client frame dropped for going over its budget.
    pub fn client_frame_dropped(&self) {
        self.client_frames_dropped.inc();
    }

    /// The server closed a socket.
    pub fn disconnected(&self, why: SocketClosed) {
        self.disconnects
            .get_or_create(&DisconnectLabels {
                reason: why.as_str(),
            })
            .inc();
    }

    /// Records what was read at scrape time. The queue keeps its last reading while
    /// PostgreSQL does not answer (`postgres_up` says so).
    pub fn sampled(&self, sample: &Sample) {
        let in_use = sample.pool_size.saturating_sub(sample.pool_idle);
        self.pool_connections
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(sample.pool_idle));
        self.pool_connections
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(in_use));
        self.pool_max.set(i64::from(sample.pool_max));
        self.pool_acquire.set(sample.pool_acquire.as_secs_f64());
        self.postgres_up.set(i64::from(sample.postgres_up));
        if let Some(queue) = sample.queue {
            self.queue_depth.set(queue.depth);
            self.queue_oldest.set(queue.oldest_age.as_secs_f64());
        }
        self.presence_up
            .get_or_create(&StoreLabels {
                store: sample.presence_store,
            })
            .set(i64::from(sample.presence_up));
    }

    /// Everything, in the Prometheus text format ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// Counts one live socket for as long as it is held.
#[derive(Debug)]
pub struct LiveSocket(Gauge);

impl Drop for LiveSocket {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{TicketId, UserId};

    fn line<'a>(text: &'a str, series: &str) -> Option<&'a str> {
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .map(|l| l[series.len() + 1..].trim())
    }

    #[test]
    fn ingest_outcomes_follow_the_answer() {
        assert_eq!(IngestOutcome::of_status(202), IngestOutcome::Accepted);
        assert_eq!(IngestOutcome::of_status(200), IngestOutcome::Repeated);
        assert_eq!(IngestOutcome::of_status(400), IngestOutcome::Refused);
        assert_eq!(IngestOutcome::of_status(429), IngestOutcome::Refused);
        assert_eq!(IngestOutcome::of_status(503), IngestOutcome::Failed);
    }

    #[test]
    fn decisions_are_counted_by_kind_and_reason() {
        let m = Metrics::new();
        let (ticket, agent) = (TicketId(1), UserId(2));
        m.committed(&[
            Decision::Assign {
                ticket,
                agent,
                reason: Reason::New,
            },
            Decision::Unassign {
                ticket,
                agent,
                reason: Reason::Rebalanced,
            },
            Decision::Assign {
                ticket,
                agent,
                reason: Reason::Rebalanced,
            },
            Decision::Queue { ticket },
        ]);
        let text = m.render();
        for (series, value) in [
            (
                r#"switchboard_dispatch_decisions_total{decision="assigned",reason="new"}"#,
                "1",
            ),
            (
                r#"switchboard_dispatch_decisions_total{decision="unassigned",reason="rebalanced"}"#,
                "1",
            ),
            (
                r#"switchboard_dispatch_decisions_total{decision="queued",reason="none"}"#,
                "1",
            ),
        ] {
            assert_eq!(line(&text, series), Some(value), "{series} in\n{text}");
        }
    }

    #[test]
    fn a_socket_counts_while_it_lives() {
        let m = Metrics::new();
        let first = m.socket_opened();
        let second = m.socket_opened();
        drop(first);
        assert_eq!(line(&m.render(), "switchboard_ws_connections"), Some("1"));
        drop(second);
        assert_eq!(line(&m.render(), "switchboard_ws_connections"), Some("0"));
    }

    #[test]
    fn unknown_methods_and_unmatched_paths_keep_labels_bounded() {
        let m = Metrics::new();
        m.http_request(Method::parse("BREW"), None, 404, Duration::from_millis(3));
        let text = m.render();
        assert_eq!(
            line(
                &text,
                r#"switchboard_http_requests_total{method="OTHER",route="unmatched",status="404"}"#
            ),
            Some("1"),
            "{text}"
        );
    }
}
