//! Alerts: each kind is raised once per ticket, pushed to managers as an `alert` frame,
//! listed at `GET /alerts`, acknowledged with `POST /alerts/{id}/ack`, and POSTed to the
//! account's notification webhook (a real HTTP receiver here), which also gets a daily digest
//! of the tickets that missed the SLA.

use crate::helpers::{assert_error, inquiry, spawn_app, Received, Receiver};
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

    let posted = hook.wait_until(|r| alerts_in(r).len() >= 3).await;
    for request in alerts_in(&posted) {
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
    let received = hook.received();
    assert_eq!(alerts_in(&received).len(), 3, "each alert is sent once");
    // The same webhook had yesterday's digest (nothing missed: the account is new), once.
    let digests = digests_in(&received);
    assert_eq!(digests.len(), 1);
    assert_eq!(digests[0]["digest"]["missed"], 0);
}

/// The webhook's requests that carry an alert.
fn alerts_in(received: &[Received]) -> Vec<&Received> {
    received
        .iter()
        .filter(|r| r.json().get("alert").is_some())
        .collect()
}

/// The bodies of the webhook's requests that carry a daily digest.
fn digests_in(received: &[Received]) -> Vec<Value> {
    received
        .iter()
        .map(Received::json)
        .filter(|body| body.get("digest").is_some())
        .collect()
}

#[actix_web::test]
async fn yesterdays_missed_tickets_reach_the_webhook_once_as_a_digest() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let late = app.ingest(&inquiry("Late Guest", "m1")).await.ticket_id;
    let never = app.ingest(&inquiry("Waiting Guest", "m2")).await.ticket_id;
    let quick = app.ingest(&inquiry("Quick Guest", "m3")).await.ticket_id;
    let closed = app.ingest(&inquiry("Spam", "m4")).await.ticket_id;
    app.ingest(&inquiry("Today Guest", "m5")).await;
    // The first four were created yesterday (the account's timezone is UTC): one answered
    // after 20 minutes, one never, one within the SLA (6 minutes), one closed unanswered
    // after a minute; the fifth is today's.
    for (id, reply_after, close_after) in [
        (&late, Some(1200), None),
        (&never, None, None),
        (&quick, Some(60), None),
        (&closed, None, Some(60)),
    ] {
        sqlx::query(
            "UPDATE tickets SET created_at = now() - interval '1 day',                first_response_at = now() - interval '1 day' + make_interval(secs => $2),                closed_at = now() - interval '1 day' + make_interval(secs => $3)              WHERE id = $1",
        )
        .bind(id.parse::<i64>().unwrap())
        .bind(reply_after.map(f64::from))
        .bind(close_after.map(f64::from))
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let hook = Receiver::start().await;
    app.patch_account(&manager, &json!({"notification_webhook_url": hook.url}))
        .ok()
        .await;

    let received = hook.wait_until(|r| !digests_in(r).is_empty()).await;
    let digest = digests_in(&received).remove(0);
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    assert_eq!(digest["digest"]["day"], json!(yesterday.to_string()));
    assert_eq!(digest["digest"]["missed"], 2, "{digest}");
    let named: Vec<&Value> = digest["digest"]["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["ticket_id"])
        .collect();
    assert_eq!(
        named,
        vec![&json!(never), &json!(late)],
        "longest wait first"
    );
    let text = digest["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!(
            "Daily digest for {yesterday}: 2 tickets were not answered within the SLA (6 min)."
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ticket {late} (Late Guest): first reply after 20 min"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ticket {never} (Waiting Guest): no reply yet, waiting"
        )),
        "{text}"
    );

    // The next passes of the watcher send nothing more for that day.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(digests_in(&hook.received()).len(), 1);
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
