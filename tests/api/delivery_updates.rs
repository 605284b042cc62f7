//! A reply's delivery status changes several times within a second of its sending (sent,
//! delivered, read). Those updates touch no indexed column, so PostgreSQL makes them in place
//! (heap-only tuples) instead of adding an entry to every index of `messages` for each.

use crate::helpers::{spawn_app, TestApp};
use serde_json::json;
use sqlx::PgConnection;
use std::time::Duration;

/// The planner settings the generic-plan and probing transactions change, in name order
/// (`enable_hashjoin`, `enable_mergejoin`, `enable_seqscan`, `plan_cache_mode`).
async fn planning(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT setting FROM pg_settings WHERE name IN \
           ('plan_cache_mode', 'enable_hashjoin', 'enable_mergejoin', 'enable_seqscan') ORDER BY name",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// The planner settings of the pool's connections, read on one of them.
async fn pool_planning(app: &TestApp) -> Vec<String> {
    let mut conn = app.pool.acquire().await.unwrap();
    planning(&mut conn).await
}

/// Every connection of the pool (the one a transaction used among them) plans with `before`.
async fn every_connection_plans_with(app: &TestApp, before: &[String]) {
    let mut held = Vec::new();
    for _ in 0..app.pool.size() {
        let mut conn = app.pool.acquire().await.unwrap();
        assert_eq!(planning(&mut conn).await, before);
        held.push(conn);
    }
}

#[actix_web::test]
async fn a_replys_delivery_status_is_updated_in_place() {
    let app = spawn_app().await;
    let (_bridge, agent) = app.bridge_and_agent().await;
    let reply = app
        .guest_answered(&agent, "zoe", "m-1", "Yes, the loft is free!")
        .await;
    app.delivery_reaches(&reply, "sent").await;
    let key = app.account.api_key.clone();
    let body = json!({"message_id": reply.message_id, "status": "delivered"});
    app.report_delivery(&key, &body).ok().await;

    // The server's connections report their counts once idle (within PostgreSQL's 10 s).
    let mut counts = (0, 0);
    for _ in 0..300 {
        counts = sqlx::query_as::<_, (i64, i64)>(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'messages'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if counts.0 >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (updates, in_place) = counts;
    assert!(
        updates >= 2,
        "the sent and delivered updates were counted: {updates}"
    );
    assert_eq!(
        in_place, updates,
        "{updates} updates of the reply's delivery status, {in_place} of them in place"
    );
}

#[actix_web::test]
async fn a_pool_with_a_session_plans_by_it_and_leaves_the_nodes_pool_as_it_was() {
    let app = spawn_app().await;
    let before = pool_planning(&app).await;

    let probing = switchboard::store::pool_with_session(
        &app.pool,
        switchboard::store::UNFLUSHED_PROBING_SESSION,
    );
    for _ in 0..2 {
        let mut conn = probing.acquire().await.unwrap();
        assert_eq!(
            planning(&mut conn).await,
            ["off", "off", "off", "force_generic_plan"]
        );
        let commits: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(commits, "off");
    }

    every_connection_plans_with(&app, &before).await;
}

#[actix_web::test]
async fn a_probing_transaction_walks_indexes_and_leaves_the_connection_as_it_was() {
    let app = spawn_app().await;
    let before = pool_planning(&app).await;
    assert_eq!(before, ["on", "on", "on", "auto"]);

    let mut tx = switchboard::store::begin_probing(&app.pool).await.unwrap();
    assert_eq!(
        planning(&mut tx).await,
        ["off", "off", "off", "force_generic_plan"]
    );
    // An array joined to a table: one probe of the key per element, whatever the sizes.
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT t.id FROM unnest($1::bigint[]) AS k(id) JOIN tickets t ON t.id = k.id",
    )
    .bind(vec![1_i64, 2, 3])
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(
        plan.contains("Nested Loop") && plan.contains("tickets_pkey"),
        "{plan}"
    );
    tx.commit().await.unwrap();

    every_connection_plans_with(&app, &before).await;
}
