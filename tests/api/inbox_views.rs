//! The server says which inbox views each ticket belongs to, for whoever receives it, in
//! lists, ticket answers and frames alike; the browser never works it out itself.

use crate::helpers::{assert_error, inquiry, spawn_app};
use serde_json::{json, Value};

/// The guest names of a page of tickets, in order.
fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["guest"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn views(ticket: &Value) -> Vec<&str> {
    ticket["views"]
        .as_array()
        .unwrap_or_else(|| panic!("no views in {ticket}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn every_ticket_says_which_views_it_is_in_for_its_reader() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("ana", json!({})).await;
    let other = app.agent("rui", json!({})).await;
    let id = app.ingest(&inquiry("zoe", "m1")).await.ticket_id;

    let pushed = ana.ws.expect("ticket.assigned").await;
    assert_eq!(views(&pushed["ticket"]), ["unanswered", "mine", "all"]);
    let list = app.tickets(&ana, &[("view", "unanswered")]).ok().await;
    assert_eq!(views(&list["items"][0]), ["unanswered", "mine", "all"]);
    let theirs = app.tickets(&other, &[("view", "all")]).ok().await;
    assert_eq!(views(&theirs["items"][0]), ["all"], "someone else's ticket");
    let managed = app.ticket(&manager, &id).ok().await;
    assert_eq!(views(&managed), ["unanswered", "all"]);

    let answered = app.reply(&ana, &id, "Yes, it is free").ok().await;
    assert_eq!(views(&answered), ["mine", "all"]);
    let updated = ana.ws.expect("ticket.updated").await;
    assert_eq!(views(&updated["ticket"]), ["mine", "all"]);
    let done = app.mark_done(&ana, &id).ok().await;
    assert_eq!(views(&done), ["done", "all"]);
}

#[actix_web::test]
async fn a_status_outside_the_view_lists_nothing_and_a_nul_is_refused() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    app.ingest(&inquiry("zoe", "m1")).await;
    let queued = app
        .tickets(&manager, &[("view", "queued"), ("status", "queued")])
        .ok()
        .await;
    assert_eq!(queued["items"].as_array().unwrap().len(), 1);
    let none = app
        .tickets(&manager, &[("view", "pending"), ("status", "queued")])
        .ok()
        .await;
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["next_cursor"], Value::Null);
    let res = app
        .tickets(&manager, &[("view", "all"), ("q", "zo\0e")])
        .await;
    assert_eq!(assert_error(res, 400).await, "invalid_query");
}

#[actix_web::test]
async fn a_pending_ticket_waits_for_a_manager_and_leaves_the_unanswered_tab() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("ana", json!({})).await;
    let id = app.ingest(&inquiry("zoe", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;

    let pending = app
        .mark_pending(&ana, &id, "Refund above my limit")
        .ok()
        .await;
    assert_eq!(pending["unanswered"], true, "nobody has answered the guest");
    assert_eq!(views(&pending), ["mine", "pending", "all"]);
    let unanswered = app.tickets(&ana, &[("view", "unanswered")]).ok().await;
    assert_eq!(unanswered["items"], json!([]));
    let managed = app.ticket(&manager, &id).ok().await;
    assert_eq!(views(&managed), ["pending", "all"]);
}

#[actix_web::test]
async fn search_folds_accents_and_takes_a_reservation_id_as_the_list_shows_it() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    app.ingest(&inquiry("Zoë Duval", "m1")).await;
    app.ingest(&inquiry("Ana", "m2")).await;

    for q in ["zoe", "ZOË", "Zoe Duval", "#r-Zoë Duval", "  #r-Ana "] {
        let page = app
            .tickets(&manager, &[("view", "all"), ("q", q)])
            .ok()
            .await;
        let want = if q.contains("Ana") {
            "Ana"
        } else {
            "Zoë Duval"
        };
        assert_eq!(names(&page), [want], "searching {q:?}");
    }
}

#[actix_web::test]
async fn each_listed_ticket_previews_its_newest_message() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("ana", json!({})).await;
    let id = app.ingest(&inquiry("zoe", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    let long = "Yes, it is free. ".repeat(20);
    let answered = app.reply(&ana, &id, &long).ok().await;

    let list = app.tickets(&manager, &[("view", "all")]).ok().await;
    // The list, the reply's own answer and the frame pushed to the assignee all preview the
    // reply (the answer and the frame come from the reply's one statement, read before it).
    let pushed = ana.ws.expect("ticket.updated").await;
    for preview in [
        &list["items"][0]["last_message"],
        &answered["last_message"],
        &pushed["ticket"]["last_message"],
    ] {
        assert_eq!(preview["direction"], "outbound", "{preview}");
        assert_eq!(preview["body"].as_str().unwrap().chars().count(), 140);
        assert!(long.starts_with(preview["body"].as_str().unwrap()));
    }
}

/// Longest waiting first puts the guest whose oldest unanswered message is oldest at the top,
/// whatever order the tickets were created in, page after page; newest first is by creation.
#[actix_web::test]
async fn lists_sort_by_longest_waiting_or_newest_page_after_page() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let now = chrono::Utc::now();
    for (guest, minutes_ago) in [("ana", 10), ("ben", 30), ("cid", 5)] {
        let mut message = inquiry(guest, &format!("m-{guest}"));
        message["sent_at"] = json!((now - chrono::Duration::minutes(minutes_ago)).to_rfc3339());
        app.ingest(&message).await;
    }

    let newest = app.tickets(&manager, &[("view", "all")]).ok().await;
    assert_eq!(names(&newest), ["cid", "ben", "ana"]);
    let first = app
        .tickets(
            &manager,
            &[("view", "all"), ("sort", "waiting"), ("limit", "2")],
        )
        .ok()
        .await;
    assert_eq!(names(&first), ["ben", "ana"]);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let rest = app
        .tickets(
            &manager,
            &[("view", "all"), ("sort", "waiting"), ("cursor", &cursor)],
        )
        .ok()
        .await;
    assert_eq!(names(&rest), ["cid"]);

    let other_order = app
        .tickets(&manager, &[("view", "all"), ("cursor", &cursor)])
        .await;
    assert_eq!(assert_error(other_order, 400).await, "invalid_cursor");
    let unknown = app
        .tickets(&manager, &[("view", "all"), ("sort", "oldest")])
        .await;
    assert_eq!(assert_error(unknown, 400).await, "invalid_query");
}

/// Latest activity first: a ticket goes to the top when its guest writes again or an agent
/// answers, page after page, with cursors of its own.
#[actix_web::test]
async fn latest_activity_first_brings_a_ticket_someone_wrote_on_to_the_top() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut rui = app.working_agent("rui", json!({})).await;
    let mut ids = std::collections::HashMap::new();
    for guest in ["ana", "ben", "cid", "dan"] {
        let id = app
            .ingest(&inquiry(guest, &format!("m-{guest}")))
            .await
            .ticket_id;
        rui.ws.expect("ticket.assigned").await;
        ids.insert(guest, id);
    }
    let by_activity = [("view", "all"), ("sort", "activity")];
    let activity = |limit: &'static str| {
        let mut query = by_activity.to_vec();
        query.push(("limit", limit));
        app.tickets(&manager, &query).ok()
    };
    assert_eq!(
        names(&activity("50").await),
        ["dan", "cid", "ben", "ana"],
        "by creation"
    );

    let mut again = inquiry("ana", "m-ana-2");
    again["body"] = json!("Is there parking, too?");
    app.ingest(&again).await;
    assert_eq!(names(&activity("50").await), ["ana", "dan", "cid", "ben"]);
    app.reply(&rui, &ids["ben"], "Yes, it is free").ok().await;
    let page = activity("50").await;
    assert_eq!(names(&page), ["ben", "ana", "dan", "cid"]);
    let at = |i: usize| {
        page["items"][i]["last_activity_at"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(at(0) >= at(1) && at(1) >= at(2), "{page}");
    // The newest first order is still by creation.
    let newest = app.tickets(&manager, &[("view", "all")]).ok().await;
    assert_eq!(names(&newest), ["dan", "cid", "ben", "ana"]);

    let first = activity("3").await;
    assert_eq!(names(&first), ["ben", "ana", "dan"]);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let rest = app
        .tickets(
            &manager,
            &[("view", "all"), ("sort", "activity"), ("cursor", &cursor)],
        )
        .ok()
        .await;
    assert_eq!(names(&rest), ["cid"]);
    assert_eq!(rest["next_cursor"], Value::Null);
    for other in ["newest", "waiting"] {
        let res = app
            .tickets(
                &manager,
                &[("view", "all"), ("sort", other), ("cursor", &cursor)],
            )
            .await;
        assert_eq!(assert_error(res, 400).await, "invalid_cursor", "{other}");
    }
}

#[actix_web::test]
async fn views_list_the_guest_views_too_and_follow_todos_and_reservations() {
    let app = spawn_app().await;
    let mut ana = app.working_agent("ana", json!({})).await;
    let rui = app.agent("rui", json!({})).await;
    // A confirmed stay not yet paid: awaiting_payment from the first frame on.
    let mut booked = inquiry("zoe", "m1");
    booked["reservation"]["status"] = json!("confirmed");
    booked["reservation"]["payment_status"] = json!("pending");
    let id = app.ingest(&booked).await.ticket_id;
    let pushed = ana.ws.expect("ticket.assigned").await;
    assert_eq!(
        views(&pushed["ticket"]),
        ["unanswered", "mine", "all", "awaiting_payment"]
    );

    // Rui writes a refund to-do on Ana's ticket: hers and his in `todos`, everyone's refund.
    app.add_todo(
        &rui,
        &id,
        &json!({"title": "Refund the fee", "kind": "refund"}),
    )
    .ok()
    .await;
    let ticket = app.ticket(&ana, &id).ok().await;
    assert_eq!(
        views(&ticket),
        [
            "unanswered",
            "mine",
            "all",
            "todos",
            "waiting_refunds",
            "awaiting_payment"
        ]
    );
    let rows = app.tickets(&rui, &[("view", "all")]).ok().await;
    assert_eq!(
        views(&rows["items"][0]),
        ["all", "todos", "waiting_refunds", "awaiting_payment"]
    );
    let manager = app.manager().await;
    assert_eq!(
        views(&app.ticket(&manager, &id).ok().await),
        ["unanswered", "all", "waiting_refunds", "awaiting_payment"],
        "not the manager's to-do"
    );

    // The payment completes through the reservation feed; Ana's reply's frame says so.
    let paid = json!({"channel": "airbnb", "external_id": "r-zoe", "status": "confirmed",
        "listing_external_id": "l-1", "payment_status": "paid"});
    let res = app.ingest_reservation(&app.account.api_key, &paid).await;
    assert_eq!(res.status(), 202);
    let replied = app.reply(&ana, &id, "Thanks, all paid.").ok().await;
    assert_eq!(views(&replied), ["mine", "all", "todos", "waiting_refunds"]);
    let mut updated = ana.ws.expect("ticket.updated").await;
    while updated["ticket"]["unanswered"] == true {
        updated = ana.ws.expect("ticket.updated").await;
    }
    assert_eq!(
        views(&updated["ticket"]),
        ["mine", "all", "todos", "waiting_refunds"]
    );
}
