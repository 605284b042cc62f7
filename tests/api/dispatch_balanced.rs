//! SPEC §2 rules 1 and 3 end to end: balanced assignment, card filters, pause, queue drain.

use crate::helpers::{assert_error, inquiry, spawn_app, LiveAgent, TestApp};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

async fn working_agents(app: &TestApp, n: usize) -> Vec<LiveAgent> {
    let mut agents = Vec::new();
    for i in 0..n {
        agents.push(app.working_agent(&format!("agent{i}"), json!({})).await);
    }
    agents
}

#[actix_web::test]
async fn new_tickets_are_spread_evenly_and_pushed_at_once() {
    let app = spawn_app().await;
    let mut agents = working_agents(&app, 3).await;
    for n in 0..6 {
        app.ingest(&inquiry(&format!("guest-{n}"), &format!("m-{n}")))
            .await;
    }
    let mut counts = HashMap::new();
    for agent in agents.iter_mut() {
        for _ in 0..2 {
            let frame = agent.ws.expect("ticket.assigned").await;
            assert_eq!(frame["reason"], "new");
            assert_eq!(
                frame["ticket"]["assignee_id"],
                agent.session.user_id.as_str()
            );
            assert_eq!(frame["ticket"]["state"], "assigned");
            *counts.entry(agent.session.user_id.clone()).or_insert(0) += 1;
        }
        agent
            .ws
            .expect_none("ticket.assigned", Duration::from_millis(300))
            .await;
    }
    assert_eq!(counts.values().copied().collect::<Vec<_>>(), vec![2, 2, 2]);
}

#[actix_web::test]
async fn cards_filter_by_stage_channel_and_language() {
    let app = spawn_app().await;
    let mut pre = app
        .working_agent(
            "pre",
            json!({"stages": ["pre_booking"], "languages": ["en"]}),
        )
        .await;
    let mut booked = app
        .working_agent(
            "booked",
            json!({"stages": ["booked", "staying", "post_stay"], "channels": ["vrbo"]}),
        )
        .await;

    app.ingest(&inquiry("anna", "m1")).await;
    assert_eq!(
        pre.ws.expect("ticket.assigned").await["ticket"]["stage"],
        "pre_booking"
    );

    let mut confirmed = inquiry("bob", "m2");
    confirmed["channel"] = json!("vrbo");
    confirmed["reservation"]["status"] = json!("confirmed");
    confirmed["reservation"]["check_in"] = json!("2099-01-10");
    confirmed["reservation"]["check_out"] = json!("2099-01-12");
    app.ingest(&confirmed).await;
    assert_eq!(
        booked.ws.expect("ticket.assigned").await["ticket"]["stage"],
        "booked"
    );

    // A German pre-booking guest matches nobody: queued.
    let mut german = inquiry("carl", "m3");
    german["guest"]["language"] = json!("de");
    let created = app.ingest(&german).await;
    pre.ws
        .expect_none("ticket.assigned", Duration::from_millis(400))
        .await;
    booked
        .ws
        .expect_none("ticket.assigned", Duration::from_millis(100))
        .await;
    let ticket = app.ticket_as_manager(&created.ticket_id).await;
    assert_eq!(ticket["state"], "queued");
}

#[actix_web::test]
async fn a_paused_agent_gets_nothing_and_the_queue_drains_on_resume() {
    let app = spawn_app().await;
    let mut agent = app.working_agent("solo", json!({})).await;
    app.pause_intake(&agent).ok().await;
    let first = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
    let second = app.ingest(&inquiry("g2", "m2")).await.ticket_id;
    agent
        .ws
        .expect_none("ticket.assigned", Duration::from_millis(400))
        .await;
    assert_eq!(app.ticket_as_manager(&first).await["state"], "queued");

    app.resume_intake(&agent).ok().await;
    let a = agent.ws.expect("ticket.assigned").await;
    let b = agent.ws.expect("ticket.assigned").await;
    assert_eq!(a["ticket"]["id"], first, "oldest first");
    assert_eq!(b["ticket"]["id"], second);
}

