//! Follow-ups (issue 14): an agent parks a ticket until a time; it leaves the working tabs
//! and the agent's load, shows in `follow_ups`, and comes back at its time to the same
//! agent when they are working (else through dispatching) with reason `follow_up`. Bad
//! input changes nothing; another account sees nothing. The delays are a few seconds, not a
//! test clock: the sweeper looks once a second.

use crate::helpers::{assert_error, inquiry, spawn_app, Session, TestApp};
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

/// The ids of the tickets `user` sees in `view`.
async fn in_view(app: &TestApp, user: &Session, view: &str) -> Vec<String> {
    let page = app.tickets(user, &[("view", view)]).ok().await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

/// A follow-up `seconds` from now.
fn in_seconds(seconds: i64, note: &str) -> Value {
    let at = (Utc::now() + Duration::seconds(seconds)).to_rfc3339_opts(SecondsFormat::Millis, true);
    json!({ "at": at, "note": note })
}

/// The count of `view` in `GET /tickets/counts`.
async fn count_of(app: &TestApp, user: &Session, view: &str) -> i64 {
    let counts = app.view_counts(user).ok().await;
    counts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["view"] == view)
        .unwrap_or_else(|| panic!("no {view} in {counts}"))["count"]
        .as_i64()
        .unwrap()
}

#[actix_web::test]
async fn a_parked_ticket_leaves_the_working_tabs_and_comes_back_to_the_same_agent_at_its_time() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana Silva", json!({})).await;
    let mut bruno = app.working_agent("Bruno Costa", json!({})).await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    let first = ana.ws.expect("ticket.assigned").await;
    assert_eq!(first["ticket"]["id"], id.as_str());
    app.open(&ana, &id).ok().await;
    app.reply(&ana, &id, "Let me check with the owner.")
        .ok()
        .await;

    let parked = app
        .follow_up(&ana, &id, &in_seconds(3, "Ask the owner again"))
        .ok()
        .await;
    assert_eq!(parked["follow_up_note"], "Ask the owner again");
    assert!(parked["follow_up_at"].is_string());
    assert_eq!(
        parked["views"],
        json!(["all", "follow_ups"]),
        "out of the working tabs, in follow_ups"
    );
    // The open and the reply were pushed before; the parking is the first to leave only All.
    let mut updated = ana.ws.expect("ticket.updated").await;
    while updated["ticket"]["follow_up_at"].is_null() {
        updated = ana.ws.expect("ticket.updated").await;
    }
    assert_eq!(updated["ticket"]["views"], json!(["all", "follow_ups"]));
    assert!(in_view(&app, &ana, "mine").await.is_empty());
    assert_eq!(in_view(&app, &ana, "follow_ups").await, vec![id.clone()]);
    assert_eq!(
        in_view(&app, &manager, "follow_ups").await,
        vec![id.clone()]
    );
    assert!(
        in_view(&app, &bruno, "follow_ups").await.is_empty(),
        "not Bruno's"
    );
    assert_eq!(count_of(&app, &ana, "follow_ups").await, 1);

    // Ana is busier than Bruno when it comes back; it comes back to her all the same.
    let other = app.ingest(&inquiry("other", "m2")).await.ticket_id;
    let to_bruno = bruno.ws.expect("ticket.assigned").await;
    assert_eq!(
        to_bruno["ticket"]["id"],
        other.as_str(),
        "Ana's parked ticket is no load"
    );
    let busy = app.ingest(&inquiry("busy", "m3")).await.ticket_id;
    let to_ana = ana.ws.expect("ticket.assigned").await;
    assert_eq!(to_ana["ticket"]["id"], busy.as_str());

    let back = ana.ws.expect("ticket.assigned").await;
    assert_eq!(back["ticket"]["id"], id.as_str());
    assert_eq!(back["reason"], "follow_up");
    assert_eq!(back["ticket"]["follow_up_at"], Value::Null);
    assert_eq!(back["ticket"]["state"], "assigned");
    assert!(in_view(&app, &ana, "mine").await.contains(&id));
    assert!(in_view(&app, &ana, "follow_ups").await.is_empty());
    let log = app.activity(&manager, &id).ok().await;
    let kinds: Vec<(&str, Option<&str>)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["reason"].as_str()))
        .collect();
    assert!(kinds.contains(&("ticket.follow_up", None)), "{kinds:?}");
    assert!(
        kinds.contains(&("ticket.assigned", Some("follow_up"))),
        "{kinds:?}"
    );
}

