//! A month's agent report over one million tickets (SPEC §7: under one second; issue 16: under
//! 200 ms), and a year's team report over twelve million.
//!
//! Seeds a throwaway database (`TEST_DATABASE_URL`'s server) with one account, 200 agents and
//! `BENCH_DAYS` days (default 31, ending with today in UTC, so the wallboard's today is busy) of traffic — `BENCH_TICKETS` tickets
//! (default 1,000,000), each with a guest message, a reply and its events, plus daily work
//! intervals — then times the report over those days from the raw rows alone, the rollup
//! rebuild, the report again from the rollups, the same with the previous period for
//! comparison, the CSV export, and the wallboard while guest messages arrive, and drops the
//! database. Run with `cargo bench --bench reports` (`BENCH_TICKETS=12000000 BENCH_DAYS=365`
//! for the year; `BENCH_KEEP=1 BENCH_SEED_ONLY=1` seeds and keeps the database, and
//! `BENCH_DB=<name>` times a kept one).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use chrono::{DateTime, Duration, DurationRound, Utc};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use std::time::Instant;
use switchboard::app::reports;
use switchboard::domain::ids::AccountId;
use switchboard::domain::metrics::period::Period;
use switchboard::startup::MIGRATOR;

const AGENTS: i64 = 200;

fn env_or(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Tickets per seeding statement: big enough that a statement's overhead does not count,
/// small enough that two connections take turns over a year's chunks.
const CHUNK: i64 = 500_000;

/// The tables the seed fills in bulk; their secondary indexes are dropped for the load and
/// built again after it (one index build is far cheaper than millions of index inserts).
const BULK_TABLES: [&str; 5] = ["guests", "threads", "tickets", "messages", "events"];

/// A seeding connection: no waiting for the WAL flush, no foreign-key or append-only triggers
/// (`session_replication_role = replica`; the rows are generated consistent), room to sort.
async fn seeding_connection(url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = PgConnection::connect(url).await?;
    conn.execute(
        "SET synchronous_commit = off; SET session_replication_role = replica; \
         SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 0",
    )
    .await?;
    Ok(conn)
}

/// Seeds `tickets` tickets over `days` days from `start`, spread evenly, ticket n (1-based)
/// belonging to agent n mod 200, pre-booking when n is a multiple of 3, with its guest, thread,
/// guest message, its reply two minutes later (timed at 60 + n mod 600 seconds), and its
/// assignment and done events; plus eight hours of work a day per agent. Rows are generated
/// set-based, with explicit ids (the database is new), in chunks that two connections insert
/// side by side.
async fn seed(
    pool: &PgPool,
    url: &str,
    start: DateTime<Utc>,
    tickets: i64,
    days: i64,
) -> anyhow::Result<i64> {
    let account_id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (slug, name) VALUES ('bench', 'Bench') RETURNING id",
    )
    .fetch_one(pool)
    .await?;
    let agents: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO users (account_id, email, name, role, password_hash) \
         SELECT $1, 'agent' || g || '@bench.test', 'Agent ' || g, 'agent', 'x' FROM generate_series(1, $2) g RETURNING id",
    )
    .bind(account_id)
    .bind(AGENTS)
    .fetch_all(pool)
    .await?;
    sqlx::query(
        "INSERT INTO work_intervals (account_id, user_id, started_at, ended_at) \
         SELECT $1, u, d + interval '9 hours', d + interval '17 hours' FROM unnest($2::bigint[]) u \
         CROSS JOIN generate_series($4::timestamptz, $4::timestamptz + ($3 - 1) * interval '1 day', interval '1 day') d",
    )
    .bind(account_id)
    .bind(&agents)
    .bind(days as i32)
    .bind(start)
    .execute(pool)
    .await?;
    let started = Instant::now();
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i \
         WHERE i.indrelid = ANY($1::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
    )
    .bind(BULK_TABLES.map(String::from).to_vec())
    .fetch_all(pool)
    .await?;
    for def in &indexes {
        let name = def
            .split_whitespace()
            .skip_while(|w| *w != "INDEX")
            .nth(1)
            .unwrap_or_default();
        pool.execute(format!("DROP INDEX {name}").as_str()).await?;
    }
    let chunks = std::sync::atomic::AtomicI64::new(0);
    let load = || async {
        let mut conn = seeding_connection(url).await?;
        loop {
            let first = chunks.fetch_add(CHUNK, std::sync::atomic::Ordering::Relaxed) + 1;
            if first > tickets {
                return anyhow::Ok(());
            }
            let last = (first + CHUNK - 1).min(tickets);
            seed_chunk(
                &mut conn,
                account_id,
                &agents,
                (first, last),
                (start, tickets, days),
            )
            .await?;
        }
    };
    tokio::try_join!(load(), load())?;
    eprintln!(
        "  rows inserted in {:>6.1} s",
        started.elapsed().as_secs_f64()
    );
    for table in BULK_TABLES {
        pool.execute(
            format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))").as_str(),
        )
        .await?;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let build = || async {
        let mut conn = seeding_connection(url).await?;
        while let Some(def) = indexes.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            conn.execute(def.as_str()).await?;
        }
        anyhow::Ok(())
    };
    tokio::try_join!(build(), build())?;
    eprintln!(
        "  {} indexes built by {:>6.1} s",
        indexes.len(),
        started.elapsed().as_secs_f64()
    );
    let vacuum = |table: &'static str| async move {
        let mut conn = seeding_connection(url).await?;
        conn.execute(format!("VACUUM ANALYZE {table}").as_str())
            .await?;
        anyhow::Ok(())
    };
    tokio::try_join!(
        async {
            vacuum("messages").await?;
            vacuum("guests").await
        },
        async {
            vacuum("events").await?;
            vacuum("tickets").await?;
            vacuum("threads").await
        }
    )?;
    pool.execute("ANALYZE").await?;
    eprintln!(
        "  seeded, vacuumed and analysed in {:>6.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(account_id)
}

