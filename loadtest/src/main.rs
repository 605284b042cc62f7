//! `loadtest`: simulates thousands of agents and guests against a Switchboard deployment,
//! through its public API only (SPEC §7), and checks at the end that every ticket reached
//! exactly one agent.

mod agent;
mod bridge;
mod failover;
mod stats;

use agent::{AgentSetup, Base, Route};
use anyhow::{bail, Context};
use clap::Parser;
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};
use stats::Stats;
use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The harness shares the machine with the server it measures, and with glibc's allocator its
/// `malloc` and `free` took about a third of its CPU under `target` (five thousand sockets'
/// frames parsed, a thousand requests a second): jemalloc leaves those cores to the server
/// (README, "The server's allocator").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser, Debug)]
#[command(
    about = "Simulates agents and guests against a Switchboard server",
    args_override_self = true
)]
struct Args {
    /// The server's URL, or several comma-separated (nodes without a balancer): each agent
    /// and each guest message takes the next one in turn.
    #[arg(long)]
    url: String,
    #[arg(long)]
    account: String,
    #[arg(long)]
    manager_email: String,
    #[arg(long)]
    manager_password: String,
    #[arg(long, default_value_t = 50)]
    agents: usize,
    /// Guest messages per second.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Seconds of guest traffic.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    #[arg(long, default_value = "loadtest.json")]
    out: String,
    /// Share of agents (0–1) that drop their connection and resume during the run.
    #[arg(long, default_value_t = 0.1)]
    reconnect_share: f64,
    /// Think time range in milliseconds before an agent opens a ticket.
    #[arg(long, default_value_t = 200)]
    think_min_ms: u64,
    #[arg(long, default_value_t = 1500)]
    think_max_ms: u64,
    /// Seconds into the guest traffic at which every agent drops its connection at once and
    /// resumes (a reconnect storm, as after a load balancer restart).
    #[arg(long)]
    storm_at: Option<f64>,
    /// After the traffic, wait up to this many seconds for every ticket to reach an agent
    /// (a server behind on its work catches up) before stopping the agents and reconciling.
    #[arg(long, default_value_t = 120)]
    drain_timeout: u64,
    /// The nodes' own URLs behind the balancer, as NAME=URL pairs separated by commas (NAME is
    /// the node's SWITCHBOARD_NODE_ID): `--kill-at` reads their lease gauges from here.
    #[arg(long)]
    nodes: Option<String>,
    /// Seconds into the guest traffic at which one node is killed: the one holding the
    /// dispatcher lease (by its `switchboard_dispatcher_leases` gauge); needs `--nodes` and
    /// `--kill-command`.
    #[arg(long)]
    kill_at: Option<f64>,
    /// The shell command that kills a node; `{node}` in it becomes the node's name
    /// (e.g. `kill -9 $(cat target/cluster/{node}.pid)`).
    #[arg(long)]
    kill_command: Option<String>,
    /// The bearer token of `GET /api/v1/metrics`, when the nodes have one (default: the
    /// environment's SWITCHBOARD_METRICS_TOKEN, as the scenarios hand the nodes).
    #[arg(long)]
    metrics_token: Option<String>,
    /// Times a guest message is sent again (same ids, so at most stored once) when the
    /// request fails or answers 502, 503 or 504, as a channel retries: a node killed under
    /// the balancer drops the requests it was answering.
    #[arg(long, default_value_t = 0)]
    ingest_retries: u32,
}

