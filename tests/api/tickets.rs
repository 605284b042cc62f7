//! Ticket views, search, pagination and actions, with their refusals.

use crate::helpers::{assert_error, spawn_app};
use crate::realtime::{create_agent, inquiry};
use serde_json::{json, Value};

#[actix_web::test]
async fn the_ticket_life_open_reply_pending_done() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = create_agent(&app, "worker", json!({})).await;
    let id = app.ingest(&inquiry("life", "m1")).await["ticket_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Until someone is working it is queued: an agent cannot act on it.
    assert_eq!(
        assert_error(
            app.post(&format!("/tickets/{id}/open"), &agent, &json!({}))
                .await,
            403
        )
        .await,
        "forbidden"
    );
    assert_eq!(
        app.post(
            &format!("/tickets/{id}/assign"),
            &manager,
            &json!({"agent_id": agent.user_id})
        )
        .await
        .status(),
        200
    );

    let t: Value = app
        .post(&format!("/tickets/{id}/open"), &agent, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["state"], "opened");
    assert!(t["opened_at"].is_string());
    let t: Value = app
        .post(
            &format!("/tickets/{id}/reply"),
            &agent,
            &json!({"body": "Yes, it is free!"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["unanswered"], false);
    assert!(t["first_response_at"].is_string());
    let res = app
        .post(
            &format!("/tickets/{id}/pending"),
            &agent,
            &json!({"note": ""}),
        )
        .await;
    assert_eq!(assert_error(res, 400).await, "invalid_input");
    let t: Value = app
        .post(
            &format!("/tickets/{id}/pending"),
            &agent,
            &json!({"note": "Guest asks for a discount"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["state"], "pending");
    let t: Value = app
        .post(&format!("/tickets/{id}/done"), &agent, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["state"], "done");
    let res = app
        .post(
            &format!("/tickets/{id}/reply"),
            &agent,
            &json!({"body": "one more"}),
        )
        .await;
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
    let id = app.ingest(&inquiry("private", "m1")).await["ticket_id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app.create_account("other").await;
    let intruder = app
        .login_as(
            &other.slug,
            crate::helpers::MANAGER_EMAIL,
            crate::helpers::PASSWORD,
        )
        .await;
    assert_eq!(
        assert_error(app.get(&format!("/tickets/{id}"), &intruder).await, 404).await,
        "not_found"
    );
    for action in ["open", "done", "claim"] {
        assert_eq!(
            assert_error(
                app.post(&format!("/tickets/{id}/{action}"), &intruder, &json!({}))
                    .await,
                404
            )
            .await,
            "not_found"
        );
    }
    let res = app
        .post(
            &format!("/tickets/{id}/reply"),
            &intruder,
            &json!({"body": "hi"}),
        )
        .await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    let res = app
        .post(
            &format!("/tickets/{id}/assign"),
            &intruder,
            &json!({"agent_id": intruder.user_id}),
        )
        .await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    assert_eq!(
        assert_error(app.get("/tickets/not-a-number", &intruder).await, 404).await,
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
        let path = match &cursor {
            Some(c) => format!("/tickets?view=all&limit=3&cursor={c}"),
            None => "/tickets?view=all&limit=3".to_string(),
        };
        let page: Value = app.get(&path, &manager).await.json().await.unwrap();
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

    let by_name: Value = app
        .get("/tickets?view=all&q=guest3", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_name["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_name["items"][0]["guest"]["name"], "Guest3");
    let by_reservation: Value = app
        .get("/tickets?view=all&q=r-Guest5", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        by_reservation["items"][0]["reservation"]["external_id"],
        "r-Guest5"
    );
    let queued: Value = app
        .get(
            "/tickets?view=queued&stage=pre_booking&channel=airbnb",
            &manager,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queued["items"].as_array().unwrap().len(), 7);

    for bad in [
        "/tickets?view=someday",
        "/tickets?cursor=garbage",
        "/tickets?stage=later",
        "/tickets?from=yesterday",
        "/tickets?limit=1000",
        "/tickets?colour=red",
    ] {
        let res = app.get(bad, &manager).await;
        assert_eq!(res.status(), 400, "{bad}");
    }
}

#[actix_web::test]
async fn only_managers_assign_and_only_to_active_agents_of_the_account() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = create_agent(&app, "a1", json!({})).await;
    let id = app.ingest(&inquiry("g", "m1")).await["ticket_id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .post(
            &format!("/tickets/{id}/assign"),
            &agent,
            &json!({"agent_id": agent.user_id}),
        )
        .await;
    assert_eq!(assert_error(res, 403).await, "forbidden");
    let res = app
        .post(
            &format!("/tickets/{id}/assign"),
            &manager,
            &json!({"agent_id": "999999"}),
        )
        .await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    let res = app
        .post(&format!("/tickets/{id}/assign"), &manager, &json!({}))
        .await;
    assert_eq!(assert_error(res, 400).await, "invalid_json");
    let t: Value = app
        .post(
            &format!("/tickets/{id}/assign"),
            &manager,
            &json!({"agent_id": agent.user_id}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["assignee_id"], agent.user_id.as_str());
    assert_eq!(t["state"], "assigned");
}
