//! SPEC §6 end to end: snapshot, resume, several tabs, restart recovery, presence with and
//! without Redis.

use crate::helpers::{inquiry, spawn_app, spawn_app_with, LiveAgent, Options};
use serde_json::json;
use std::time::Duration;

#[actix_web::test]
async fn every_tab_gets_every_event() {
    let app = spawn_app().await;
    let mut agent = app.working_agent("tabs", json!({})).await;
    let mut other_tab = app.open_tab(&agent).await;
    let created = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
    assert_eq!(
        agent.ws.expect("ticket.assigned").await["ticket"]["id"],
        created
    );
    assert_eq!(
        other_tab.expect("ticket.assigned").await["ticket"]["id"],
        created
    );
}

/// `hello` shows the user as the connection made them: online, even when they come back
/// within the grace period of a dropped socket (away until then). The view is the one the
/// connection pushed to the user's other tabs and the managers.
#[actix_web::test]
async fn hello_shows_the_user_online_when_they_come_back() {
    let app = spawn_app().await;
    let agent = app.working_agent("back", json!({})).await;
    let hello = agent.ws.seen.iter().find(|f| f["type"] == "hello").cloned();
    assert_eq!(hello.unwrap()["user"]["state"]["presence"], "online");
    let LiveAgent { ws, session } = agent;
    ws.close().await;
    for _ in 0..5 {
        let mut back = app.ws(&session).await;
        let hello = back.expect("hello").await;
        assert_eq!(hello["user"]["state"]["presence"], "online", "{hello}");
        assert_eq!(hello["user"]["state"]["working"], true, "{hello}");
        back.close().await;
    }
}

#[actix_web::test]
async fn a_reconnecting_client_gets_what_it_missed_or_a_snapshot() {
    let app = spawn_app().await;
    let mut agent = app.working_agent("flap", json!({})).await;
    let first = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
    agent.ws.expect("ticket.assigned").await;
    let last_seq = agent.ws.last_seq;
    // Keep the agent present through a second tab while the first one drops.
    let _keep = app.open_tab(&agent).await;
    let LiveAgent { ws, session } = agent;
    ws.close().await;

    let second = app.ingest(&inquiry("g2", "m2")).await.ticket_id;
    let mut back = app.ws_resuming(&session, last_seq).await;
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
    let mut fresh = app.ws_resuming(&session, last_seq + 1000).await;
    fresh.expect("hello").await;
    let snapshot = fresh.expect("snapshot").await;
    let ids: Vec<&str> = snapshot["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert!(
        ids.contains(&first.as_str()) && ids.contains(&second.as_str()),
        "{snapshot}"
    );
    assert_eq!(snapshot["state"]["working"], true);
}

#[actix_web::test]
async fn ping_gets_pong_and_junk_gets_an_error_frame() {
    let app = spawn_app().await;
    let mut agent = app.connected_agent("pinger", json!({})).await;
    agent.ws.send(json!({"type": "ping"})).await;
    agent.ws.expect("pong").await;
    agent.ws.send(json!({"type": "dance"})).await;
    assert_eq!(agent.ws.expect("error").await["code"], "invalid_frame");
    assert!(
        agent.ws.ping(b"keepalive").await,
        "a protocol ping is answered with a pong carrying its data (RFC 6455)"
    );
}

/// Managers see an agent's state change. A tab joining or leaving while another stays, or a
/// dropped connection that comes back within a second (a blip), changes nobody's view: they
/// hear nothing of it. One that stays away is announced `away`.
#[actix_web::test]
async fn managers_see_agent_state_changes_but_not_a_second_tab_or_a_blip() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut wall = app.ws(&manager).await;
    wall.expect("snapshot").await;
    let agent = app.connected_agent("watched", json!({})).await;
    app.start_timer(&agent).ok().await;
    loop {
        let frame = wall.expect("agent.state").await;
        if frame["agent_id"] == agent.user_id.as_str() && frame["state"]["working"] == true {
            break;
        }
    }

    let LiveAgent { ws, session } = agent;
    let second = app.open_tab(&session).await;
    ws.close().await;
    wall.expect_none("agent.state", Duration::from_millis(1500))
        .await;

    second.close().await;
    let back = app.open_tab(&session).await;
    wall.expect_none("agent.state", Duration::from_millis(1500))
        .await;

    back.close().await;
    let away = wall.expect("agent.state").await;
    assert_eq!(away["state"]["presence"], "away", "{away}");
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
        agents.push(app.working_agent(name, json!({})).await);
    }
    for n in 0..4 {
        app.ingest(&inquiry(&format!("g{n}"), &format!("m{n}")))
            .await;
    }
    for agent in agents.iter_mut() {
        agent.ws.expect("ticket.assigned").await;
        agent.ws.expect("ticket.assigned").await;
    }
    let ready = app.readyz().ok().await;
    assert_eq!(ready["presence"], "redis");
    assert_eq!(ready["redis"], true);
}

