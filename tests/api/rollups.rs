//! Daily rollups agree with the raw rows: generated months of events, replies (pre-booking
//! ones on converting inquiries too) and work time around DST changes, in timezones with odd
//! offsets, reported over random periods (whole days, partial days, a few hours) from the raw
//! rows alone and again once rolled up.

use crate::helpers::TestDatabase;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sqlx::PgPool;
use switchboard::app::{reports, rollups};
use switchboard::domain::metrics::period::Period;
use switchboard::startup::MIGRATOR;
use switchboard::store::accounts::Account;

/// The generated data lies in [START, START + DAYS days): March and April 2026, when New York
/// (8 March), Lisbon (29 March) and Lord Howe (5 April, half an hour) change their clocks.
const DAYS: i64 = 50;
const ZONES: [&str; 5] = [
    "America/New_York",
    "Europe/Lisbon",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "UTC",
];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn at(rng: &mut StdRng) -> DateTime<Utc> {
    start() + Duration::seconds(rng.gen_range(0..DAYS * 86_400))
}

/// An account with three agents and a generated stretch of their work.
async fn generated_account(pool: &PgPool, rng: &mut StdRng, case: u64) -> Account {
    let zone = ZONES[rng.gen_range(0..ZONES.len())];
    let account_id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (slug, name, timezone, response_sla_seconds) VALUES ($1, 'Gen', $2, $3) RETURNING id",
    )
    .bind(format!("gen{case}"))
    .bind(zone)
    .bind(rng.gen_range(60..600))
    .fetch_one(pool)
    .await
    .unwrap();
    let agents: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO users (account_id, email, name, role, password_hash) \
         SELECT $1, 'a' || g || '@gen.test', 'Agent ' || g, 'agent', 'x' FROM generate_series(1, 3) g RETURNING id",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await
    .unwrap();
    let tickets = 120;
    let ticket_ids: Vec<i64> = sqlx::query_scalar(
        "WITH g AS (INSERT INTO guests (account_id, channel, external_id, name) \
           SELECT $1, 'airbnb', 'g' || n, 'Guest' FROM generate_series(1, $2) n RETURNING id), \
         t AS (INSERT INTO threads (account_id, channel, external_id, guest_id) \
           SELECT $1, 'airbnb', 't' || id, id FROM g RETURNING id, guest_id) \
         INSERT INTO tickets (account_id, thread_id, state, stage, channel, guest_id, created_at) \
           SELECT $1, id, 'queued', 'booked', 'airbnb', guest_id, $3 FROM t RETURNING id",
    )
    .bind(account_id)
    .bind(tickets)
    .bind(start())
    .fetch_all(pool)
    .await
    .unwrap();
    // A third of the tickets are inquiries whose reservation was confirmed ten days later, so
    // conversion (converted ÷ distinct pre-booking tickets replied to) is not zero.
    sqlx::query(
        "WITH l AS (INSERT INTO listings (account_id, external_id, name) VALUES ($1, 'l1', 'Loft') RETURNING id), \
         r AS (INSERT INTO reservations (account_id, channel, external_id, listing_id, status, total_price_cents, confirmed_at) \
           SELECT $1, 'airbnb', 'r' || t, l.id, 'confirmed', 10000 + t, $3 FROM unnest($2::bigint[]) t, l RETURNING id, external_id) \
         UPDATE tickets SET stage = 'pre_booking', reservation_id = r.id FROM r WHERE r.external_id = 'r' || tickets.id",
    )
    .bind(account_id)
    .bind(ticket_ids.iter().step_by(3).copied().collect::<Vec<i64>>())
    .bind(start() + Duration::days(10))
    .execute(pool)
    .await
    .unwrap();
    let pick = |rng: &mut StdRng, v: &[i64]| v[rng.gen_range(0..v.len())];
    for _ in 0..rng.gen_range(50..250) {
        let (kind, reason) = match rng.gen_range(0..4) {
            0 => (
                "ticket.unassigned",
                ["rebalanced", "manager", "agent_left"][rng.gen_range(0..3)],
            ),
            1 => ("ticket.done", "done"),
            _ => ("ticket.assigned", "new"),
        };
        sqlx::query("INSERT INTO events (account_id, kind, ticket_id, agent_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(account_id)
            .bind(kind)
            .bind(pick(rng, &ticket_ids))
            .bind(pick(rng, &agents))
            .bind(reason)
            .bind(at(rng))
            .execute(pool)
            .await
            .unwrap();
    }
    for _ in 0..rng.gen_range(50..300) {
        let response: Option<f64> = rng.gen_bool(0.8).then(|| rng.gen_range(0.0..5000.0));
        let first: Option<f64> = rng.gen_bool(0.3).then(|| rng.gen_range(0.0..9000.0));
        // Half the replies are pre-booking (the same ticket answered on several days too).
        let stage = [
            "pre_booking",
            "pre_booking",
            "booked",
            "staying",
            "post_stay",
            "pre_booking",
        ][rng.gen_range(0..6)];
        sqlx::query(
            "INSERT INTO messages (account_id, thread_id, ticket_id, channel, direction, author_id, body, sent_at, \
               response_seconds, first_response_seconds, stage) \
             SELECT $1, thread_id, id, 'airbnb', 'outbound', $3, 'Hi', $4, $5, $6, $7 FROM tickets WHERE id = $2",
        )
        .bind(account_id)
        .bind(pick(rng, &ticket_ids))
        .bind(pick(rng, &agents))
        .bind(at(rng))
        .bind(response)
        .bind(first)
        .bind(stage)
        .execute(pool)
        .await
        .unwrap();
    }
    for agent in &agents {
        for table in ["work_intervals", "intake_pauses"] {
            let mut t = start() + Duration::minutes(rng.gen_range(0..3000));
            while t < start() + Duration::days(DAYS) {
                let end = t + Duration::minutes(rng.gen_range(10..3000));
                sqlx::query(&format!("INSERT INTO {table} (account_id, user_id, started_at, ended_at) VALUES ($1, $2, $3, $4)"))
                    .bind(account_id)
                    .bind(agent)
                    .bind(t)
                    .bind(end)
                    .execute(pool)
                    .await
                    .unwrap();
                t = end + Duration::minutes(rng.gen_range(1..3000));
            }
        }
    }
    switchboard::store::accounts::get(pool, switchboard::domain::ids::AccountId(account_id))
        .await
        .unwrap()
        .unwrap()
}

