//! Guest-view counts pushed by the server (issue 14): after a reservation change through
//! `/ingest/reservations` or a to-do change, the account's users get `views.counts` over the
//! socket without asking; another account's users get nothing of it.

use crate::helpers::{inquiry, spawn_app, WsClient};
use serde_json::{json, Value};
use switchboard::app::live_counts::RECOUNT_EVERY;

/// The count of `view` in a `views.counts` frame.
fn count(frame: &Value, view: &str) -> i64 {
    assert_eq!(frame["capped_at"], 1000, "{frame}");
    frame["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["view"] == view)
        .unwrap_or_else(|| panic!("no {view} in {frame}"))["count"]
        .as_i64()
        .unwrap()
}

/// The next `views.counts` frame whose `view` count is `n` (an earlier change's frame may
/// come first).
async fn counts_until(ws: &mut WsClient, view: &str, n: i64) -> Value {
    loop {
        let frame = ws.expect("views.counts").await;
        if count(&frame, view) == n {
            return frame;
        }
    }
}

#[actix_web::test]
async fn counts_follow_reservations_and_todos_over_the_socket() {
    let app = spawn_app().await;
    let mut ana = app.connected_agent("Ana", json!({})).await;
    let manager = app.manager().await;
    let mut board = app.open_tab(&manager).await;
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    let mut theirs = app.open_tab(&stranger).await;

    // A confirmed stay not yet paid: awaiting_payment holds one.
    let mut booked = inquiry("zoe", "m1");
    booked["reservation"]["status"] = json!("confirmed");
    booked["reservation"]["payment_status"] = json!("pending");
    let id = app.ingest(&booked).await.ticket_id;
    let frame = counts_until(&mut ana.ws, "awaiting_payment", 1).await;
    assert_eq!(count(&frame, "waiting_refunds"), 0);
    counts_until(&mut board, "awaiting_payment", 1).await;

    // The payment completes through the reservation feed: the count drops, live.
    let paid = json!({"channel": "airbnb", "external_id": "r-zoe", "status": "confirmed",
        "listing_external_id": "l-1", "payment_status": "paid"});
    let res = app.ingest_reservation(&app.account.api_key, &paid).await;
    assert_eq!(res.status(), 202);
    counts_until(&mut ana.ws, "awaiting_payment", 0).await;

    // A refund to-do, then done.
    let todo = app
        .add_todo(
            &manager,
            &id,
            &json!({"title": "Refund the fee", "kind": "refund"}),
        )
        .ok()
        .await;
    counts_until(&mut ana.ws, "waiting_refunds", 1).await;
    let todo_id = todo["id"].as_str().unwrap();
    app.update_todo(&manager, &id, todo_id, &json!({"done": true}))
        .ok()
        .await;
    counts_until(&mut ana.ws, "waiting_refunds", 0).await;

    // Nothing of it reached another account: any counts its manager got are its own (none).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(1500);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(frame) = theirs.next(left).await else {
            break;
        };
        if frame["type"] == "views.counts" {
            for c in frame["items"].as_array().unwrap() {
                assert_eq!(c["count"], 0, "{frame}");
            }
        }
    }
}

/// A change that leaves the counts as they were pushes nothing, nor does the recount of every
/// account online (every 30 s): each frame stays in every user's history (an unchanged frame a
/// second filled 10,000 users' histories), and one to every user held Redis for 170 ms.
#[actix_web::test]
async fn counts_are_pushed_again_only_when_they_change() {
    let app = spawn_app().await;
    let mut ana = app.connected_agent("Ana", json!({})).await;
    let mut booked = inquiry("zoe", "m1");
    booked["reservation"]["status"] = json!("confirmed");
    booked["reservation"]["payment_status"] = json!("pending");
    app.ingest(&booked).await;
    counts_until(&mut ana.ws, "awaiting_payment", 1).await;

    // Guests who only ask change no guest view's count.
    for guest in ["ida", "jon", "kai"] {
        app.ingest(&inquiry(guest, &format!("{guest}-1"))).await;
    }
    ana.ws
        .expect_none(
            "views.counts",
            RECOUNT_EVERY + std::time::Duration::from_secs(2),
        )
        .await;

    let mut second = inquiry("uma", "uma-1");
    second["reservation"] = booked["reservation"].clone();
    second["reservation"]["external_id"] = json!("r-uma");
    app.ingest(&second).await;
    counts_until(&mut ana.ws, "awaiting_payment", 2).await;
}