#[actix_web::test]
async fn a_restarted_server_continues_where_the_database_says() {
    let app = spawn_app().await;
    let mut agent = app.working_agent("survivor", json!({})).await;
    let assigned = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
    agent.ws.expect("ticket.assigned").await;
    app.pause_intake(&agent).ok().await;
    let queued = app.ingest(&inquiry("g2", "m2")).await.ticket_id;

    // The server again, on the same database, as after a crash and restart.
    let restarted = app.restart_in_place().await;
    let mut again = restarted.ws(&agent).await;
    let snapshot = again.expect("snapshot").await;
    assert_eq!(snapshot["tickets"][0]["id"], assigned);
    assert_eq!(snapshot["state"]["intake_paused"], true);
    let res = restarted.resume_intake(&agent).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        again.expect("ticket.assigned").await["ticket"]["id"],
        queued
    );
}

#[actix_web::test]
async fn a_client_flooding_frames_is_told_once_and_its_extra_frames_are_dropped() {
    let app = spawn_app().await;
    let mut agent = app.connected_agent("flooder", json!({})).await;
    for _ in 0..100 {
        agent.ws.send(json!({"type": "ping"})).await;
    }
    assert_eq!(agent.ws.expect("error").await["code"], "rate_limited");
    let mut pongs = agent.ws.seen.iter().filter(|f| f["type"] == "pong").count();
    while agent
        .ws
        .next(std::time::Duration::from_millis(300))
        .await
        .is_some_and(|f| f["type"] == "pong")
    {
        pongs += 1;
    }
    assert!(
        pongs < 100,
        "frames past the budget are dropped ({pongs} answered)"
    );
    assert!(pongs >= 40, "a burst is answered ({pongs})");
}

#[actix_web::test]
async fn a_user_flooding_from_many_tabs_is_held_to_one_budget() {
    let app = spawn_app().await;
    let agent = app.connected_agent("many-tabs", json!({})).await;
    let mut tabs = Vec::new();
    for _ in 0..4 {
        tabs.push(app.open_tab(&agent).await);
    }
    // Each tab stays within its own burst; together they send twice the user's.
    for tab in &mut tabs {
        for _ in 0..40 {
            tab.send(json!({"type": "ping"})).await;
        }
    }
    let mut pongs = 0;
    let mut told = 0;
    for tab in &mut tabs {
        while let Some(frame) = tab.next(std::time::Duration::from_millis(300)).await {
            match frame["type"].as_str() {
                Some("pong") => pongs += 1,
                Some("error") if frame["code"] == "rate_limited" => told += 1,
                _ => {}
            }
        }
    }
    assert!(told >= 1, "someone is told the user is over budget");
    assert!(pongs >= 80, "the user's burst is answered ({pongs})");
    assert!(
        pongs < 120,
        "frames past the user's budget are dropped ({pongs})"
    );
}

#[actix_web::test]
async fn repeated_resumes_share_one_snapshot_until_something_happens() {
    let app = spawn_app().await;
    let mut agent = app.working_agent("resumer", json!({})).await;
    let first = app.ingest(&inquiry("ana", "m1")).await.ticket_id;
    agent.ws.expect("ticket.assigned").await;
    let guest_name = |snapshot: &serde_json::Value, id: &str| {
        snapshot["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["guest"]["name"].clone())
    };
    let far = agent.ws.last_seq + 1000;
    agent.ws.resume(far).await;
    let before = agent.ws.expect("snapshot").await;
    assert_eq!(guest_name(&before, &first), Some(json!("ana")));

    // A change no frame announces: a resume with nothing new in between answers the same
    // snapshot, so it cannot have read the database again.
    sqlx::query("UPDATE guests SET name = 'Ana Renamed'")
        .execute(&app.pool)
        .await
        .unwrap();
    agent.ws.resume(far).await;
    let again = agent.ws.expect("snapshot").await;
    assert_eq!(again, before);

    // Once something happens to the user, the next snapshot is read afresh.
    app.ingest(&inquiry("bea", "m2")).await;
    agent.ws.expect("ticket.assigned").await;
    agent.ws.resume(far).await;
    let after = agent.ws.expect("snapshot").await;
    assert_eq!(guest_name(&after, &first), Some(json!("Ana Renamed")));
}
