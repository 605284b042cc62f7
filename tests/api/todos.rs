//! To-dos on a ticket, its mood, and the guest views that read them (issue 14, part):
//! `todos`, `waiting_refunds`, `awaiting_payment` and `staying_unhappy`, each built through
//! ingest and the API.

use crate::helpers::{assert_error, inquiry, spawn_app, Session, TestApp};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// The ids of the tickets `user` sees in `view`, sorted.
async fn in_view(app: &TestApp, user: &Session, view: &str) -> Vec<String> {
    let page = app.tickets(user, &[("view", view)]).ok().await;
    let mut ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// A first message of `guest` whose reservation is `status`, paid `payment` (or not said),
/// staying from `check_in` for `nights`.
fn stay_message(
    guest: &str,
    status: &str,
    payment: Option<&str>,
    check_in: i64,
    nights: i64,
) -> Value {
    let today = Utc::now().date_naive();
    let mut m = inquiry(guest, &format!("m-{guest}"));
    m["reservation"]["status"] = json!(status);
    m["reservation"]["check_in"] = json!((today + Duration::days(check_in)).to_string());
    m["reservation"]["check_out"] = json!((today + Duration::days(check_in + nights)).to_string());
    if let Some(p) = payment {
        m["reservation"]["payment_status"] = json!(p);
    }
    m
}

#[actix_web::test]
async fn todos_are_added_changed_and_deleted_live_by_anyone_who_reads_the_ticket() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut board = app.open_tab(&manager).await;
    let mut ana = app.working_agent("Ana Silva", json!({})).await;
    let bruno = app.agent("Bruno Costa", json!({})).await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;

    // Another agent of the account may add one to Ana's ticket; Ana and the managers see it.
    let due = "2026-01-02T10:00:00Z";
    let res = app
        .add_todo(
            &bruno,
            &id,
            &json!({"title": "  Refund the cleaning fee ", "kind": "refund", "due_at": due}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let todo: Value = res.json().await.unwrap();
    assert_eq!(todo["title"], "Refund the cleaning fee");
    assert_eq!(todo["kind"], "refund");
    assert_eq!(todo["due_at"], due);
    assert_eq!(todo["done"], false);
    assert_eq!(todo["ticket_id"], id.as_str());
    assert_eq!(todo["created_by"], bruno.user_id.as_str());
    assert!(todo["created_at"].is_string());
    for ws in [&mut ana.ws, &mut board] {
        let frame = ws.expect("todo.updated").await;
        assert_eq!(frame["ticket_id"], id.as_str());
        assert_eq!(frame["todo"]["id"], todo["id"]);
    }

    let todo_id = todo["id"].as_str().unwrap();
    let ticked = app
        .update_todo(&ana, &id, todo_id, &json!({"done": true, "due_at": null}))
        .ok()
        .await;
    assert_eq!(ticked["done"], true);
    assert_eq!(ticked["due_at"], Value::Null);
    assert_eq!(ticked["title"], "Refund the cleaning fee");
    assert_eq!(board.expect("todo.updated").await["todo"]["done"], true);

    let second = app
        .add_todo(
            &manager,
            &id,
            &json!({"title": "Call the owner", "kind": "task"}),
        )
        .ok()
        .await;
    let list = app.todos(&ana, &id).ok().await;
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(ids, vec![&todo["id"], &second["id"]], "oldest first");

    let gone = app.delete_todo(&ana, &id, todo_id).await;
    assert_eq!(gone.status(), 204);
    let frame = board.expect("todo.deleted").await;
    assert_eq!(frame["todo_id"], todo["id"]);
    assert_eq!(frame["ticket_id"], id.as_str());
    let again = app.delete_todo(&ana, &id, todo_id).await;
    assert_eq!(assert_error(again, 404).await, "not_found");
    assert_eq!(
        app.todos(&ana, &id).ok().await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[actix_web::test]
async fn bad_todos_are_refused_and_another_accounts_ticket_is_not_found() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;

    for (body, code) in [
        (json!({"title": " ", "kind": "task"}), "invalid_input"),
        (json!({"title": "a\u{0}b", "kind": "task"}), "invalid_input"),
        (
            json!({"title": "x".repeat(201), "kind": "task"}),
            "text_too_long",
        ),
        (
            json!({"title": "Refund", "kind": "chore"}),
            "unknown_todo_kind",
        ),
    ] {
        let res = app.add_todo(&manager, &id, &body).await;
        assert_eq!(assert_error(res, 400).await, code, "{body}");
    }
    let ok = app
        .add_todo(
            &manager,
            &id,
            &json!({"title": "é".repeat(200), "kind": "follow_up"}),
        )
        .ok()
        .await;
    let todo_id = ok["id"].as_str().unwrap();
    let bad_kind = app
        .update_todo(&manager, &id, todo_id, &json!({"kind": "later"}))
        .await;
    assert_eq!(assert_error(bad_kind, 400).await, "unknown_todo_kind");
    let bad_title = app
        .update_todo(&manager, &id, todo_id, &json!({"title": ""}))
        .await;
    assert_eq!(assert_error(bad_title, 400).await, "invalid_input");

    let unknown = app.todos(&manager, "999999").await;
    assert_eq!(assert_error(unknown, 404).await, "not_found");

    // Another account's manager cannot tell the ticket or its to-dos exist.
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    for res in [
        app.todos(&stranger, &id).await,
        app.add_todo(&stranger, &id, &json!({"title": "x", "kind": "task"}))
            .await,
        app.update_todo(&stranger, &id, todo_id, &json!({"done": true}))
            .await,
        app.delete_todo(&stranger, &id, todo_id).await,
        app.set_mood(&stranger, &id, &json!(2)).await,
    ] {
        assert_eq!(assert_error(res, 404).await, "not_found");
    }
    let list = app.todos(&manager, &id).ok().await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["done"], false);
}

#[actix_web::test]
async fn my_todos_and_waiting_refunds_hold_tickets_with_open_todos() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana Silva", json!({})).await;
    let bruno = app.agent("Bruno Costa", json!({})).await;
    let anas = app.ingest(&inquiry("anas", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    // Ana keeps her ticket but takes no more.
    app.pause_intake(&ana).ok().await;
    let queued = app.ingest(&inquiry("queued", "m2")).await.ticket_id;
    let untouched = app.ingest(&inquiry("untouched", "m3")).await.ticket_id;

    // A task on Ana's ticket (by the manager) and a refund Bruno wrote on a queued one.
    let task = app
        .add_todo(
            &manager,
            &anas,
            &json!({"title": "Send the door code", "kind": "task"}),
        )
        .ok()
        .await;
    let refund = app
        .add_todo(
            &bruno,
            &queued,
            &json!({"title": "Refund 40 EUR", "kind": "refund"}),
        )
        .ok()
        .await;

    assert_eq!(in_view(&app, &ana, "todos").await, sorted(&[&anas]));
    assert_eq!(in_view(&app, &bruno, "todos").await, sorted(&[&queued]));
    assert_eq!(
        in_view(&app, &manager, "todos").await,
        sorted(&[&anas]),
        "the manager wrote it"
    );
    assert_eq!(
        in_view(&app, &ana, "waiting_refunds").await,
        sorted(&[&queued])
    );
    assert_eq!(
        in_view(&app, &manager, "waiting_refunds").await,
        sorted(&[&queued])
    );
    assert!(!in_view(&app, &manager, "all").await.is_empty());
    let _ = untouched;

    // Done to-dos leave both views.
    let refund_id = refund["id"].as_str().unwrap();
    app.update_todo(&bruno, &queued, refund_id, &json!({"done": true}))
        .ok()
        .await;
    assert!(in_view(&app, &manager, "waiting_refunds").await.is_empty());
    assert!(in_view(&app, &bruno, "todos").await.is_empty());
    let task_id = task["id"].as_str().unwrap();
    app.update_todo(&ana, &anas, task_id, &json!({"done": true}))
        .ok()
        .await;
    assert!(in_view(&app, &ana, "todos").await.is_empty());

    // Another account sees none of it.
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    app.update_todo(&bruno, &queued, refund_id, &json!({"done": false}))
        .ok()
        .await;
    assert!(in_view(&app, &stranger, "waiting_refunds").await.is_empty());
}

#[actix_web::test]
async fn awaiting_payment_holds_confirmed_stays_not_fully_paid_and_follows_reservations() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let pending = app
        .ingest(&stay_message(
            "pending",
            "confirmed",
            Some("pending"),
            10,
            3,
        ))
        .await
        .ticket_id;
    let partial = app
        .ingest(&stay_message(
            "partial",
            "confirmed",
            Some("partial"),
            10,
            3,
        ))
        .await
        .ticket_id;
    app.ingest(&stay_message("paid", "confirmed", Some("paid"), 10, 3))
        .await;
    app.ingest(&stay_message("unsaid", "confirmed", None, 10, 3))
        .await;
    app.ingest(&stay_message("asking", "inquiry", Some("pending"), 10, 3))
        .await;

    assert_eq!(
        in_view(&app, &manager, "awaiting_payment").await,
        sorted(&[&pending, &partial])
    );

    // The payment completes through the reservation feed: the ticket leaves the view.
    let today = Utc::now().date_naive();
    let paid = json!({
        "channel": "airbnb", "external_id": "r-partial", "status": "confirmed",
        "listing_external_id": "l-1",
        "check_in": (today + Duration::days(10)).to_string(),
        "check_out": (today + Duration::days(13)).to_string(),
        "payment_status": "paid"
    });
    let res = app.ingest_reservation(&app.account.api_key, &paid).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        in_view(&app, &manager, "awaiting_payment").await,
        sorted(&[&pending])
    );
}

#[actix_web::test]
async fn the_latest_mood_wins_whoever_set_it_and_staying_unhappy_holds_unhappy_guests_staying_now()
{
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = app.agent("Ana Silva", json!({})).await;

    // The bridge says the guest staying now is unhappy.
    let mut grumpy = stay_message("grumpy", "confirmed", Some("paid"), -1, 3);
    grumpy["mood"] = json!(2);
    let grumpy = app.ingest(&grumpy).await.ticket_id;
    let ticket = app.ticket(&manager, &grumpy).ok().await;
    assert_eq!(ticket["mood"], 2);
    assert_eq!(ticket["mood_set_by"], Value::Null, "set by the bridge");
    assert!(ticket["mood_set_at"].is_string());

    // Staying but happy; unhappy but arriving tomorrow; unhappy and leaving today.
    let mut happy = stay_message("happy", "confirmed", None, 0, 2);
    happy["mood"] = json!(4);
    let happy = app.ingest(&happy).await.ticket_id;
    let mut arriving = stay_message("arriving", "confirmed", None, 1, 2);
    arriving["mood"] = json!(1);
    app.ingest(&arriving).await;
    let mut leaving = stay_message("leaving", "confirmed", None, -3, 3);
    leaving["mood"] = json!(1);
    app.ingest(&leaving).await;

    assert_eq!(
        in_view(&app, &manager, "staying_unhappy").await,
        sorted(&[&grumpy])
    );

    // An agent sets the happy guest's mood to 3: now they are in; the latest value wins.
    let res = app.set_mood(&agent, &happy, &json!(3)).await;
    assert_eq!(res.status(), 204);
    let ticket = app.ticket(&manager, &happy).ok().await;
    assert_eq!(ticket["mood"], 3);
    assert_eq!(ticket["mood_set_by"], agent.user_id.as_str());
    assert_eq!(
        in_view(&app, &agent, "staying_unhappy").await,
        sorted(&[&grumpy, &happy])
    );

    // A later bridge message on the grumpy thread cheers the ticket up: it leaves the view.
    let mut later = stay_message("grumpy", "confirmed", Some("paid"), -1, 3);
    later["message_external_id"] = json!("m-grumpy-2");
    later["mood"] = json!(5);
    assert_eq!(app.ingest(&later).await.ticket_id, grumpy);
    assert_eq!(app.ticket(&manager, &grumpy).ok().await["mood"], 5);
    assert_eq!(
        in_view(&app, &manager, "staying_unhappy").await,
        sorted(&[&happy])
    );

    // Out of range, by API or ingest, is refused and changes nothing.
    for bad in [json!(0), json!(6), json!(2.5), json!("3")] {
        let res = app.set_mood(&manager, &happy, &bad).await;
        assert_eq!(res.status(), 400, "{bad}");
    }
    let res = app.set_mood(&manager, &happy, &json!(6)).await;
    assert_eq!(assert_error(res, 400).await, "invalid_mood");
    let mut wild = stay_message("wild", "confirmed", None, 0, 2);
    wild["mood"] = json!(9);
    let res = app.ingest_message(&app.account.api_key, &wild).await;
    assert_eq!(res.status(), 400);
    assert_eq!(app.ticket(&manager, &happy).ok().await["mood"], 3);
}

/// The count of each guest view in `GET /tickets/counts`, by view name.
async fn counts(app: &TestApp, user: &Session) -> Vec<(String, i64)> {
    let answer = app.view_counts(user).ok().await;
    assert_eq!(answer["capped_at"], 1000);
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["capped"], false);
            (
                c["view"].as_str().unwrap().to_string(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn the_guest_views_counts_match_their_lists_and_stay_in_the_account() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let bruno = app.agent("Bruno Costa", json!({})).await;
    let refunded = app.ingest(&inquiry("refunded", "m1")).await.ticket_id;
    app.ingest(&stay_message("unpaid", "confirmed", Some("pending"), 10, 3))
        .await;
    app.add_todo(
        &bruno,
        &refunded,
        &json!({"title": "Refund 40 EUR", "kind": "refund"}),
    )
    .ok()
    .await;
    let expect = |todos: i64| {
        vec![
            ("follow_ups".to_string(), 0),
            ("overbooking".to_string(), 0),
            ("recently_confirmed".to_string(), 0),
            ("todos".to_string(), todos),
            ("waiting_refunds".to_string(), 1),
            ("awaiting_payment".to_string(), 1),
            ("staying_unhappy".to_string(), 0),
        ]
    };
    assert_eq!(
        counts(&app, &bruno).await,
        expect(1),
        "Bruno wrote the to-do"
    );
    assert_eq!(counts(&app, &manager).await, expect(0));
    for (view, count) in counts(&app, &manager).await {
        assert_eq!(
            in_view(&app, &manager, &view).await.len() as i64,
            count,
            "{view}"
        );
    }
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    assert!(counts(&app, &stranger).await.iter().all(|(_, n)| *n == 0));
    let res = app.view_counts(&Session::anonymous()).await;
    assert_eq!(res.status(), 401);
}
