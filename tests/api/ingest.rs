//! `POST /ingest/messages` and `/ingest/reservations`: idempotency, validation, isolation.

use crate::helpers::{assert_error, inquiry, spawn_app, TestApp};
use serde_json::{json, Value};

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[actix_web::test]
async fn the_same_message_twice_is_stored_once_with_the_same_ids() {
    let app = spawn_app().await;
    let key = &app.account.api_key;
    let body = inquiry("ana", "m-1");
    let first = app.ingest_message(key, &body).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    let again = app.ingest_message(key, &body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(count(&app, "SELECT count(*) FROM messages").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM tickets").await, 1);
}

#[actix_web::test]
async fn twenty_concurrent_duplicates_store_one_message() {
    let app = spawn_app().await;
    let body = inquiry("rush", "m-dup");
    let sends = (0..20).map(|_| async { app.ingest_message(&app.account.api_key, &body).await });
    let answers = futures_util::future::join_all(sends).await;
    let mut accepted = 0;
    let mut ids = Vec::new();
    for res in answers {
        match res.status().as_u16() {
            202 => accepted += 1,
            200 => {}
            other => panic!("unexpected status {other}"),
        }
        ids.push(res.json::<Value>().await.unwrap());
    }
    assert_eq!(accepted, 1, "exactly one delivery is new");
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "every answer names the same ids"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM messages").await, 1);
}

#[actix_web::test]
async fn concurrent_messages_on_a_new_thread_open_one_ticket() {
    let app = spawn_app().await;
    let app = &app;
    let sends = (0..10).map(|n| async move {
        let body = inquiry("crowd", &format!("m-{n}"));
        app.ingest_message(&app.account.api_key, &body)
            .await
            .status()
            .as_u16()
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    assert_eq!(count(app, "SELECT count(*) FROM messages").await, 10);
    assert_eq!(count(app, "SELECT count(*) FROM tickets").await, 1);
}

#[actix_web::test]
async fn stages_come_from_the_reservation() {
    let app = spawn_app().await;
    let created = app.ingest(&inquiry("shopper", "m1")).await;
    let t = app.ticket_as_manager(&created.ticket_id).await;
    assert_eq!(t["stage"], "pre_booking");
    assert_eq!(t["reservation"]["status"], "inquiry");
    let mut booked = inquiry("booker", "m2");
    booked["reservation"]["status"] = json!("confirmed");
    booked["reservation"]["check_in"] = json!("2099-03-01");
    booked["reservation"]["check_out"] = json!("2099-03-04");
    booked["reservation"]["total_price"] = json!(420.5);
    let created = app.ingest(&booked).await;
    let t = app.ticket_as_manager(&created.ticket_id).await;
    assert_eq!(t["stage"], "booked");
    assert_eq!(t["reservation"]["total_price"], 420.5);
    assert_eq!(t["messages"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_message_after_done_starts_a_new_ticket() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let first = app.ingest(&inquiry("again", "m1")).await;
    let id = &first.ticket_id;
    let agent = app.agent("closer", json!({})).await;
    assert_eq!(app.assign(&manager, id, &agent.user_id).await.status(), 200);
    assert_eq!(app.mark_done(&agent, id).await.status(), 200);
    let second = app.ingest(&inquiry("again", "m2")).await;
    assert_ne!(second.ticket_id, first.ticket_id);
    assert_eq!(second.thread_id, first.thread_id);
}

#[actix_web::test]
async fn bad_deliveries_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let key = app.account.api_key.clone();
    let mut missing = inquiry("x", "m1");
    missing.as_object_mut().unwrap().remove("guest");
    let mut wrong_type = inquiry("x", "m2");
    wrong_type["body"] = json!(42);
    let mut bad_channel = inquiry("x", "m3");
    bad_channel["channel"] = json!("carrier pigeon");
    let mut bad_time = inquiry("x", "m4");
    bad_time["sent_at"] = json!("yesterday");
    let mut future = inquiry("x", "m5");
    future["sent_at"] = json!("2999-01-01T00:00:00Z");
    for body in [missing, wrong_type, bad_time] {
        assert_eq!(
            assert_error(app.ingest_message(&key, &body).await, 400).await,
            "invalid_json"
        );
    }
    for body in [bad_channel, future] {
        assert_eq!(
            assert_error(app.ingest_message(&key, &body).await, 400).await,
            "invalid_input"
        );
    }
    let mut huge = inquiry("x", "m6");
    huge["body"] = json!("x".repeat(1_100_000));
    assert_eq!(
        assert_error(app.ingest_message(&key, &huge).await, 413).await,
        "payload_too_large"
    );
    assert_eq!(
        assert_error(
            app.ingest_message("sbk_wrong", &inquiry("x", "m7")).await,
            401
        )
        .await,
        "unauthorized"
    );
    let no_key = app.ingest_message_without_key(&inquiry("x", "m8")).await;
    assert_eq!(assert_error(no_key, 401).await, "unauthorized");
    assert_eq!(count(&app, "SELECT count(*) FROM messages").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM guests").await, 0);
}

#[actix_web::test]
async fn each_key_writes_only_into_its_own_account() {
    let app = spawn_app().await;
    let other = app.create_account("other").await;
    let theirs = app
        .ingest_message(&other.api_key, &inquiry("theirs", "m1"))
        .await;
    assert_eq!(theirs.status(), 202, "the other account's key works");
    let manager = app.manager().await;
    let ours = app.tickets(&manager, &[("view", "all")]).ok().await;
    assert!(ours["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn reservation_status_changes_are_recorded_with_their_time() {
    let app = spawn_app().await;
    let key = app.account.api_key.clone();
    let body = json!({"channel": "airbnb", "external_id": "r-9", "status": "inquiry", "listing_external_id": "l-1", "total_price": 300});
    assert_eq!(app.ingest_reservation(&key, &body).await.status(), 202);
    assert_eq!(
        app.ingest_reservation(&key, &body).await.status(),
        200,
        "nothing changed"
    );
    let mut confirmed = body.clone();
    confirmed["status"] = json!("confirmed");
    assert_eq!(app.ingest_reservation(&key, &confirmed).await.status(), 202);
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status FROM reservation_status_changes ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(statuses, vec!["inquiry", "confirmed"]);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM reservations WHERE confirmed_at IS NOT NULL"
        )
        .await,
        1
    );
    let mut bad = body.clone();
    bad["status"] = json!("maybe");
    assert_eq!(
        assert_error(app.ingest_reservation(&key, &bad).await, 400).await,
        "invalid_input"
    );
}

#[actix_web::test]
async fn a_later_message_refreshes_the_guest_and_the_listing_and_keeps_what_it_omits() {
    let app = spawn_app().await;
    let created = app.ingest(&inquiry("ana", "m1")).await;
    let mut later = inquiry("ana", "m2");
    later["guest"]["name"] = json!("Ana Silva");
    later["guest"]["email"] = json!("ana@example.test");
    later["reservation"]["listing_name"] = json!("Alfama Loft (renovated)");
    app.ingest(&later).await;
    let id = &created.ticket_id;
    let t = app.ticket_as_manager(id).await;
    assert_eq!(t["guest"]["name"], "Ana Silva");
    assert_eq!(t["guest"]["language"], "en");
    assert_eq!(t["reservation"]["listing"], "Alfama Loft (renovated)");
    // Sent again as stored, and without the optional fields: nothing changes.
    let mut same = later.clone();
    same["message_external_id"] = json!("m3");
    same["guest"].as_object_mut().unwrap().remove("language");
    same["reservation"]
        .as_object_mut()
        .unwrap()
        .remove("listing_name");
    app.ingest(&same).await;
    let t = app.ticket_as_manager(id).await;
    assert_eq!(t["guest"]["language"], "en");
    assert_eq!(t["reservation"]["listing"], "Alfama Loft (renovated)");
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM guests")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(email.as_deref(), Some("ana@example.test"));
}

#[actix_web::test]
async fn a_nul_character_in_any_text_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let mut message = inquiry("zoe", "m1");
    message["body"] = json!("Hi\u{0}there");
    let res = app.ingest_message(&app.account.api_key, &message).await;
    assert_eq!(assert_error(res, 400).await, "invalid_input");
    let mut message = inquiry("zoe", "m2");
    message["guest"]["name"] = json!("Zo\u{0}e");
    let res = app.ingest_message(&app.account.api_key, &message).await;
    assert_eq!(assert_error(res, 400).await, "invalid_input");
    assert_eq!(count(&app, "SELECT count(*) FROM messages").await, 0);
}

#[actix_web::test]
async fn a_message_sent_over_a_week_ago_is_refused_unless_it_is_history() {
    let app = spawn_app().await;
    let key = app.account.api_key.clone();
    let mut old = inquiry("late", "m-old");
    old["sent_at"] = json!((chrono::Utc::now() - chrono::Duration::days(8)).to_rfc3339());
    let res = app.ingest_message(&key, &old).await;
    assert_eq!(assert_error(res, 400).await, "sent_at_out_of_range");
    assert_eq!(count(&app, "SELECT count(*) FROM messages").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM guests").await, 0);

    old["sent_at"] = json!("1926-05-01T10:00:00Z");
    old["history"] = json!(true);
    let res = app.ingest_message(&key, &old).await;
    assert_eq!(assert_error(res, 400).await, "invalid_input", "before 1970");
    old["sent_at"] = json!((chrono::Utc::now() - chrono::Duration::days(400)).to_rfc3339());
    let stored = app.ingest_message(&key, &old).await;
    assert_eq!(stored.status(), 202);
    let stored: Value = stored.json().await.unwrap();
    assert_eq!(stored["ticket_id"], Value::Null, "history opens no ticket");
    let again = app.ingest_message(&key, &old).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap(), stored);
    assert_eq!(count(&app, "SELECT count(*) FROM tickets").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM events").await, 0);

    // The guest writes now: the new ticket's conversation shows the backfilled message first.
    let live = app.ingest(&inquiry("late", "m-now")).await;
    let t = app.ticket_as_manager(&live.ticket_id).await;
    let messages = t["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["ticket_id"], Value::Null);
    assert_eq!(messages[1]["ticket_id"], json!(live.ticket_id));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM events WHERE kind = 'message.received'"
        )
        .await,
        1,
        "only the live message counts"
    );
}

#[actix_web::test]
async fn years_postgresql_cannot_hold_are_refused_at_the_edge() {
    let app = spawn_app().await;
    let key = app.account.api_key.clone();
    let mut stay = inquiry("ancient", "m1");
    stay["reservation"]["check_in"] = json!("-5000-01-01");
    let res = app.ingest_message(&key, &stay).await;
    assert_eq!(assert_error(res, 400).await, "invalid_input");
    let mut backfill = inquiry("ancient", "m2");
    backfill["history"] = json!(true);
    backfill["sent_at"] = json!("-5000-01-01T00:00:00Z");
    let res = app.ingest_message(&key, &backfill).await;
    assert_eq!(res.status(), 400);
    assert_eq!(count(&app, "SELECT count(*) FROM messages").await, 0);

    let manager = app.manager().await;
    for query in [
        ("from", "-5000-01-01"),
        ("to", "-5000-01-01T00:00:00Z"),
        ("cursor", "-200000000000000000_1"),
    ] {
        let res = app.tickets(&manager, &[("view", "all"), query]).await;
        assert_eq!(res.status(), 400, "{query:?}");
    }
    let res = app
        .agents_report(&manager, &[("from", "-5000-01-01"), ("to", "2026-01-01")])
        .await;
    assert_eq!(assert_error(res, 400).await, "invalid_input");
}

/// Ingest remembers each account's settings for a few seconds; a change made through the API
/// is seen by the very next message. A stay that checks in today in Kiritimati (UTC+14) has
/// not begun yet anywhere on UTC-12, so the new ticket's stage tells which timezone was used.
#[actix_web::test]
async fn a_timezone_change_is_seen_by_the_next_message() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let set_timezone = |tz: &'static str| {
        let (app, manager) = (&app, &manager);
        async move {
            let res = app.patch_account(manager, &json!({ "timezone": tz })).await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        }
    };
    set_timezone("Pacific/Kiritimati").await;
    let today_there = (chrono::Utc::now() + chrono::Duration::hours(14)).date_naive();
    let staying = |guest: &str| {
        let mut m = inquiry(guest, &format!("m-{guest}"));
        m["reservation"]["status"] = json!("confirmed");
        m["reservation"]["check_in"] = json!(today_there.to_string());
        m["reservation"]["check_out"] =
            json!((today_there + chrono::Duration::days(3)).to_string());
        m
    };
    let first = app.ingest(&staying("east")).await;
    assert_eq!(
        app.ticket_as_manager(&first.ticket_id).await["stage"],
        "staying"
    );

    set_timezone("Etc/GMT+12").await;
    let second = app.ingest(&staying("west")).await;
    assert_eq!(
        app.ticket_as_manager(&second.ticket_id).await["stage"],
        "booked"
    );
}
