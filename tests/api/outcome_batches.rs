//! Group-committed delivery outcomes: outcomes that wait together are written with one
//! statement, and every reply gets the status its attempt earned.
//!
//! The outcome writer is held still by locking the messages table (an outcome updates its
//! reply's status) while the bridge answers several deliveries at once.
//!
//! An outcome batch and a bridge's report batch on the same replies, at the same moment, both
//! go through: neither waits on the other in a circle.

use crate::helpers::writers::{metric, until_blocked, Held};
use crate::helpers::{spawn_app, Receiver, Reply};
use serde_json::json;
use std::time::Duration;

#[actix_web::test]
async fn outcomes_that_wait_together_are_written_with_one_statement() {
    let app = spawn_app().await;
    // Every webhook is answered 200 after a while, so the four replies are all out before
    // the first answer comes back.
    let bridge = Receiver::answering(|_| Reply::Slow(Duration::from_secs(3))).await;
    app.connect(&bridge.url).await;
    let agent = app.connected_agent("Ana", json!({})).await;
    let mut replies = Vec::new();
    for guest in ["ida", "jon", "kai", "lea"] {
        replies.push(app.guest_answered(&agent, guest, "m-1", "Welcome!").await);
    }
    let held = Held::table(&app, "messages").await;
    bridge.wait_until(|r| r.len() >= 4).await;
    // The answers come back while the writer's first statement waits on the table.
    tokio::time::sleep(Duration::from_secs(4)).await;
    held.let_go().await;

    for reply in &replies {
        app.delivery_reaches(reply, "sent").await;
    }
    let statements = metric(&app, "switchboard_outcome_batch_deliveries_count").await;
    let outcomes = metric(&app, "switchboard_outcome_batch_deliveries_sum").await;
    assert_eq!(outcomes, 4.0, "four outcomes written");
    assert!(
        statements < 4.0,
        "four outcomes that waited together took {statements} statements"
    );
}

/// The outcome writer's and the report writer's statements lock the replies in one order (by
/// id), whatever order they are given in and whatever order their plans meet them in. Here
/// the report batch waits first, on the first reply; the outcome batch comes second and names
/// the replies last first. Were it to lock the second reply before waiting for the first, the
/// report batch would then wait on it in turn: a deadlock, which PostgreSQL breaks after a
/// second by failing one of the two.
#[actix_web::test]
async fn an_outcome_batch_and_a_report_batch_on_the_same_replies_both_go_through() {
    use switchboard::domain::delivery::{DeliveryStatus, Step};
    use switchboard::domain::ids::{AccountId, DeliveryId, MessageId};
    use switchboard::store::outbound::{
        record_attempts, report_deliveries, AttemptRow, ReceiptRow,
    };
    let app = spawn_app().await;
    // The node's own worker sends both webhooks and waits: its outcomes come far too late to
    // matter here.
    let bridge = Receiver::answering(|_| Reply::Slow(Duration::from_secs(60))).await;
    app.connect(&bridge.url).await;
    let agent = app.connected_agent("Ana", json!({})).await;
    let mut replies = Vec::new();
    for guest in ["ida", "jon"] {
        let reply = app.guest_answered(&agent, guest, "m-1", "Welcome!").await;
        replies.push(MessageId(reply.message_id.parse().unwrap()));
    }
    bridge.wait_until(|r| r.len() >= 2).await;
    let claims: Vec<(DeliveryId, chrono::DateTime<chrono::Utc>, AccountId)> = sqlx::query_as(
        "SELECT id, next_attempt_at, account_id FROM deliveries WHERE message_id = ANY($1) \
         ORDER BY message_id DESC",
    )
    .bind(&replies)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let account_id = claims[0].2;

    let held = Held::rows(
        &app,
        &format!(
            "SELECT id FROM messages WHERE id = {} FOR NO KEY UPDATE",
            replies[0].0
        ),
    )
    .await;
    let pool = app.pool.clone();
    let reported = replies.clone();
    let reports = tokio::spawn(async move {
        let mut conn = pool.acquire().await.unwrap();
        let receipts: Vec<ReceiptRow<'_>> = reported
            .into_iter()
            .map(|message_id| ReceiptRow {
                account_id,
                message_id,
                status: DeliveryStatus::Delivered,
                error: None,
            })
            .collect();
        report_deliveries(&mut conn, &receipts)
            .await
            .map(|rows| rows.len())
    });
    until_blocked(&app, 1).await;
    let pool = app.pool.clone();
    let outcomes = tokio::spawn(async move {
        let mut conn = pool.acquire().await.unwrap();
        let attempts: Vec<AttemptRow<'_>> = claims
            .iter()
            .map(|(delivery_id, leased_until, _)| AttemptRow {
                delivery_id: *delivery_id,
                leased_until: *leased_until,
                step: &Step::Sent,
                status_code: Some(200),
            })
            .collect();
        record_attempts(&mut conn, &attempts)
            .await
            .map(|rows| rows.len())
    });
    until_blocked(&app, 2).await;
    held.let_go().await;

    assert_eq!(reports.await.unwrap().expect("the reports were stored"), 2);
    assert_eq!(
        outcomes.await.unwrap().expect("the outcomes were written"),
        2
    );
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT delivery_status FROM messages WHERE id = ANY($1) ORDER BY id")
            .bind(&replies)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(statuses, ["delivered", "delivered"]);
}