/// A random period inside the generated stretch: local dates, or times on odd minutes.
fn period(rng: &mut StdRng, account: &Account) -> Period {
    let tz = account.settings.timezone;
    let now = start() + Duration::days(DAYS + 30);
    if rng.gen_bool(0.5) {
        let from =
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + Duration::days(rng.gen_range(0..DAYS));
        let to = from + Duration::days(rng.gen_range(1..DAYS));
        let (f, t) = (from.to_string(), to.to_string());
        Period::parse(Some(&f), Some(&t), tz, now).unwrap()
    } else {
        let from = at(rng);
        let to = from + Duration::minutes(rng.gen_range(1..DAYS * 1440));
        Period { from, to }
    }
}

/// A report as JSON values, so rows compare field by field.
async fn report(pool: &PgPool, account: &Account, period: Period) -> Vec<Value> {
    let now = start() + Duration::days(DAYS + 30);
    let r = reports::build(pool, account, period, now).await.unwrap();
    r.agents
        .iter()
        .chain([&r.team])
        .map(|row| serde_json::to_value(row).unwrap())
        .collect()
}

/// Equal, but averages (sums added in another order, then rounded to a tenth) may differ by
/// the rounding step.
fn agree(raw: &Value, rolled: &Value, context: &str) {
    let (raw, rolled) = (raw.as_object().unwrap(), rolled.as_object().unwrap());
    for (key, a) in raw {
        let b = &rolled[key];
        match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) if key.starts_with("avg_") || key.starts_with("first_") => {
                assert!((x - y).abs() <= 0.1 + 1e-9, "{context}: {key} {x} vs {y}")
            }
            _ => assert_eq!(a, b, "{context}: {key}"),
        }
    }
}

#[actix_web::test]
async fn rollups_and_raw_rows_give_the_same_report_on_generated_months() {
    let db = TestDatabase::create().await;
    let pool = PgPool::connect(&db.url).await.unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    let mut converting_rows = 0;
    for case in 0..8u64 {
        let mut rng = StdRng::seed_from_u64(case);
        let account = generated_account(&pool, &mut rng, case).await;
        let periods: Vec<Period> = (0..6).map(|_| period(&mut rng, &account)).collect();
        let mut raw = Vec::new();
        for p in &periods {
            raw.push(report(&pool, &account, *p).await);
        }
        // Roll up all but the last few days, so reports mix rolled days and raw days.
        let now = start() + Duration::days(DAYS - rng.gen_range(0..5));
        let days = rollups::rebuild(&pool, &account, None, now).await.unwrap();
        assert!(days > 40, "case {case}: only {days} days rolled up");
        for (p, raw) in periods.iter().zip(&raw) {
            let rolled = report(&pool, &account, *p).await;
            assert_eq!(raw.len(), rolled.len());
            for (a, b) in raw.iter().zip(&rolled) {
                let context = format!("case {case} ({}), {p:?}", account.settings.timezone);
                agree(a, b, &context);
                converting_rows += usize::from(a["conversion_percent"].as_f64() > Some(0.0));
            }
        }
    }
    assert!(
        converting_rows > 0,
        "the generated months convert somewhere"
    );
}

/// Runs `switchboard rollups rebuild` with `args`; answers its exit success and printed JSON.
async fn rebuild_command(db: &TestDatabase, args: &[&str]) -> (bool, Value) {
    let out = crate::helpers::process::switchboard(db)
        .args(["rollups", "rebuild"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .output()
        .await
        .unwrap();
    let printed = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), printed)
}

#[actix_web::test]
async fn the_rebuild_command_recounts_an_account_from_a_day_on() {
    let db = TestDatabase::create().await;
    let pool = PgPool::connect(&db.url).await.unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    let account = generated_account(&pool, &mut StdRng::seed_from_u64(7), 100).await;
    let rows = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM agent_day_rollups WHERE account_id = $1 AND day < '2026-04-01'",
        )
        .bind(account.id)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let (ok, all) = rebuild_command(&db, &["--account", "gen100"]).await;
    assert!(ok, "{all}");
    let all_days = all["days"].as_i64().unwrap();
    assert!(
        all_days > DAYS,
        "every settled day since the first fact: {all}"
    );
    let before_april = rows().await;
    assert!(before_april > 0);
    let (ok, from_april) =
        rebuild_command(&db, &["--account", "gen100", "--from", "2026-04-01"]).await;
    assert!(ok, "{from_april}");
    let april_on = from_april["days"].as_i64().unwrap();
    assert!(
        april_on < all_days && april_on > 0,
        "{all} then {from_april}"
    );
    assert_eq!(rows().await, before_april, "days before --from are kept");
    let (ok, _) = rebuild_command(&db, &["--account", "nobody"]).await;
    assert!(!ok, "an unknown account is an error");
}
