//! The live wallboard: `GET /wallboard` and coalesced `wallboard` frames on managers' sockets.

use crate::helpers::{assert_error, inquiry, spawn_app, WsClient};
use serde_json::{json, Value};
use std::time::Duration;

/// Waits up to `within` for a wallboard frame satisfying `check`.
async fn frame_where(ws: &mut WsClient, within: Duration, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next(left).await {
            Some(f) if f["type"] == "wallboard" && check(&f["wallboard"]) => {
                return f["wallboard"].clone()
            }
            Some(_) => continue,
            None => panic!(
                "no matching wallboard frame within {within:?}; saw {:#?}",
                ws.seen
                    .iter()
                    .filter(|f| f["type"] == "wallboard")
                    .collect::<Vec<_>>()
            ),
        }
    }
}

#[actix_web::test]
async fn frames_reflect_a_queued_ticket_and_a_pausing_agent_within_a_second() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut wall = app.ws(&manager).await;
    wall.expect("snapshot").await;
    let agent = app
        .working_agent("Pia", json!({"stages": ["booked"]}))
        .await;
    let agent_id = agent.user_id.clone();
    frame_where(&mut wall, Duration::from_secs(2), |w| {
        w["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == agent_id.as_str() && a["state"] == "working")
    })
    .await;

    app.ingest(&inquiry("waiting", "m1")).await;
    let board = frame_where(&mut wall, Duration::from_secs(1), |w| w["queued"] == 1).await;
    assert_eq!(board["unanswered"], 1);
    assert!(board["oldest_queued_seconds"].as_i64().unwrap() >= 0);

    app.pause_intake(&agent).ok().await;
    let board = frame_where(&mut wall, Duration::from_secs(1), |w| {
        w["agents_by_state"]["paused"] == 1
    })
    .await;
    let tile = board["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == agent_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(tile["state"], "paused");
    assert!(tile["working_since"].is_string());
}

#[actix_web::test]
async fn get_wallboard_has_the_live_figures_and_is_for_managers() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    assert_eq!(
        app.patch_account(&manager, &json!({"response_sla_seconds": 60}))
            .await
            .status(),
        200
    );
    let mut old = inquiry("slow", "m1");
    old["sent_at"] = json!((chrono::Utc::now() - chrono::Duration::seconds(300)).to_rfc3339());
    app.ingest(&old).await;
    let board = app.wallboard(&manager).ok().await;
    assert_eq!(board["queued"], 1);
    assert!(board["longest_unanswered_seconds"].as_i64().unwrap() >= 299);
    assert_eq!(board["breaching_sla"].as_array().unwrap().len(), 1);
    assert_eq!(board["today"]["replies"], 0);
    let agent = app.agent("Peek", json!({})).await;
    assert_eq!(
        assert_error(app.wallboard(&agent).await, 403).await,
        "forbidden"
    );
}

#[actix_web::test]
async fn the_live_service_level_counts_guests_waiting_past_the_sla_against_it() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    app.patch_account(&manager, &json!({"response_sla_seconds": 60}))
        .ok()
        .await;
    let mut ana = app.working_agent("Ana", json!({})).await;
    let quick = app.ingest(&inquiry("quick", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    app.reply(&ana, &quick, "Yes, it is free").ok().await;
    for n in 0..3 {
        let mut old = inquiry(&format!("slow{n}"), &format!("s{n}"));
        old["sent_at"] = json!((chrono::Utc::now() - chrono::Duration::seconds(300)).to_rfc3339());
        app.ingest(&old).await;
    }

    let today = &app.wallboard(&manager).ok().await["today"];
    assert_eq!(today["sla_percent"], 100.0, "the one reply was quick");
    assert_eq!(today["waiting_past_sla"], 3);
    assert_eq!(today["service_level_percent"], 25.0);
}