async fn post_json(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<(u16, Value)> {
    let mut req = client.post(url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Waits until no ticket was assigned or taken from an agent for two seconds (at most 20 s).
async fn settle(stats: &Stats) {
    let began = Instant::now();
    let mut seen = stats.frames.load(Relaxed);
    while began.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = stats.frames.load(Relaxed);
        if now == seen {
            return;
        }
        seen = now;
    }
}

/// Waits until every created ticket reached an agent (at least a few seconds, so the agents'
/// last actions settle), or until nothing was delivered for 15 s, or `limit` passed.
async fn drain(stats: &Stats, limit: Duration) {
    let began = Instant::now();
    let (mut last, mut last_change) = (u64::MAX, Instant::now());
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let waiting = stats.undelivered();
        if waiting != last {
            (last, last_change) = (waiting, Instant::now());
        }
        let settled = waiting == 0 && began.elapsed() >= Duration::from_secs(3);
        if settled || last_change.elapsed() >= Duration::from_secs(15) || began.elapsed() >= limit {
            eprintln!(
                "drained in {:.0} s: {waiting} tickets not delivered",
                began.elapsed().as_secs_f64()
            );
            return;
        }
        eprintln!("draining: {waiting} tickets not delivered yet");
    }
}

/// Sends one guest message to `apis[first]`, and again (to the next URL in turn) up to
/// `retries` times when the request fails or answers 502, 503 or 504.
async fn ingest(
    client: &reqwest::Client,
    apis: &[String],
    first: usize,
    key: &str,
    body: &Value,
    retries: u32,
) -> anyhow::Result<(u16, Value)> {
    let mut attempt = 0;
    loop {
        let api = &apis[(first + attempt as usize) % apis.len()];
        let answer = post_json(client, &format!("{api}/ingest/messages"), Some(key), body).await;
        let retry = match &answer {
            Ok((status, _)) => matches!(status, 502..=504),
            Err(_) => true,
        };
        if !retry || attempt >= retries {
            return answer;
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The first of `apis` that answers `/healthz` (the first when none does).
async fn live_api<'a>(client: &reqwest::Client, apis: &'a [String]) -> &'a str {
    for api in apis {
        let alive = client
            .get(format!("{api}/healthz"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if alive {
            return api;
        }
    }
    &apis[0]
}

/// After `after`, drops every agent's connection at once and records how long until all of
/// them are back (each resumes with its last sequence number).
async fn storm(trigger: tokio::sync::watch::Sender<()>, stats: Arc<Stats>, after: Duration) {
    tokio::time::sleep(after).await;
    let agents = stats.agents_connected.load(Relaxed);
    let fired = Instant::now();
    eprintln!("storm: dropping all {agents} connections at once");
    trigger.send_replace(());
    while stats.back_after_storm.load(Relaxed) < agents
        && fired.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let back = stats.back_after_storm.load(Relaxed);
    let ms = fired.elapsed().as_secs_f64() * 1000.0;
    eprintln!("storm: {back} of {agents} agents back in {ms:.0} ms");
    stats.storm_recovered(back, ms);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let nodes = failover::parse_nodes(args.nodes.as_deref().unwrap_or_default())?;
    let bases: Vec<Base> = args
        .url
        .split(',')
        .map(|u| u.trim().trim_end_matches('/'))
        .filter(|u| !u.is_empty())
        .map(|base| Base {
            api: format!("{base}/api/v1"),
            ws: format!("{}/api/v1/ws", base.replacen("http", "ws", 1)),
            node: nodes.iter().find(|n| n.url == base).map(|n| n.name.clone()),
        })
        .collect();
    if bases.is_empty() {
        bail!("--url names no URL");
    }
    if args.kill_at.is_some() && (nodes.len() < 2 || args.kill_command.is_none()) {
        bail!("--kill-at needs --nodes (two or more) and --kill-command");
    }
    let apis: Arc<Vec<String>> = Arc::new(bases.iter().map(|b| b.api.clone()).collect());
    let bases = Arc::new(bases);
    // The manager's set-up and the bridge's registration go through the first URL.
    let api = apis[0].clone();
    // Idle connections are let go before the server's keep-alive (actix-web's 5 s) closes
    // them: a request sent on a connection the server is closing at that moment fails with
    // "connection closed before message completed", which the run counted as an error.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .pool_idle_timeout(Duration::from_secs(4))
        .build()?;
    let run = format!("lt{}", chrono::Utc::now().timestamp_millis());

    // Set-up through the public API.
    let login = |email: String, password: String, api: String| {
        let (client, account) = (client.clone(), args.account.clone());
        async move {
            let (status, body) = post_json(
                &client,
                &format!("{api}/auth/login"),
                None,
                &json!({"account": account, "email": email, "password": password}),
            )
            .await?;
            if status != 200 {
                bail!("login of {email}: {status} {body}");
            }
            Ok::<_, anyhow::Error>((
                body["token"].as_str().unwrap_or_default().to_string(),
                body["user"]["id"].as_str().unwrap_or_default().to_string(),
            ))
        }
    };
    let (manager, _) = login(
        args.manager_email.clone(),
        args.manager_password.clone(),
        api.clone(),
    )
    .await
    .context("manager login")?;
    let (status, key) = post_json(
        &client,
        &format!("{api}/api-keys"),
        Some(&manager),
        &json!({"label": run}),
    )
    .await?;
    if status != 201 {
        bail!("creating an ingest key: {status} {key}");
    }
    let api_key = key["key"].as_str().unwrap_or_default().to_string();
    let bridge = bridge::start(&client, apis.clone(), &manager, &api_key, &run)
        .await
        .context(
            "starting the bridge (the server needs SWITCHBOARD_DELIVERY_ALLOW_PRIVATE=true)",
        )?;
    eprintln!("creating and signing in {} agents…", args.agents);
    let password = "loadtest-password";
    let created: Vec<anyhow::Result<(String, String)>> = stream::iter(0..args.agents)
        .map(|k| {
            let (client, api, manager, run) = (client.clone(), api.clone(), manager.clone(), run.clone());
            let (login, apis) = (&login, &apis);
            async move {
                let email = format!("{run}-{k}@loadtest.test");
                let body = json!({"email": email, "name": format!("Load agent {k}"), "password": password});
                let (status, agent) = post_json(&client, &format!("{api}/agents"), Some(&manager), &body).await?;
                if status != 201 {
                    bail!("creating agent {k}: {status} {agent}");
                }
                // Each agent signs in where it will work.
                login(email, password.to_string(), apis[k % apis.len()].clone()).await
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let agents: Vec<(String, String)> = created.into_iter().collect::<anyhow::Result<_>>()?;

    let stats = Arc::new(Stats::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (storm_tx, storm_rx) = tokio::sync::watch::channel(());
    let flaky_count = (args.agents as f64 * args.reconnect_share.clamp(0.0, 1.0)).round() as usize;
    let mut tasks = Vec::new();
    for (i, (token, id)) in agents.iter().enumerate() {
        let setup = AgentSetup {
            id: id.clone(),
            token: token.clone(),
            route: Route::new(bases.clone(), i),
            client: client.clone(),
            stats: stats.clone(),
            flaky: i < flaky_count,
            think: (args.think_min_ms, args.think_max_ms),
        };
        tasks.push(tokio::spawn(agent::run(
            setup,
            stop_rx.clone(),
            storm_rx.clone(),
        )));
    }
    // Everyone connected, then everyone starts the timer.
    let connect_deadline = Instant::now() + Duration::from_secs(60);
    while (stats.agents_connected.load(Relaxed) as usize) < agents.len()
        && Instant::now() < connect_deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stream::iter(agents.iter().enumerate())
        .for_each_concurrent(32, |(i, (token, _))| {
            let (client, api) = (client.clone(), apis[i % apis.len()].clone());
            async move {
                let _ = post_json(
                    &client,
                    &format!("{api}/me/timer/start"),
                    Some(token),
                    &json!({}),
                )
                .await;
            }
        })
        .await;
    eprintln!(
        "{} agents connected and working; sending {} messages/s for {} s",
        stats.agents_connected.load(Relaxed),
        args.rate,
        args.duration
    );

    // Guest traffic at a steady rate: mostly new conversations, some follow-ups.
    let started = Instant::now();
    if let Some(at) = args.storm_at {
        tokio::spawn(storm(storm_tx, stats.clone(), Duration::from_secs_f64(at)));
    }
    let kill = match (args.kill_at, &args.kill_command) {
        (Some(at), Some(command)) => {
            let plan = failover::Plan {
                nodes: nodes.clone(),
                command: command.clone(),
                metrics_token: args
                    .metrics_token
                    .clone()
                    .or_else(|| std::env::var("SWITCHBOARD_METRICS_TOKEN").ok()),
                client: client.clone(),
            };
            let stats = stats.clone();
            Some(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs_f64(at)).await;
                if let Err(e) = plan.run(stats, at).await {
                    eprintln!("kill: {e:#}");
                }
            }))
        }
        _ => None,
    };
    eprintln!("phase: traffic");
    let period = Duration::from_secs_f64(1.0 / args.rate.max(0.1));
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = (args.rate * args.duration as f64).round() as u64;
    let mut last_progress = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for n in 0..total {
        ticker.tick().await;
        let thread = if n % 5 == 4 && n > 10 { n - 7 } else { n };
        let channel = ["airbnb", "booking", "vrbo", "direct"][(thread % 4) as usize];
        let body = json!({
            "channel": channel,
            "thread_external_id": format!("{run}-t{thread}"),
            "message_external_id": format!("{run}-m{n}"),
            "body": "Hello! Is the apartment available next weekend?",
            "sent_at": chrono::Utc::now().to_rfc3339(),
            "guest": {"external_id": format!("{run}-g{thread}"), "name": format!("Guest {thread}"), "language": "en"},
            "reservation": {"external_id": format!("{run}-r{thread}"), "status": if thread % 3 == 0 { "confirmed" } else { "inquiry" },
                            "listing_external_id": format!("listing-{}", thread % 20)}
        });
        let (client, apis, key, shared) =
            (client.clone(), apis.clone(), api_key.clone(), stats.clone());
        let retries = args.ingest_retries;
        senders.spawn(async move {
            let stats = shared;
            let sent = Instant::now();
            let first = n as usize % apis.len();
            match ingest(&client, &apis, first, &key, &body, retries).await {
                Ok((202, ids)) | Ok((200, ids)) => {
                    stats.answered(sent);
                    stats.messages_sent.fetch_add(1, Relaxed);
                    if let Some(ticket) = ids["ticket_id"].as_str() {
                        stats.created(ticket, sent);
                    }
                }
                failed => {
                    // The first few failures are shown as they are: a count alone does not say
                    // whether the server refused (and how) or the connection broke.
                    if stats.errors.fetch_add(1, Relaxed) < 5 {
                        match failed {
                            Ok((status, answer)) => {
                                eprintln!("ingest error: {status} {answer}")
                            }
                            Err(e) => eprintln!("ingest error: {e:#}"),
                        }
                    }
                }
            }
        });
        if last_progress.elapsed() >= Duration::from_secs(1) {
            let s = stats.summary(started.elapsed().as_secs_f64(), 0, 0);
            eprintln!(
                "[{:>4.0}s] sent {} tickets {} delivered {} p99 {:.1} ms errors {} reconnects {}",
                started.elapsed().as_secs_f64(),
                s.messages_sent,
                s.tickets_created,
                s.tickets_delivered,
                s.latency_ms.p99,
                s.errors,
                s.reconnects
            );
            last_progress = Instant::now();
        }
    }
    while senders.join_next().await.is_some() {}
    let duration = started.elapsed().as_secs_f64();
    if let Some(kill) = kill {
        // The takeover is measured (or given up on) before the drain begins.
        let _ = kill.await;
        let began = Instant::now();
        while stats.still_away() > 0 && began.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    drain(&stats, Duration::from_secs(args.drain_timeout)).await;
    // The agents stop acting and the run waits until no ticket moves, then compares itself
    // with the database while every socket still listens: closing the sockets first hid the
    // moves that the agents' last actions caused (a close rebalances unopened tickets), and
    // counted them as mismatches.
    stats.acting.store(false, Relaxed);
    settle(&stats).await;

    // Reconcile with the API: every created ticket exists, and whoever the database says has
    // it is the agent the run last saw receive it.
    let mut db: HashMap<String, (String, Option<String>)> = HashMap::new();
    let mut cursor: Option<String> = None;
    let api = live_api(&client, &apis).await;
    loop {
        let mut url = format!("{api}/tickets?view=all&limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client
            .get(&url)
            .bearer_auth(&manager)
            .send()
            .await?
            .json()
            .await?;
        for t in page["items"].as_array().into_iter().flatten() {
            let id = t["id"].as_str().unwrap_or_default().to_string();
            db.insert(
                id,
                (
                    t["state"].as_str().unwrap_or_default().to_string(),
                    t["assignee_id"].as_str().map(str::to_string),
                ),
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let (mut lost, mut mismatches) = (0u64, 0u64);
    for (ticket, last_holder, delivered) in stats.created_tickets() {
        match db.get(&ticket) {
            None => lost += 1,
            Some((state, _)) if state == "queued" => {}
            Some((_, assignee)) if !delivered || assignee.is_none() => lost += 1,
            Some((_, assignee)) if *assignee != last_holder => mismatches += 1,
            Some(_) => {}
        }
    }
    let _ = stop_tx.send(true);
    eprintln!("phase: done");
    for t in tasks {
        let _ = t.await;
    }
    let summary = stats.summary(duration, lost, mismatches);
    let replies = bridge::settle(&bridge, stats.replies_sent.load(Relaxed)).await;
    let mut report = serde_json::to_value(&summary)?;
    if let (Some(all), Value::Object(more)) =
        (report.as_object_mut(), serde_json::to_value(replies)?)
    {
        all.extend(more);
    }
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&args.out, &json).with_context(|| format!("writing {}", args.out))?;
    println!("{json}");
    eprintln!(
        "{} agents, {} messages in {:.1} s ({:.1}/s): {} tickets, {} delivered, {} lost, {} duplicated ({} overlaps in flight); latency p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms max {:.1} ms; {} errors",
        summary.agents_connected, summary.messages_sent, summary.duration_s, summary.throughput_per_s, summary.tickets_created,
        summary.tickets_delivered, summary.lost, summary.duplicated, summary.overlaps, summary.latency_ms.p50, summary.latency_ms.p95, summary.latency_ms.p99,
        summary.latency_ms.max, summary.errors
    );
    eprintln!(
        "live pushes p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms max {:.1} ms; {} tickets first reached their agent replayed on a resume",
        summary.live_latency_ms.p50,
        summary.live_latency_ms.p95,
        summary.live_latency_ms.p99,
        summary.live_latency_ms.max,
        summary.replayed_first
    );
    let slow: Vec<String> = stats
        .slow_by_second(started, Duration::from_millis(100))
        .iter()
        .map(|(second, n)| format!("{second}s:{n}"))
        .collect();
    eprintln!(
        "over 100 ms, by the second their message was sent: {}",
        slow.join(" ")
    );
    eprintln!(
        "ingest answered p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms max {:.1} ms",
        summary.ingest_answer_ms.p50,
        summary.ingest_answer_ms.p95,
        summary.ingest_answer_ms.p99,
        summary.ingest_answer_ms.max
    );
    eprintln!(
        "replies: {} sent, {} delivered, {} failed; delivery latency p50 {:.1} ms p99 {:.1} ms",
        replies.replies_sent,
        replies.replies_delivered,
        replies.replies_failed,
        replies.delivery_latency_ms.p50,
        replies.delivery_latency_ms.p99
    );
    if let Some(kill) = &summary.kill {
        report_kill(kill);
    }
    Ok(())
}

/// The kill's lines of the summary.
fn report_kill(kill: &stats::Kill) {
    let lease = match kill.leases_held {
        Some(n) => format!("held {n} dispatcher lease(s)"),
        None => "lease gauge not reported".to_string(),
    };
    eprintln!(
        "kill: {} killed {:.1} s into the traffic ({lease}); {} agents had their socket on it",
        kill.node, kill.at_s, kill.agents_on_node
    );
    match kill.all_back_ms {
        Some(ms) => eprintln!(
            "reconnect: all {} agents of {} connected again {ms:.0} ms after the kill",
            kill.agents_on_node, kill.node
        ),
        None => eprintln!(
            "reconnect: only {} of {} agents of {} connected again",
            kill.agents_back, kill.agents_on_node, kill.node
        ),
    }
    match (kill.leases_held, kill.takeover_ms, &kill.takeover_node) {
        (None, _, _) => eprintln!(
            "takeover: not measured (no node reported {})",
            failover::LEASE_GAUGE
        ),
        (Some(n), _, _) if n <= 0.0 => {
            eprintln!("takeover: not measured (the killed node held no lease)")
        }
        (Some(_), Some(ms), Some(node)) => {
            eprintln!("takeover: {node} holds the lease {ms:.0} ms after the kill")
        }
        _ => eprintln!("takeover: no surviving node showed the lease within 60 s"),
    }
}