/// A stopped timer is on the dispatcher's board once it is committed, not only after the
/// reload of the agent it sets off. The test holds that reload back by locking the agents'
/// cards, which the reload reads and signing out (which stops the timer of the last session)
/// does not: a ticket that comes meanwhile is queued, never given to the agent who left.
#[actix_web::test]
async fn a_ticket_that_comes_while_a_stop_is_reloaded_is_queued() {
    let app = spawn_app().await;
    let agent = app.working_agent("solo", json!({})).await;
    let mut cards = app.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE agent_cards IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *cards)
        .await
        .unwrap();
    // Signing out answers once the agent's new state is read, card and all, so it waits for
    // the lock: the rest runs beside it, from the moment the stop is committed.
    let sign_out = app.logout(&agent);
    let meanwhile = async {
        let working = "SELECT 1 FROM work_intervals WHERE user_id::text = $1 AND ended_at IS NULL";
        while sqlx::query(working)
            .bind(&agent.user_id)
            .fetch_optional(&app.pool)
            .await
            .unwrap()
            .is_some()
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let created = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let state: String = sqlx::query_scalar("SELECT state FROM tickets WHERE id::text = $1")
            .bind(&created)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        cards.rollback().await.unwrap();
        state
    };
    let (signed_out, state) = tokio::join!(sign_out.ok(), meanwhile);
    assert_eq!(signed_out, Value::Null);
    assert_eq!(state, "queued");
}

#[actix_web::test]
async fn nobody_working_means_queued_until_someone_starts_the_timer() {
    let app = spawn_app().await;
    let mut agent = app.connected_agent("late", json!({})).await;
    let created = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
    agent
        .ws
        .expect_none("ticket.assigned", Duration::from_millis(400))
        .await;
    app.start_timer(&agent).ok().await;
    let frame = agent.ws.expect("ticket.assigned").await;
    assert_eq!(frame["ticket"]["id"], created);
}

#[actix_web::test]
async fn broadcast_offers_to_everyone_and_the_first_claim_wins() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    assert_eq!(
        app.patch_account(&manager, &json!({"assignment_strategy": "broadcast"}))
            .await
            .status(),
        200
    );
    let mut fast = app.working_agent("fast", json!({})).await;
    let mut slow = app.working_agent("slow", json!({})).await;
    let id = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
    assert_eq!(fast.ws.expect("offer").await["ticket"]["id"], id);
    assert_eq!(slow.ws.expect("offer").await["ticket"]["id"], id);

    let claimed = app.claim(&fast, &id).ok().await;
    assert_eq!(claimed["assignee_id"], fast.user_id);
    assert_eq!(fast.ws.expect("ticket.assigned").await["ticket"]["id"], id);
    assert_eq!(slow.ws.expect("offer.withdrawn").await["ticket_id"], id);
    let late = app.claim(&slow, &id).await;
    assert_eq!(assert_error(late, 422).await, "invalid_state");
}

#[actix_web::test]
async fn round_robin_takes_turns_whatever_the_load() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let body = json!({"assignment_strategy": "round_robin", "rebalance_threshold": 100});
    assert_eq!(app.patch_account(&manager, &body).await.status(), 200);
    let mut agents = working_agents(&app, 2).await;
    let mut order = Vec::new();
    for n in 0..4 {
        app.ingest(&inquiry(&format!("g{n}"), &format!("m{n}")))
            .await;
        let mut got = Vec::new();
        for agent in agents.iter_mut() {
            while let Some(frame) = agent.ws.next(Duration::from_millis(400)).await {
                if frame["type"] == "ticket.assigned" {
                    got.push(agent.session.user_id.clone());
                }
            }
        }
        assert_eq!(got.len(), 1, "exactly one agent got ticket {n}");
        order.push(got.remove(0));
    }
    assert_ne!(order[0], order[1]);
    assert_eq!(order[0], order[2]);
    assert_eq!(order[1], order[3]);
}