/// Inserts tickets `first..=last` of `total` and everything that belongs to them.
async fn seed_chunk(
    conn: &mut PgConnection,
    account_id: i64,
    agents: &[i64],
    (first, last): (i64, i64),
    (start, total, days): (DateTime<Utc>, i64, i64),
) -> anyhow::Result<()> {
    let started = Instant::now();
    // Ticket n: created at `ts`, assigned at once, answered after two minutes, done after five.
    let tickets =
        "SELECT n, $7::timestamptz + (n * $6::float8 / $5::bigint) * interval '1 day' AS ts, \
                     ($4::bigint[])[1 + n % cardinality($4::bigint[])] AS agent, \
                     CASE WHEN n % 3 = 0 THEN 'pre_booking' ELSE 'booked' END AS stage \
                   FROM generate_series($2::bigint, $3::bigint) n";
    let statements = [
        format!(
            "INSERT INTO guests (id, account_id, channel, external_id, name) \
         SELECT n, $1, 'airbnb', 'g' || n, 'Guest ' || n FROM ({tickets}) t"
        ),
        format!(
            "INSERT INTO threads (id, account_id, channel, external_id, guest_id) \
         SELECT n, $1, 'airbnb', 't' || n, n FROM ({tickets}) t"
        ),
        format!(
            "INSERT INTO tickets (id, account_id, thread_id, state, stage, channel, guest_id, assignee_id, created_at, \
               assigned_at, opened_at, first_response_at, closed_at) \
             SELECT n, $1, n, 'done', stage, 'airbnb', n, agent, ts, ts, ts + interval '1 minute', \
               ts + interval '2 minutes', ts + interval '5 minutes' FROM ({tickets}) t"
        ),
        format!(
            "INSERT INTO messages (id, account_id, thread_id, ticket_id, channel, external_id, direction, author_id, body, \
               sent_at, response_seconds, first_response_seconds, stage) \
             SELECT 2 * n - 1, $1, n, n, 'airbnb', 'm' || n, 'inbound', NULL, 'Hello', ts, NULL, NULL, NULL FROM ({tickets}) t \
             UNION ALL \
             SELECT 2 * n, $1, n, n, 'airbnb', NULL, 'outbound', agent, 'Hi', ts + interval '2 minutes', 60 + n % 600, 120, stage \
             FROM ({tickets}) t"
        ),
        format!(
            "INSERT INTO events (id, account_id, kind, ticket_id, agent_id, reason, at) \
             SELECT 2 * n - 1, $1, 'ticket.assigned', n, agent, 'new', ts FROM ({tickets}) t \
             UNION ALL \
             SELECT 2 * n, $1, 'ticket.done', n, agent, NULL, ts + interval '5 minutes' FROM ({tickets}) t"
        ),
    ];
    for sql in &statements {
        sqlx::query(sql)
            .bind(account_id)
            .bind(first)
            .bind(last)
            .bind(agents)
            .bind(total)
            .bind(days as f64)
            .bind(start)
            .execute(&mut *conn)
            .await?;
    }
    eprintln!(
        "  tickets {first}..={last} in {:>5.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Guest messages per second sent through the real ingest path while the wallboard is timed.
const INGEST_PER_SECOND: u64 = 20;

/// Wallboard refreshes timed, one every half second (the wallboard's own pace).
const REFRESHES: usize = 20;

/// Serves the application on the bench database (its own thread and actix system, as the
/// binary would) and answers its base URL.
fn serve(url: &str) -> anyhow::Result<String> {
    let config = switchboard::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.to_string()),
        "SWITCHBOARD_BIND" => Some("127.0.0.1:0".into()),
        "SWITCHBOARD_DB_POOL" => Some("10".into()),
        _ => None,
    })
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match switchboard::startup::Application::build(config).await {
                Ok(app) => {
                    let _ = port_tx.send(Ok(app.port()));
                    let _ = app.run_until_stopped().await;
                }
                Err(e) => {
                    let _ = port_tx.send(Err(e));
                }
            }
        })
    });
    let port = port_rx.recv()??;
    Ok(format!("http://127.0.0.1:{port}/api/v1"))
}

