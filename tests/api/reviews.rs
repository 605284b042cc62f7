//! Guest reviews: ingested once per channel review id, refused whole when anything is wrong,
//! and counted in reports for the agent who answered the stay most.

use crate::helpers::{assert_error, inquiry, spawn_app, TestApp};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

fn review(external_id: &str, reservation: &str, overall: Value, communication: Value) -> Value {
    json!({
        "channel": "airbnb", "external_id": external_id, "reservation_external_id": reservation,
        "overall": overall, "categories": {"communication": communication, "cleanliness": 5},
        "text": "Great host, quick answers.", "submitted_at": Utc::now().to_rfc3339()
    })
}

async fn stored_reviews(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM reviews")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Reports for the last hour.
fn last_hour() -> [(&'static str, String); 2] {
    [
        ("from", (Utc::now() - Duration::hours(1)).to_rfc3339()),
        ("to", (Utc::now() + Duration::seconds(1)).to_rfc3339()),
    ]
}

#[actix_web::test]
async fn reviews_are_credited_to_the_agent_who_answered_the_stay_most() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana", json!({})).await;
    let key = app.account.api_key.clone();

    // Stay 1: Ana answers twice, the manager once. Stay 2: one reply each, the manager last.
    let first = app.ingest(&inquiry("one", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    app.reply(&ana, &first, "Yes, it is free.").ok().await;
    app.reply(&ana, &first, "Anything else?").ok().await;
    app.reply(&manager, &first, "Welcome!").ok().await;
    let second = app.ingest(&inquiry("two", "m2")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    app.reply(&ana, &second, "Hello!").ok().await;
    app.reply(&manager, &second, "Happy to help.").ok().await;

    let res = app
        .ingest_review(&key, &review("rev-1", "r-one", json!(5), json!(4)))
        .await;
    assert_eq!(res.status(), 202);
    let created: Value = res.json().await.unwrap();
    assert!(created["review_id"].is_string());
    // The same review again (even changed) answers the same id and changes nothing.
    let res = app
        .ingest_review(&key, &review("rev-1", "r-one", json!(1), json!(1)))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), created);
    app.ingest_review(&key, &review("rev-2", "r-two", json!(3), json!(2)))
        .ok()
        .await;
    app.ingest_review(&key, &review("rev-3", "r-one", json!(4), Value::Null))
        .ok()
        .await;
    // Submitted two days ago: outside the period.
    let mut old = review("rev-4", "r-two", json!(1), json!(1));
    old["submitted_at"] = json!((Utc::now() - Duration::days(2)).to_rfc3339());
    app.ingest_review(&key, &old).ok().await;
    assert_eq!(stored_reviews(&app).await, 4);

    let period = last_hour();
    let query = [("from", period[0].1.as_str()), ("to", period[1].1.as_str())];
    let report = app.agents_report(&manager, &query).ok().await;
    let row = |id: &str| {
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["agent_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no row for {id}: {report}"))
    };
    let ana_row = row(&ana.user_id);
    assert_eq!(
        (
            ana_row["reviews"].clone(),
            ana_row["communication_score_avg"].clone()
        ),
        (json!(2), json!(4.0)),
        "stay 1 twice (one review without a communication score)"
    );
    let manager_row = row(&manager.user_id);
    assert_eq!(
        (
            manager_row["reviews"].clone(),
            manager_row["communication_score_avg"].clone()
        ),
        (json!(1), json!(2.0)),
        "stay 2: a tie, and the manager replied last"
    );
    let team = app.team_report(&manager, &query).ok().await;
    assert_eq!(team["current"]["reviews"], 3);
    assert_eq!(team["current"]["communication_score_avg"], 3.0);

    let csv = app
        .team_report_csv(&manager, &query)
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.ends_with(",tickets_per_work_hour,reviews,communication_score_avg,returned,remarketing_tries,remarketing_booked"),
        "{header}"
    );
    let team_line = lines.next().unwrap();
    assert!(team_line.ends_with(",3,3,0,0,0"), "{team_line}");
}

#[actix_web::test]
async fn bad_reviews_answer_400_and_change_nothing() {
    let app = spawn_app().await;
    let key = app.account.api_key.clone();
    app.ingest(&inquiry("one", "m1")).await;
    let good = review("rev-1", "r-one", json!(5), json!(5));
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let mut long_text = good.clone();
    long_text["text"] = json!("x".repeat(10_001));
    let mut bad_category = good.clone();
    bad_category["categories"]["communication"] = json!(6);
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("overall");
    for (body, code) in [
        (with("overall", json!(0)), "invalid_score"),
        (with("overall", json!(6)), "invalid_score"),
        (with("overall", json!(4.5)), "invalid_score"),
        (with("overall", json!("5")), "invalid_score"),
        (missing, "invalid_score"),
        (bad_category, "invalid_score"),
        (long_text, "text_too_long"),
        (
            with("reservation_external_id", json!("r-nobody")),
            "unknown_reservation",
        ),
        (with("channel", json!("pigeon post")), "invalid_input"),
        // The reservation is on another channel.
        (with("channel", json!("vrbo")), "unknown_reservation"),
        (
            with(
                "submitted_at",
                json!((Utc::now() + Duration::hours(1)).to_rfc3339()),
            ),
            "invalid_input",
        ),
    ] {
        let res = app.ingest_review(&key, &body).await;
        assert_eq!(assert_error(res, 400).await, code, "{body}");
    }
    // Another account's key cannot review this account's reservation.
    let other = app.create_account("other").await;
    let foreign = app.ingest_review(&other.api_key, &good).await;
    assert_eq!(assert_error(foreign, 400).await, "unknown_reservation");
    let res = app.ingest_review("not-a-key", &good).await;
    assert_eq!(assert_error(res, 401).await, "unauthorized");
    assert_eq!(stored_reviews(&app).await, 0);

    // Nothing was half-stored: the good review is new afterwards.
    let res = app.ingest_review(&key, &good).await;
    assert_eq!(res.status(), 202);
}
