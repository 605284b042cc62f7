//! Ticket views, search, pagination and actions, with their refusals.

use crate::helpers::{assert_error, inquiry, spawn_app};
use serde_json::json;

#[actix_web::test]
async fn the_ticket_life_open_reply_pending_done() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = app.agent("worker", json!({})).await;
    let id = app.ingest(&inquiry("life", "m1")).await.ticket_id;
    // Until someone is working it is queued: an agent cannot act on it.
    assert_eq!(
        assert_error(app.open(&agent, &id).await, 403).await,
        "forbidden"
    );
    assert_eq!(
        app.assign(&manager, &id, &agent.user_id).await.status(),
        200
    );

    let t = app.open(&agent, &id).ok().await;
    assert_eq!(t["state"], "opened");
    assert!(t["opened_at"].is_string());
    let t = app.reply(&agent, &id, "Yes, it is free!").ok().await;
    assert_eq!(t["unanswered"], false);
    assert!(t["first_response_at"].is_string());
    let res = app.mark_pending(&agent, &id, "").await;
    assert_eq!(assert_error(res, 400).await, "invalid_input");
    let t = app
        .mark_pending(&agent, &id, "Guest asks for a discount")
        .ok()
        .await;
    assert_eq!(t["state"], "pending");
    let t = app.mark_done(&agent, &id).ok().await;
    assert_eq!(t["state"], "done");
    let res = app.reply(&agent, &id, "one more").await;
    assert_eq!(assert_error(res, 422).await, "invalid_state");
    let full = app.ticket_as_manager(&id).await;
    assert_eq!(full["messages"].as_array().unwrap().len(), 2);
    assert_eq!(full["messages"][1]["direction"], "outbound");
    assert_eq!(full["pending_note"], "Guest asks for a discount");
    let events: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM events WHERE ticket_id = $1 ORDER BY id")
            .bind(id.parse::<i64>().unwrap())
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for kind in [
        "ticket.created",
        "message.received",
        "ticket.assigned",
        "ticket.opened",
        "ticket.replied",
        "ticket.pending",
        "ticket.done",
    ] {
        assert!(
            events.iter().any(|e| e == kind),
            "missing {kind} in {events:?}"
        );
    }
}

#[actix_web::test]
async fn another_accounts_ids_answer_404_everywhere() {
    let app = spawn_app().await;
    let id = app.ingest(&inquiry("private", "m1")).await.ticket_id;
    let other = app.create_account("other").await;
    let intruder = app.manager_of(&other).await;
    assert_eq!(
        assert_error(app.ticket(&intruder, &id).await, 404).await,
        "not_found"
    );
    for (action, res) in [
        ("open", app.open(&intruder, &id).await),
        ("done", app.mark_done(&intruder, &id).await),
        ("claim", app.claim(&intruder, &id).await),
        ("reply", app.reply(&intruder, &id, "hi").await),
        (
            "assign",
            app.assign(&intruder, &id, &intruder.user_id).await,
        ),
    ] {
        assert_eq!(assert_error(res, 404).await, "not_found", "{action}");
    }
    assert_eq!(
        assert_error(app.ticket(&intruder, "not-a-number").await, 404).await,
        "not_found"
    );
}

