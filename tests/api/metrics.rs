//! `GET /api/v1/metrics`: the node's figures in Prometheus text, moved by real traffic, with
//! route patterns (never raw ids) as labels, and readable only with the token when one is set.

use crate::helpers::{assert_error, inquiry, spawn_app, spawn_app_with, Options, Session, TestApp};
use serde_json::json;
use std::time::Duration;

/// The scraped text, asserting a 200 in the Prometheus text format.
async fn scrape(app: &TestApp, reader: &Session) -> String {
    let res = app.metrics(reader).await;
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    res.text().await.unwrap()
}

/// The value of one series (`name{labels}` exactly as written), if the text has it.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        rest.trim().parse().ok()
    })
}

fn assert_series(text: &str, series: &str, expected: f64) {
    assert_eq!(value(text, series), Some(expected), "{series} in:\n{text}");
}

#[actix_web::test]
async fn ingest_dispatch_sockets_and_requests_are_counted() {
    let app = spawn_app().await;
    let mut agent = app.working_agent("mia", json!({})).await;
    let message = inquiry("ana", "m-1");
    let ticket = app.ingest(&message).await.ticket_id;
    agent.ws.expect("ticket.assigned").await;
    let repeat = app.ingest_message(&app.account.api_key, &message).await;
    assert_eq!(repeat.status(), 200);
    let no_key = app.ingest_message_without_key(&inquiry("rui", "m-2")).await;
    assert_eq!(no_key.status(), 401);
    let malformed = app
        .ingest_message(&app.account.api_key, &json!({"channel": "airbnb"}))
        .await;
    assert_eq!(malformed.status(), 400);
    let manager = app.manager().await;
    app.ticket(&manager, &ticket).ok().await;
    assert_eq!(app.get_unknown_path("/nope/42").await.status(), 404);

    let text = scrape(&app, &Session::anonymous()).await;

    assert_series(
        &text,
        r#"switchboard_ingest_messages_total{outcome="accepted"}"#,
        1.0,
    );
    assert_series(
        &text,
        r#"switchboard_ingest_messages_total{outcome="repeated"}"#,
        1.0,
    );
    assert_series(
        &text,
        r#"switchboard_ingest_messages_total{outcome="refused"}"#,
        2.0,
    );
    assert_series(
        &text,
        r#"switchboard_dispatch_decisions_total{decision="assigned",reason="new"}"#,
        1.0,
    );
    assert_series(&text, "switchboard_ws_connections", 1.0);
    // hello, snapshot and ticket.assigned at least.
    assert!(value(&text, "switchboard_ws_frames_sent_total").unwrap() >= 3.0);
    let ingest = r#"method="POST",route="/api/v1/ingest/messages""#;
    assert_series(
        &text,
        &format!("switchboard_http_requests_total{{{ingest},status=\"202\"}}"),
        1.0,
    );
    assert_series(
        &text,
        &format!("switchboard_http_requests_total{{{ingest},status=\"401\"}}"),
        1.0,
    );
    assert_series(
        &text,
        &format!("switchboard_http_request_duration_seconds_count{{{ingest}}}"),
        4.0,
    );
    assert_series(
        &text,
        r#"switchboard_http_requests_total{method="GET",route="/api/v1/tickets/{id}",status="200"}"#,
        1.0,
    );
    assert_series(
        &text,
        r#"switchboard_http_requests_total{method="GET",route="unmatched",status="404"}"#,
        1.0,
    );
    assert!(
        !text.contains(&format!("/tickets/{ticket}\"")) && !text.contains("/nope"),
        "a raw path became a label:\n{text}"
    );
    assert_series(&text, "switchboard_queue_depth", 0.0);
    assert_series(&text, "switchboard_postgres_up", 1.0);
    assert_series(&text, r#"switchboard_presence_up{store="memory"}"#, 1.0);
    assert_series(&text, "switchboard_db_pool_max_connections", 10.0);
    // The ingest writer holds its connection from the writers' pool, and the dispatcher
    // committed on one of its own pools: all are the node's connections, counted here.
    let open = value(&text, r#"switchboard_db_pool_connections{state="in_use"}"#).unwrap()
        + value(&text, r#"switchboard_db_pool_connections{state="idle"}"#).unwrap();
    let in_database: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // One connection of slack: a task may open one between the scrape and this count.
    assert!(
        open >= (in_database - 1) as f64,
        "the metric counted {open} connections, the database saw {in_database}"
    );
}

#[actix_web::test]
async fn queued_tickets_and_redis_presence_are_read_at_scrape_time() {
    let app = spawn_app_with(Options {
        redis: true,
        ..Options::default()
    })
    .await;
    app.ingest(&inquiry("ana", "m-1")).await;
    app.ingest(&inquiry("rui", "m-2")).await;

    let text = scrape(&app, &Session::anonymous()).await;

    assert_series(&text, "switchboard_queue_depth", 2.0);
    assert!(value(&text, "switchboard_queue_oldest_age_seconds").unwrap() > 0.0);
    assert_series(&text, r#"switchboard_presence_up{store="redis"}"#, 1.0);
}

#[actix_web::test]
async fn dropped_client_frames_and_closed_sockets_are_counted() {
    let app = spawn_app().await;
    let mut agent = app.connected_agent("flooder", json!({})).await;
    for _ in 0..100 {
        agent.ws.send(json!({"type": "ping"})).await;
    }
    assert_eq!(agent.ws.expect("error").await["code"], "rate_limited");
    while agent.ws.next(Duration::from_millis(300)).await.is_some() {}
    let handled = agent.ws.seen.iter().filter(|f| f["type"] == "pong").count();
    app.logout(&agent).ok().await;
    assert_eq!(agent.ws.closed().await, Some(4001));

    let text = scrape(&app, &Session::anonymous()).await;

    assert_series(
        &text,
        "switchboard_ws_client_frames_dropped_total",
        (100 - handled) as f64,
    );
    assert_series(
        &text,
        r#"switchboard_ws_disconnects_total{reason="revoked"}"#,
        1.0,
    );
}

#[actix_web::test]
async fn a_configured_token_is_required_to_read_metrics() {
    let app = spawn_app_with(Options {
        metrics_token: Some("scrape-secret".into()),
        ..Options::default()
    })
    .await;
    let res = app.metrics(&Session::anonymous()).await;
    assert_eq!(assert_error(res, 401).await, "unauthorized");
    let res = app.metrics(&Session::bearer("guess")).await;
    assert_eq!(assert_error(res, 401).await, "unauthorized");
    let manager = app.manager().await;
    let res = app.metrics(&manager).await;
    assert_eq!(assert_error(res, 401).await, "unauthorized");
    let text = scrape(&app, &Session::bearer("scrape-secret")).await;
    assert!(text.contains("switchboard_http_requests_total"));
}

/// With Redis (so frames are relayed to other nodes), a dispatcher computes the wallboard
/// only while a manager of the account is online somewhere, not for nobody.
#[actix_web::test]
async fn the_wallboard_is_computed_only_while_a_manager_is_online() {
    let app = spawn_app_with(Options {
        redis: true,
        ..Default::default()
    })
    .await;
    let mut agent = app.working_agent("mia", json!({})).await;
    app.ingest(&inquiry("ana", "m-1")).await;
    agent.ws.expect("ticket.assigned").await;
    app.ingest(&inquiry("rui", "m-2")).await;
    agent.ws.expect("ticket.assigned").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let computed = "switchboard_wallboards_computed_total";
    assert_series(&scrape(&app, &Session::anonymous()).await, computed, 0.0);

    let mut manager = app.ws(&app.manager().await).await;
    manager.expect("snapshot").await;
    app.ingest(&inquiry("eva", "m-3")).await;
    manager.expect("wallboard").await;
    let text = scrape(&app, &Session::anonymous()).await;
    assert!(value(&text, computed).unwrap_or(0.0) >= 1.0, "{text}");
}
