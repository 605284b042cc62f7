//! A month's agent report over one million tickets (SPEC §7: under one second; issue 16: under
//! 200 ms), and a year's team report over twelve million.
//!
//! Seeds a throwaway database (`TEST_DATABASE_URL`'s server) with one account, 200 agents and
//! `BENCH_DAYS` days (default 31, from 2026-05-01) of traffic — `BENCH_TICKETS` tickets
//! (default 1,000,000), each with a guest message, a reply and its events, plus daily work
//! intervals — then times the report over those days from the raw rows alone, the rollup
//! rebuild, the report again from the rollups, the same with the previous period for
//! comparison, and the CSV export, and drops the database. Run with `cargo bench --bench
//! reports` (`BENCH_TICKETS=12000000 BENCH_DAYS=365` for the year).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use chrono::{Duration, TimeZone, Utc};
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

async fn seed(pool: &PgPool, tickets: i64, days: i64) -> anyhow::Result<i64> {
    let account_id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (slug, name) VALUES ('bench', 'Bench') RETURNING id",
    )
    .fetch_one(pool)
    .await?;
    let statements = [
        "INSERT INTO users (account_id, email, name, role, password_hash) \
         SELECT $1, 'agent' || g || '@bench.test', 'Agent ' || g, 'agent', 'x' FROM generate_series(1, $3) g",
        "INSERT INTO guests (account_id, channel, external_id, name) SELECT $1, 'airbnb', 'g' || g, 'Guest ' || g FROM generate_series(1, $2) g",
        "INSERT INTO threads (account_id, channel, external_id, guest_id) SELECT $1, 'airbnb', 't' || g.id, g.id FROM guests g WHERE g.account_id = $1",
        // Tickets spread evenly over the days from May 2026, each answered and closed by one agent.
        "INSERT INTO tickets (account_id, thread_id, state, stage, channel, guest_id, assignee_id, created_at, assigned_at, opened_at, first_response_at, closed_at) \
         SELECT $1, t.id, 'done', CASE WHEN t.id % 3 = 0 THEN 'pre_booking' ELSE 'booked' END, 'airbnb', t.guest_id, u.id, \
                ts, ts, ts + interval '1 minute', ts + interval '2 minutes', ts + interval '5 minutes' \
         FROM (SELECT id, guest_id, row_number() OVER (ORDER BY id) AS n FROM threads WHERE account_id = $1) t \
         CROSS JOIN LATERAL (SELECT timestamptz '2026-05-01' + (t.n * interval '$4 days' / $2) AS ts) x \
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users WHERE account_id = $1 AND role = 'agent') u ON u.k = t.n % $3",
        "INSERT INTO messages (account_id, thread_id, ticket_id, channel, external_id, direction, body, sent_at) \
         SELECT $1, thread_id, id, 'airbnb', 'm' || id, 'inbound', 'Hello', created_at FROM tickets WHERE account_id = $1",
        "INSERT INTO messages (account_id, thread_id, ticket_id, channel, direction, author_id, body, sent_at, response_seconds, first_response_seconds, stage) \
         SELECT $1, thread_id, id, 'airbnb', 'outbound', assignee_id, 'Hi', first_response_at, 60 + (id % 600), 120, stage FROM tickets WHERE account_id = $1",
        "ALTER TABLE events DISABLE TRIGGER events_append_only",
        "INSERT INTO events (account_id, kind, ticket_id, agent_id, reason, at) SELECT $1, 'ticket.assigned', id, assignee_id, 'new', assigned_at FROM tickets WHERE account_id = $1",
        "INSERT INTO events (account_id, kind, ticket_id, agent_id, at) SELECT $1, 'ticket.done', id, assignee_id, closed_at FROM tickets WHERE account_id = $1",
        "INSERT INTO work_intervals (account_id, user_id, started_at, ended_at) \
         SELECT $1, u.id, d + interval '9 hours', d + interval '17 hours' FROM users u \
         CROSS JOIN generate_series(timestamptz '2026-05-01', timestamptz '2026-05-01' + interval '$4 days' - interval '1 day', interval '1 day') d WHERE u.account_id = $1",
        "VACUUM ANALYZE",
    ];
    for sql in statements {
        let started = Instant::now();
        // The sizes are constants of this benchmark, written into the SQL; the account is bound.
        let sql_text = sql
            .replace("$2", &tickets.to_string())
            .replace("$3", &AGENTS.to_string())
            .replace("$4", &days.to_string());
        let q = sqlx::query(&sql_text);
        let q = if sql.contains("$1") {
            q.bind(account_id)
        } else {
            q
        };
        q.execute(pool).await?;
        eprintln!(
            "  seeded in {:>6.1} s: {}",
            started.elapsed().as_secs_f64(),
            &sql[..sql.len().min(60)]
        );
    }
    Ok(account_id)
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
                seed(&pool, tickets, days).await?
            }
        };
        let account = switchboard::store::accounts::get(&pool, AccountId(account_id))
            .await?
            .expect("the bench account");
        let from = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
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
