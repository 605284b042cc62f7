//! SPEC §6 end to end: snapshot, resume, several tabs, restart recovery, presence with and
//! without Redis.

use crate::helpers::{spawn_app, spawn_app_with, Options};
use crate::realtime::{inquiry, Agent};
use crate::ws_client::WsClient;
use serde_json::json;

#[actix_web::test]
async fn every_tab_gets_every_event() {
    let app = spawn_app().await;
    let mut agent = Agent::working(&app, "tabs", json!({})).await;
    let mut other_tab = agent.second_tab().await;
    let created = app.ingest(&inquiry("g1", "m1")).await["ticket_id"].clone();
    assert_eq!(
        agent.ws.expect("ticket.assigned").await["ticket"]["id"],
        created
    );
    assert_eq!(
        other_tab.expect("ticket.assigned").await["ticket"]["id"],
        created
    );
}

#[actix_web::test]
async fn a_reconnecting_client_gets_what_it_missed_or_a_snapshot() {
    let app = spawn_app().await;
    let mut agent = Agent::working(&app, "flap", json!({})).await;
    let first = app.ingest(&inquiry("g1", "m1")).await["ticket_id"].clone();
    agent.ws.expect("ticket.assigned").await;
    let last_seq = agent.ws.last_seq;
    // Keep the agent present through a second tab while the first one drops.
    let _keep = agent.second_tab().await;
    let Agent { ws, session, .. } = agent;
    ws.close().await;

    let second = app.ingest(&inquiry("g2", "m2")).await["ticket_id"].clone();
    let mut back = WsClient::connect(app.port, &session.token, Some(last_seq)).await;
    back.expect("hello").await;
    let missed = back.expect("ticket.assigned").await;
    assert_eq!(missed["ticket"]["id"], second);
    // Everything after the client's last seq was replayed, in order, with no snapshot.
    let replayed: Vec<u64> = back
        .seen
        .iter()
        .filter(|f| f["type"] != "hello")
        .filter_map(|f| f["seq"].as_u64())
        .filter(|s| *s > last_seq)
        .collect();
    let expected: Vec<u64> = (last_seq + 1..=missed["seq"].as_u64().unwrap()).collect();
    assert_eq!(replayed, expected);
    assert!(back.seen.iter().all(|f| f["type"] != "snapshot"));

    // The same works over `resume` on an open connection.
    back.resume(last_seq).await;
    let again = back.expect("ticket.assigned").await;
    assert_eq!(again["ticket"]["id"], second);

    // A seq the server never issued gets a full snapshot from the database.
    let mut fresh = WsClient::connect(app.port, &session.token, Some(last_seq + 1000)).await;
    fresh.expect("hello").await;
    let snapshot = fresh.expect("snapshot").await;
    let ids: Vec<_> = snapshot["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert!(ids.contains(&first) && ids.contains(&second), "{snapshot}");
    assert_eq!(snapshot["state"]["working"], true);
}

#[actix_web::test]
async fn ping_gets_pong_and_junk_gets_an_error_frame() {
    let app = spawn_app().await;
    let mut agent = Agent::connected(&app, "pinger", json!({})).await;
    agent.ws.send(json!({"type": "ping"})).await;
    agent.ws.expect("pong").await;
    agent.ws.send(json!({"type": "dance"})).await;
    assert_eq!(agent.ws.expect("error").await["code"], "invalid_frame");
}

#[actix_web::test]
async fn managers_see_agent_state_changes() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut wall = WsClient::connect(app.port, &manager.token, None).await;
    wall.expect("snapshot").await;
    let mut agent = Agent::connected(&app, "watched", json!({})).await;
    agent.post("/me/timer/start").await;
    loop {
        let frame = wall.expect("agent.state").await;
        if frame["agent_id"] == agent.id() && frame["state"]["working"] == true {
            break;
        }
    }
}

#[actix_web::test]
async fn the_same_rules_hold_with_redis_presence() {
    let app = spawn_app_with(Options {
        redis: true,
        ..Default::default()
    })
    .await;
    let mut agents = Vec::new();
    for name in ["r1", "r2"] {
        agents.push(Agent::working(&app, name, json!({})).await);
    }
    for n in 0..4 {
        app.ingest(&inquiry(&format!("g{n}"), &format!("m{n}")))
            .await;
    }
    for agent in agents.iter_mut() {
        agent.ws.expect("ticket.assigned").await;
        agent.ws.expect("ticket.assigned").await;
    }
    let ready: serde_json::Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["presence"], "redis");
    assert_eq!(ready["redis"], true);
}

#[actix_web::test]
async fn a_restarted_server_continues_where_the_database_says() {
    let app = spawn_app().await;
    let mut agent = Agent::working(&app, "survivor", json!({})).await;
    let assigned = app.ingest(&inquiry("g1", "m1")).await["ticket_id"].clone();
    agent.ws.expect("ticket.assigned").await;
    agent.post("/me/intake/pause").await;
    let queued = app.ingest(&inquiry("g2", "m2")).await["ticket_id"].clone();

    // A second server on the same database, as after a crash and restart.
    let restarted = app.restart().await;
    let mut again = WsClient::connect(restarted.port, &agent.session.token, None).await;
    let snapshot = again.expect("snapshot").await;
    assert_eq!(snapshot["tickets"][0]["id"], assigned);
    assert_eq!(snapshot["state"]["intake_paused"], true);
    let client = reqwest::Client::new();
    let res = client
        .post(format!(
            "http://127.0.0.1:{}/api/v1/me/intake/resume",
            restarted.port
        ))
        .bearer_auth(&agent.session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        again.expect("ticket.assigned").await["ticket"]["id"],
        queued
    );
}
