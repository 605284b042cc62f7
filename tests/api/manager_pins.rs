//! A manager's assignment holds or is refused with a reason, never silently undone: a card
//! that does not take the ticket is refused (409 `card_mismatch`) unless forced, and a ticket a
//! manager placed is never taken away by rebalancing.

use crate::helpers::{inquiry, spawn_app};
use serde_json::{json, Value};

#[actix_web::test]
async fn an_assignment_against_the_card_is_refused_unless_forced_and_then_holds() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut anyone = app.working_agent("anyone", json!({})).await;
    let booked_only = app
        .working_agent("booked-only", json!({"stages": ["booked"]}))
        .await;
    let id = app.ingest(&inquiry("shopper", "m1")).await.ticket_id;
    anyone.ws.expect("ticket.assigned").await;

    let refused = app
        .assign_with(&manager, &id, &json!({"agent_id": booked_only.user_id}))
        .await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "card_mismatch");
    assert_eq!(body["error"]["mismatches"], json!(["stage"]));
    let t = app.ticket_as_manager(&id).await;
    assert_eq!(
        t["assignee_id"],
        json!(anyone.user_id),
        "a refusal changes nothing"
    );

    let forced = app
        .assign_with(
            &manager,
            &id,
            &json!({"agent_id": booked_only.user_id, "force": true}),
        )
        .ok()
        .await;
    assert_eq!(forced["assignee_id"], json!(booked_only.user_id));
    assert_eq!(forced["pinned"], true);
    assert_eq!(forced["agent_working"], true);
    let t = app.ticket_as_manager(&id).await;
    assert_eq!(t["assignee_id"], json!(booked_only.user_id));
}

#[actix_web::test]
async fn an_agent_who_is_not_working_may_be_chosen_and_the_answer_says_so() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let resting = app.agent("resting", json!({})).await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    let answer = app
        .assign_with(&manager, &id, &json!({"agent_id": resting.user_id}))
        .ok()
        .await;
    assert_eq!(answer["assignee_id"], json!(resting.user_id));
    assert_eq!(answer["agent_working"], false);
}

#[actix_web::test]
async fn rebalancing_never_takes_a_ticket_a_manager_placed() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut one = app.working_agent("one", json!({})).await;
    let mut two = app.working_agent("two", json!({})).await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            app.ingest(&inquiry(&format!("g{n}"), &format!("m{n}")))
                .await
                .ticket_id,
        );
    }
    for _ in 0..2 {
        one.ws.expect("ticket.assigned").await;
        two.ws.expect("ticket.assigned").await;
    }
    let holder = |t: &Value| t["assignee_id"].as_str().unwrap().to_string();
    let mut of_two = Vec::new();
    for id in &ids {
        if holder(&app.ticket_as_manager(id).await) == two.user_id {
            of_two.push(id.clone());
        }
    }
    assert_eq!(of_two.len(), 2, "balanced: two each");
    // The manager gives both of agent two's tickets to agent one; each time agent one ends up
    // two ahead, and rebalancing must even it out with the tickets the manager did not choose.
    for id in &of_two {
        app.assign_with(&manager, id, &json!({"agent_id": one.user_id}))
            .ok()
            .await;
    }
    for id in &of_two {
        let t = app.ticket_as_manager(id).await;
        assert_eq!(holder(&t), one.user_id, "a pinned ticket moved");
        assert_eq!(t["pinned"], true);
    }
    let mut loads = std::collections::HashMap::new();
    for id in &ids {
        *loads
            .entry(holder(&app.ticket_as_manager(id).await))
            .or_insert(0) += 1;
    }
    assert_eq!(loads.get(&one.user_id), Some(&2));
    assert_eq!(loads.get(&two.user_id), Some(&2));
}