/// Times the wallboard's "today so far" (`GET /wallboard`, as a manager's page loads it) while
/// guest messages arrive through `POST /ingest/messages` at a steady rate; prints the median
/// and slowest refresh.
async fn wallboard_under_ingest(pool: &PgPool, url: &str, account_id: i64) -> anyhow::Result<()> {
    let account = AccountId(account_id);
    let password = "bench-manager-password";
    let hash = switchboard::app::accounts::hash_password(password).await?;
    sqlx::query(
        "INSERT INTO users (account_id, email, name, role, password_hash) VALUES ($1, 'manager@bench.test', 'Manager', 'manager', $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(&hash)
    .execute(pool)
    .await?;
    let key = switchboard::security::token::Secret::generate("sbk");
    switchboard::store::api_keys::insert(pool, account, &key.digest(), "bench", None).await?;
    let base = serve(url)?;
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{base}/auth/login"))
        .json(&serde_json::json!({"account": "bench", "email": "manager@bench.test", "password": password}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or_default().to_string();
    let refresh = || {
        http.get(format!("{base}/wallboard"))
            .bearer_auth(&token)
            .send()
    };
    refresh().await?.error_for_status()?; // warm: the first plan and the account's caches
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let sender = {
        let (http, base, key) = (http.clone(), base.clone(), key.reveal().to_string());
        let run = std::process::id();
        tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(std::time::Duration::from_millis(1000 / INGEST_PER_SECOND));
            let (mut sent, mut stored) = (0u64, 0u64);
            while !*stopped.borrow() {
                tick.tick().await;
                sent += 1;
                let body = serde_json::json!({
                    "channel": "airbnb", "thread_external_id": format!("live-{run}-{}", sent % 500),
                    "message_external_id": format!("live-{run}-{sent}"), "body": "Is the flat free next week?",
                    "sent_at": Utc::now(), "guest": {"external_id": format!("live-{}", sent % 500), "name": "Live guest"}
                });
                let answer = http
                    .post(format!("{base}/ingest/messages"))
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await;
                stored += u64::from(answer.is_ok_and(|a| a.status().is_success()));
            }
            (sent, stored)
        })
    };
    tokio::time::sleep(std::time::Duration::from_secs(2)).await; // the load is under way
    let mut times = Vec::new();
    for _ in 0..REFRESHES {
        let started = Instant::now();
        refresh().await?.error_for_status()?.bytes().await?;
        times.push(started.elapsed().as_secs_f64());
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let _ = stop.send(true);
    let (sent, stored) = sender.await?;
    times.sort_by(f64::total_cmp);
    println!(
        "wallboard today so far, {REFRESHES} refreshes while ingesting {INGEST_PER_SECOND} guest messages/s ({stored} of {sent} stored): median {:.1} ms, slowest {:.1} ms",
        times[times.len() / 2] * 1000.0,
        times[times.len() - 1] * 1000.0
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // BENCH_DB=<name> reuses a database a previous run kept (BENCH_KEEP=1), skipping the seed.
    let reuse = std::env::var("BENCH_DB").ok();
    let name = reuse
        .clone()
        .unwrap_or_else(|| format!("sb_bench_reports_{}", std::process::id()));
    let mut admin = PgConnection::connect(&admin_url()).await?;
    if reuse.is_none() {
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await?;
    }
    let url = format!(
        "{}/{name}",
        admin_url()
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or_default()
    );
    let (tickets, days) = (env_or("BENCH_TICKETS", 1_000_000), env_or("BENCH_DAYS", 31));
    let start = Utc::now().duration_trunc(Duration::days(1))? - Duration::days(days - 1);
    let result = async {
        let pool = PgPool::connect(&url).await?;
        MIGRATOR.run(&pool).await?;
        let account_id: i64 = match reuse {
            Some(_) => {
                sqlx::query_scalar("SELECT id FROM accounts WHERE slug = 'bench'")
                    .fetch_one(&pool)
                    .await?
            }
            None => {
                eprintln!("seeding {tickets} tickets over {days} days, {AGENTS} agents…");
                seed(&pool, &url, start, tickets, days).await?
            }
        };
        if std::env::var("BENCH_SEED_ONLY").is_ok() {
            return anyhow::Ok(()); // a year's seed and its timing fit no single quiet run
        }
        let account = switchboard::store::accounts::get(&pool, AccountId(account_id))
            .await?
            .expect("the bench account");
        let from: DateTime<Utc> =
            sqlx::query_scalar("SELECT date_trunc('day', min(created_at), 'UTC') FROM tickets")
                .fetch_one(&pool)
                .await?;
        let period = Period {
            from,
            to: from + Duration::days(days),
        };
        let what = format!("{days}-day report over {tickets} tickets");
        let timed = |label: String, started: Instant, report: &reports::Report| {
            println!(
                "{what}, {label}: {:.3} s ({} agent rows, {} replies, team median {:?} s)",
                started.elapsed().as_secs_f64(),
                report.agents.len(),
                report.team.replies,
                report.team.median_response_seconds
            )
        };
        switchboard::app::rollups::rebuild(&pool, &account, None, from).await?; // none: all raw
        let started = Instant::now();
        let report = reports::build(&pool, &account, period, period.to).await?;
        timed("raw rows only".into(), started, &report);
        let started = Instant::now();
        let rolled = switchboard::app::rollups::rebuild(
            &pool,
            &account,
            None,
            period.to + Duration::days(1),
        )
        .await?;
        println!(
            "{what}, rollups rebuilt ({rolled} days): {:.3} s",
            started.elapsed().as_secs_f64()
        );
        for run in 1..=3 {
            let started = Instant::now();
            let report = reports::build(&pool, &account, period, period.to).await?;
            timed(format!("from rollups, run {run}"), started, &report);
        }
        let started = Instant::now();
        let (current, previous) = tokio::try_join!(
            reports::build(&pool, &account, period, period.to),
            reports::build(&pool, &account, period.previous(), period.to)
        )?;
        timed(
            format!(
                "with the previous period ({} replies)",
                previous.team.replies
            ),
            started,
            &current,
        );
        let started = Instant::now();
        let report = reports::build(&pool, &account, period, period.to).await?;
        let rows: Vec<_> = report.agents.iter().chain([&report.team]).collect();
        let csv = reports::to_csv(&rows).expect("csv");
        timed(format!("as CSV ({} bytes)", csv.len()), started, &report);
        wallboard_under_ingest(&pool, &url, account_id).await?;
        pool.close().await;
        anyhow::Ok(())
    }
    .await;
    if std::env::var("BENCH_KEEP").is_ok() {
        eprintln!("kept database {name} (BENCH_DB={name} reuses it)");
    } else {
        admin
            .execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str())
            .await?;
    }
    result
}
