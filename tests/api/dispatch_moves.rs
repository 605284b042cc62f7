//! SPEC §2 rules 2, 4, 5 and 6 end to end: following the previous agent, rebalancing only
//! unopened tickets, never moving opened ones, and agents leaving.

use crate::helpers::{inquiry, spawn_app, LiveAgent};
use serde_json::json;
use std::time::Duration;

#[actix_web::test]
async fn a_newcomer_takes_unopened_tickets_until_loads_are_within_the_threshold() {
    let app = spawn_app().await;
    let mut busy = app.working_agent("busy", json!({})).await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            app.ingest(&inquiry(&format!("g{n}"), &format!("m{n}")))
                .await
                .ticket_id,
        );
        busy.ws.expect("ticket.assigned").await;
    }
    // The oldest ticket is opened: it must never move.
    app.open(&busy, &ids[0]).ok().await;

    let mut fresh = app.working_agent("fresh", json!({})).await;
    let first = fresh.ws.expect("ticket.assigned").await;
    let second = fresh.ws.expect("ticket.assigned").await;
    for frame in [&first, &second] {
        assert_eq!(frame["reason"], "rebalanced");
        assert_ne!(frame["ticket"]["id"], ids[0], "an opened ticket moved");
    }
    assert_eq!(
        first["ticket"]["id"], ids[1],
        "the oldest unopened ticket moves first"
    );
    fresh
        .ws
        .expect_none("ticket.assigned", Duration::from_millis(400))
        .await;
    for _ in 0..2 {
        assert_eq!(
            busy.ws.expect("ticket.unassigned").await["reason"],
            "rebalanced"
        );
    }
}

#[actix_web::test]
async fn an_agent_who_stops_the_timer_keeps_opened_tickets_and_hands_back_the_rest() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    // A high threshold keeps rebalancing out of the way.
    assert_eq!(
        app.patch_account(&manager, &json!({"rebalance_threshold": 10}))
            .await
            .status(),
        200
    );
    let mut leaving = app.working_agent("leaving", json!({})).await;
    let opened = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
    leaving.ws.expect("ticket.assigned").await;
    let unopened = app.ingest(&inquiry("g2", "m2")).await.ticket_id;
    leaving.ws.expect("ticket.assigned").await;
    app.open(&leaving, &opened).ok().await;
    let mut staying = app.working_agent("staying", json!({})).await;
    staying
        .ws
        .expect_none("ticket.assigned", Duration::from_millis(300))
        .await;

    app.stop_timer(&leaving).ok().await;
    let moved = staying.ws.expect("ticket.assigned").await;
    assert_eq!(moved["ticket"]["id"], unopened);
    assert_eq!(moved["reason"], "agent_left");
    let gone = leaving.ws.expect("ticket.unassigned").await;
    assert_eq!(gone["ticket_id"], unopened);
    let ticket = app.ticket_as_manager(&opened).await;
    assert_eq!(
        ticket["assignee_id"], leaving.user_id,
        "opened tickets stay with the agent who left"
    );
    assert_eq!(ticket["state"], "opened");
}

#[actix_web::test]
async fn unopened_tickets_of_an_agent_gone_past_the_grace_period_are_redispatched() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    assert_eq!(
        app.patch_account(&manager, &json!({"offline_grace_seconds": 1}))
            .await
            .status(),
        200
    );
    let mut flaky = app.working_agent("flaky", json!({})).await;
    let created = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
    flaky.ws.expect("ticket.assigned").await;
    let mut steady = app.working_agent("steady", json!({"max_active": 5})).await;

    let LiveAgent { ws, .. } = flaky;
    ws.close().await;
    let frame = steady.ws.expect("ticket.assigned").await;
    assert_eq!(frame["ticket"]["id"], created);
    assert_eq!(frame["reason"], "agent_left");
}

#[actix_web::test]
async fn a_follow_up_goes_back_to_the_agent_who_closed_the_thread() {
    let app = spawn_app().await;
    let mut first = app.working_agent("first", json!({})).await;
    let created = app.ingest(&inquiry("repeat", "m1")).await.ticket_id;
    first.ws.expect("ticket.assigned").await;
    app.open(&first, &created).ok().await;
    app.reply(&first, &created, "Yes, it is free.").ok().await;
    app.mark_done(&first, &created).ok().await;

    let mut second = app.working_agent("second", json!({})).await;
    let mut again = inquiry("repeat", "m2");
    again["body"] = json!("Great, can I book?");
    let next = app.ingest(&again).await.ticket_id;
    assert_ne!(next, created, "a new ticket after done");
    let frame = first.ws.expect("ticket.assigned").await;
    assert_eq!(frame["reason"], "follow_up");
    assert_eq!(frame["ticket"]["id"], next);
    second
        .ws
        .expect_none("ticket.assigned", Duration::from_millis(300))
        .await;
}