#[actix_web::test]
async fn a_follow_up_whose_agent_stopped_working_is_dispatched_to_another() {
    let app = spawn_app().await;
    let mut ana = app.working_agent("Ana Silva", json!({})).await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    app.follow_up(&ana, &id, &in_seconds(2, "")).ok().await;
    app.stop_timer(&ana).ok().await;
    let mut bruno = app.working_agent("Bruno Costa", json!({})).await;
    let back = bruno.ws.expect("ticket.assigned").await;
    assert_eq!(back["ticket"]["id"], id.as_str());
    assert_eq!(back["reason"], "follow_up");
}

#[actix_web::test]
async fn a_guest_who_writes_again_brings_the_parked_ticket_back_at_once() {
    let app = spawn_app().await;
    let mut ana = app.working_agent("Ana Silva", json!({})).await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    app.reply(&ana, &id, "Checking.").ok().await;
    app.follow_up(&ana, &id, &in_seconds(3600, "Tomorrow"))
        .ok()
        .await;
    let mut again = inquiry("guest", "m2");
    again["body"] = json!("Any news?");
    assert_eq!(app.ingest(&again).await.ticket_id, id);
    let back = ana.ws.expect("ticket.assigned").await;
    assert_eq!(back["ticket"]["id"], id.as_str());
    assert_eq!(back["reason"], "follow_up");
    assert_eq!(back["ticket"]["unanswered"], true);
}

#[actix_web::test]
async fn bad_follow_ups_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana Silva", json!({})).await;
    let bruno = app.agent("Bruno Costa", json!({})).await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;

    let far = (Utc::now() + Duration::days(400)).to_rfc3339();
    for (body, code) in [
        (in_seconds(-60, "too late"), "invalid_input"),
        (json!({"at": far, "note": ""}), "invalid_input"),
        (in_seconds(60, &"x".repeat(2001)), "text_too_long"),
        (in_seconds(60, "a\u{0}b"), "invalid_input"),
        (json!({"at": "tomorrow", "note": ""}), "invalid_json"),
        (json!({"note": "no time"}), "invalid_json"),
        (
            json!({"at": Utc::now().to_rfc3339(), "note": "", "extra": 1}),
            "invalid_json",
        ),
    ] {
        let res = app.follow_up(&ana, &id, &body).await;
        assert_eq!(assert_error(res, 400).await, code, "{body}");
    }
    // Not hers: another agent is refused; an unknown id and another account's ticket are
    // not found.
    let res = app.follow_up(&bruno, &id, &in_seconds(60, "")).await;
    assert_eq!(assert_error(res, 403).await, "forbidden");
    let res = app.follow_up(&ana, "999999", &in_seconds(60, "")).await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    let res = app.follow_up(&stranger, &id, &in_seconds(60, "")).await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    assert!(in_view(&app, &stranger, "follow_ups").await.is_empty());

    let ticket = app.ticket(&manager, &id).ok().await;
    assert_eq!(ticket["follow_up_at"], Value::Null);
    assert_eq!(ticket["views"], json!(["unanswered", "all"]));
    assert!(in_view(&app, &manager, "follow_ups").await.is_empty());

    // A done ticket cannot be parked.
    app.mark_done(&ana, &id).ok().await;
    let res = app.follow_up(&manager, &id, &in_seconds(60, "")).await;
    assert_eq!(assert_error(res, 422).await, "invalid_state");
}
