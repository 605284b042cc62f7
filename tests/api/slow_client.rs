//! A client that stops reading is cut off: its queue is bounded in bytes, each socket write
//! has a deadline, and the connection itself (TCP included) is closed, so it holds no memory.

use crate::helpers::spawn_app;
use serde_json::json;
use std::time::Duration;

/// Gives the agent `n` assigned tickets whose guests have long names, so that every snapshot
/// of their inbox is several hundred kilobytes.
async fn big_inbox(pool: &sqlx::PgPool, agent_id: &str, n: i32) {
    let agent_id: i64 = agent_id.parse().unwrap();
    sqlx::query(
        "WITH a AS (SELECT account_id FROM users WHERE id = $1), \
         g AS (INSERT INTO guests (account_id, channel, external_id, name) \
               SELECT a.account_id, 'airbnb', 'g' || i, repeat('x', 200) FROM a, generate_series(1, $2) i \
               RETURNING id, account_id, external_id), \
         t AS (INSERT INTO threads (account_id, channel, external_id, guest_id) \
               SELECT account_id, 'airbnb', 't' || external_id, id FROM g RETURNING id, account_id, guest_id) \
         INSERT INTO tickets (account_id, thread_id, state, stage, channel, guest_id, assignee_id, assigned_at, awaiting_reply_since) \
         SELECT account_id, id, 'assigned', 'pre_booking', 'airbnb', guest_id, $1, now(), now() FROM t",
    )
    .bind(agent_id)
    .bind(n)
    .execute(pool)
    .await
    .unwrap();
}

#[actix_web::test]
async fn a_client_that_stops_reading_is_cut_off_and_its_connection_closed() {
    let app = spawn_app().await;
    let agent = app.agent("sloth", json!({})).await;
    big_inbox(&app.pool, &agent.user_id, 1500).await;
    let mut ws = app.ws_small_buffer(&agent).await;
    // Each resume from an unknown seq queues a whole snapshot; the client reads none of them.
    const ASKED: usize = 8;
    for _ in 0..ASKED {
        ws.send(json!({"type": "resume", "last_seq": 1_000_000}))
            .await;
    }
    // Longer than the server's write deadline.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let ended = ws.read_until_closed(Duration::from_secs(5)).await;
    let snapshots = ws.seen.iter().filter(|f| f["type"] == "snapshot").count();
    assert!(
        ended,
        "the server closed the connection ({snapshots} snapshots read)"
    );
    assert!(
        snapshots < ASKED + 1,
        "the queued snapshots were dropped, not all delivered ({snapshots})"
    );
}