#[actix_web::test]
async fn search_and_pagination_return_every_ticket_once() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    for n in 0..7 {
        app.ingest(&inquiry(&format!("Guest{n}"), &format!("m{n}")))
            .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("view", "all"), ("limit", "3")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = app.tickets(&manager, &query).ok().await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    seen.dedup();
    assert_eq!(seen.len(), 7);

    let by_name = app
        .tickets(&manager, &[("view", "all"), ("q", "guest3")])
        .ok()
        .await;
    assert_eq!(by_name["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_name["items"][0]["guest"]["name"], "Guest3");
    let by_reservation = app
        .tickets(&manager, &[("view", "all"), ("q", "r-Guest5")])
        .ok()
        .await;
    assert_eq!(
        by_reservation["items"][0]["reservation"]["external_id"],
        "r-Guest5"
    );
    let queued = app
        .tickets(
            &manager,
            &[
                ("view", "queued"),
                ("stage", "pre_booking"),
                ("channel", "airbnb"),
            ],
        )
        .ok()
        .await;
    assert_eq!(queued["items"].as_array().unwrap().len(), 7);

    for bad in [
        ("view", "someday"),
        ("cursor", "garbage"),
        ("stage", "later"),
        ("from", "yesterday"),
        ("limit", "1000"),
        ("colour", "red"),
    ] {
        let res = app.tickets(&manager, &[bad]).await;
        assert_eq!(res.status(), 400, "{bad:?}");
    }
}

#[actix_web::test]
async fn only_managers_assign_and_only_to_active_agents_of_the_account() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = app.agent("a1", json!({})).await;
    let id = app.ingest(&inquiry("g", "m1")).await.ticket_id;
    let res = app.assign(&agent, &id, &agent.user_id).await;
    assert_eq!(assert_error(res, 403).await, "forbidden");
    let res = app.assign(&manager, &id, "999999").await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    let res = app.assign_with(&manager, &id, &json!({})).await;
    assert_eq!(assert_error(res, 400).await, "invalid_json");
    let t = app.assign(&manager, &id, &agent.user_id).ok().await;
    assert_eq!(t["assignee_id"], agent.user_id.as_str());
    assert_eq!(t["state"], "assigned");
}

#[actix_web::test]
async fn a_refusal_says_whether_the_ticket_is_queued_or_someone_elses_and_tickets_name_their_assignee(
) {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let ana = app.agent("Ana Lima", json!({})).await;
    let rui = app.agent("Rui Costa", json!({})).await;
    let id = app.ingest(&inquiry("queued", "m1")).await.ticket_id;
    let message = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 403);
        let body: serde_json::Value = res.json().await.unwrap();
        body["error"]["message"].as_str().unwrap().to_string()
    };

    let queued = app.ticket(&manager, &id).ok().await;
    assert_eq!(queued["assignee_name"], serde_json::Value::Null);
    let said = message(app.reply(&rui, &id, "Hello").await).await;
    assert!(said.contains("assigned to nobody"), "{said}");

    app.assign(&manager, &id, &ana.user_id).ok().await;
    let theirs = app.ticket(&rui, &id).ok().await;
    assert_eq!(theirs["assignee_name"], "Ana Lima");
    let said = message(app.reply(&rui, &id, "Hello").await).await;
    assert!(said.contains("someone else"), "{said}");
}

#[actix_web::test]
async fn the_activity_log_says_what_happened_why_and_by_whom() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana Lima", json!({})).await;
    let rui = app.agent("Rui Costa", json!({})).await;
    let id = app.ingest(&inquiry("logged", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    app.open(&ana, &id).ok().await;
    app.reply(&ana, &id, "Yes").ok().await;
    app.assign(&manager, &id, &rui.user_id).ok().await;
    app.mark_pending(&rui, &id, "Needs a refund").ok().await;
    app.mark_done(&rui, &id).ok().await;

    let log = app.activity(&rui, &id).ok().await;
    let said: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e["kind"].as_str().unwrap(),
                e["reason"].as_str().unwrap_or("-"),
                e["agent_name"].as_str().unwrap_or("-"),
                e["actor_name"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            "ticket.created - - -",
            "ticket.assigned new Ana Lima -",
            "ticket.opened - Ana Lima Ana Lima",
            "ticket.replied - Ana Lima Ana Lima",
            "ticket.unassigned manager Ana Lima Manager",
            "ticket.assigned manager Rui Costa Manager",
            "ticket.pending - Rui Costa Rui Costa",
            "ticket.done - Rui Costa Rui Costa",
        ]
    );
    let res = app.activity(&manager, "999999").await;
    assert_eq!(assert_error(res, 404).await, "not_found");
}
