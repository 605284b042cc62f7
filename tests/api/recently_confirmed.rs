//! `recently_confirmed` (issue 14): tickets whose reservation went from inquiry or request to
//! confirmed within the account's `recently_confirmed_days`, with who replied before the
//! booking. Built through ingest and the reservation feed.

use crate::helpers::{assert_error, inquiry, spawn_app, Session, TestApp};
use serde_json::{json, Value};

async fn recently_confirmed(app: &TestApp, user: &Session) -> Vec<Value> {
    let page = app
        .tickets(user, &[("view", "recently_confirmed")])
        .ok()
        .await;
    page["items"].as_array().unwrap().clone()
}

/// The reservation feed's update of `r-{guest}` (listing l-1) to `status`.
fn reservation(guest: &str, status: &str) -> Value {
    json!({"channel": "airbnb", "external_id": format!("r-{guest}"), "status": status,
           "listing_external_id": "l-1"})
}

#[actix_web::test]
async fn an_inquiry_that_books_shows_with_who_replied_before_and_leaves_after_the_window() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana Silva", json!({})).await;
    let booked = app.ingest(&inquiry("booked", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    app.reply(&ana, &booked, "Yes, it is free!").ok().await;
    let waiting = app.ingest(&inquiry("waiting", "m2")).await.ticket_id;
    // Confirmed at once, never an inquiry: not a conversion of ours.
    let mut direct = inquiry("direct", "m3");
    direct["reservation"]["status"] = json!("confirmed");
    app.ingest(&direct).await;

    let key = app.account.api_key.clone();
    let res = app
        .ingest_reservation(&key, &reservation("booked", "confirmed"))
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let items = recently_confirmed(&app, &ana).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], booked.as_str());
    assert_eq!(
        items[0]["replied_before_booking"],
        json!([{"id": ana.user_id, "name": "Ana Silva"}])
    );
    let _ = waiting;
    let counts = app.view_counts(&manager).ok().await;
    let count = counts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["view"] == "recently_confirmed")
        .unwrap()["count"]
        .clone();
    assert_eq!(count, 1);
    // Other lists do not carry the repliers.
    let all = app.tickets(&ana, &[("view", "all")]).ok().await;
    assert!(all["items"][0].get("replied_before_booking").is_none());

    // Its history moved eight days back: out of the default seven-day window, in a ten-day one.
    for sql in [
        "UPDATE reservation_status_changes SET changed_at = changed_at - interval '8 days' \
         WHERE reservation_id = (SELECT id FROM reservations WHERE external_id = 'r-booked')",
        "UPDATE reservations SET confirmed_at = confirmed_at - interval '8 days' \
         WHERE external_id = 'r-booked'",
    ] {
        sqlx::query(sql).execute(&app.pool).await.unwrap();
    }
    assert!(recently_confirmed(&app, &manager).await.is_empty());
    let account = app
        .patch_account(&manager, &json!({"recently_confirmed_days": 10}))
        .ok()
        .await;
    assert_eq!(account["recently_confirmed_days"], 10);
    assert_eq!(recently_confirmed(&app, &manager).await.len(), 1);

    // Out of range is refused and changes nothing; another account sees nothing.
    for days in [json!(0), json!(91), json!("7")] {
        let res = app
            .patch_account(&manager, &json!({"recently_confirmed_days": days}))
            .await;
        assert_eq!(res.status(), 400, "{days}");
    }
    assert_eq!(
        app.account(&manager).ok().await["recently_confirmed_days"],
        10
    );
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    assert!(recently_confirmed(&app, &stranger).await.is_empty());
    let res = app
        .tickets(&stranger, &[("view", "recently_confirmd")])
        .await;
    assert_eq!(assert_error(res, 400).await, "invalid_query");
}
