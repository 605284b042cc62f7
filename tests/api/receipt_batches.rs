//! Group-committed delivery reports (`POST /ingest/deliveries`): reports that wait together
//! are stored with one statement, and each caller is answered with its reply as stored; of
//! two reports on one reply in one batch the later one stands, and both callers are told so;
//! a report on another account's reply is refused (404) and changes nothing.
//!
//! The writer is held still by locking the messages table (a report updates its reply), so
//! the next reports gather in its queue, watched through the metrics.

use crate::helpers::spawn_app;
use crate::helpers::writers::{metric, until_blocked, until_metric, Held};
use reqwest::Response;
use serde_json::{json, Value};
use std::future::IntoFuture;
use tokio::task::JoinHandle;

#[actix_web::test]
async fn reports_that_wait_together_are_stored_with_one_statement() {
    let app = spawn_app().await;
    let (_bridge, agent) = app.bridge_and_agent().await;
    let mut replies = Vec::new();
    for guest in ["ida", "jon", "kai", "lea"] {
        let reply = app.guest_answered(&agent, guest, "m-1", "Welcome!").await;
        app.delivery_reaches(&reply, "sent").await;
        replies.push(reply.message_id);
    }
    let other = app.create_account("other").await;
    let key = app.account.api_key.clone();
    let send = |key: &str, message_id: &str, status: &str| -> JoinHandle<Response> {
        let body = json!({"message_id": message_id, "status": status});
        tokio::spawn(app.report_delivery(key, &body).into_future())
    };

    let held = Held::table(&app, "messages").await;
    // The first report holds the writer, stuck on the table; the others wait in its queue,
    // one after another so their order is known.
    let first = send(&key, &replies[0], "delivered");
    until_blocked(&app, 1).await;
    let mut waiting = vec![
        send(&key, &replies[1], "failed"),
        send(&key, &replies[2], "delivered"),
    ];
    until_metric(&app, "switchboard_receipt_waiting_reports", 2.0).await;
    waiting.push(send(&key, &replies[1], "delivered"));
    until_metric(&app, "switchboard_receipt_waiting_reports", 3.0).await;
    waiting.push(send(&other.api_key, &replies[3], "delivered"));
    until_metric(&app, "switchboard_receipt_waiting_reports", 4.0).await;
    held.let_go().await;

    let first = answer(first).await;
    assert_eq!(first.0, 200);
    assert_eq!(first.1["delivery"]["status"], "delivered");
    let mut answers = Vec::new();
    for call in waiting {
        answers.push(answer(call).await);
    }
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [200, 200, 200, 404]);
    // Both reports on the second reply are answered with what the later one stored.
    assert_eq!(answers[0].1["delivery"]["status"], "delivered");
    assert_eq!(answers[2].1["delivery"]["status"], "delivered");
    assert_eq!(answers[0].1["id"], replies[1].as_str());
    assert_eq!(answers[1].1["delivery"]["status"], "delivered");
    assert_eq!(answers[3].1["error"]["code"], "not_found");
    let stored: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT delivery_status, delivery_error FROM messages WHERE id = ANY($1) ORDER BY id",
    )
    .bind(
        replies
            .iter()
            .map(|id| id.parse::<i64>().unwrap())
            .collect::<Vec<_>>(),
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let stored: Vec<&str> = stored.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(stored, ["delivered", "delivered", "delivered", "sent"]);
    // One statement for the first, one for the four that waited together.
    assert_eq!(
        metric(&app, "switchboard_receipt_batch_reports_count").await,
        2.0
    );
    assert_eq!(
        metric(&app, "switchboard_receipt_batch_reports_sum").await,
        5.0
    );
}

async fn answer(call: JoinHandle<Response>) -> (u16, Value) {
    let res = call.await.expect("the report was sent");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}
