//! Alerts: each kind is raised once per ticket, pushed to managers as an `alert` frame,
//! listed at `GET /alerts`, acknowledged with `POST /alerts/{id}/ack`, and POSTed to the
//! account's notification webhook (a real HTTP receiver here).

use crate::helpers::{assert_error, inquiry, spawn_app, Receiver};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

#[actix_web::test]
async fn each_alert_is_raised_once_pushed_listed_acknowledged_and_sent_to_the_webhook() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut wallboard = app.ws(&manager).await;
    let hook = Receiver::start().await;
    let settings = json!({"response_sla_seconds": 2, "notification_webhook_url": hook.url});
    app.patch_account(&manager, &settings).ok().await;

    // Nobody works: the ticket waits in the queue, and the guest past 80 % and 100 % of the SLA.
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    let mut kinds = BTreeSet::new();
    for _ in 0..3 {
        let frame = wallboard.expect("alert").await;
        assert_eq!(frame["alert"]["ticket_id"], json!(id));
        assert_eq!(frame["alert"]["acked_at"], Value::Null);
        kinds.insert(frame["alert"]["kind"].as_str().unwrap().to_string());
    }
    let expected: BTreeSet<String> = ["queue_wait", "sla_breach", "sla_warning"]
        .map(String::from)
        .into();
    assert_eq!(kinds, expected);
    wallboard
        .expect_none("alert", Duration::from_millis(2500))
        .await;

    let open = app.alerts(&manager, "open").ok().await;
    let items = open["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3, "{open}");
    let first = items[0]["id"].as_str().unwrap().to_string();
    let acked = app.ack_alert(&manager, &first).ok().await;
    assert!(acked["acked_at"].is_string());
    let again = app.ack_alert(&manager, &first).ok().await;
    assert_eq!(
        again["acked_at"], acked["acked_at"],
        "the first acknowledgement stays"
    );
    assert_eq!(
        app.alerts(&manager, "open").ok().await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.alerts(&manager, "all").ok().await["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let agent = app.agent("Ana", json!({})).await;
    assert_eq!(
        assert_error(app.alerts(&agent, "open").await, 403).await,
        "forbidden"
    );
    assert_eq!(
        assert_error(app.ack_alert(&agent, &first).await, 403).await,
        "forbidden"
    );
    assert_eq!(
        assert_error(app.ack_alert(&manager, "999999").await, 404).await,
        "not_found"
    );

    let posted = hook.wait_until(|r| r.len() >= 3).await;
    for request in &posted {
        let body = request.json();
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .contains(&format!("ticket {id}")),
            "{body}"
        );
        assert_eq!(body["alert"]["ticket_id"], json!(id));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hook.received().len(), 3, "each alert is sent once");
}

#[actix_web::test]
async fn a_ticket_the_return_timer_queues_raises_a_queue_alert_at_once() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut wallboard = app.ws(&manager).await;
    let mut ana = app.working_agent("Ana", json!({})).await;
    app.patch_account(&manager, &json!({"return_after_seconds": 1}))
        .ok()
        .await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    ana.ws.expect("ticket.unassigned").await;
    let frame = wallboard.expect("alert").await;
    assert_eq!(frame["alert"]["kind"], "queue_wait");
    assert_eq!(frame["alert"]["ticket_id"], json!(id));
}
