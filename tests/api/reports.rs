//! Reports with known times: each metric of SPEC §4 checked against a scripted day.

use crate::helpers::{assert_error, inquiry, spawn_app};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

fn close(actual: &Value, expected: f64, tolerance: f64) {
    let got = actual
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {actual}"));
    assert!(
        (got - expected).abs() <= tolerance,
        "expected {expected} ± {tolerance}, got {got}"
    );
}

#[actix_web::test]
async fn every_metric_of_a_scripted_day() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana", json!({})).await;
    let idle = app.agent("Idle", json!({})).await;

    // A guest wrote ten minutes ago (the channel's sent_at), with an inquiry worth 450.50.
    let mut first = inquiry("guest", "m1");
    first["sent_at"] = json!((Utc::now() - Duration::seconds(600)).to_rfc3339());
    first["reservation"]["total_price"] = json!(450.5);
    let id = app.ingest(&first).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    app.open(&ana, &id).ok().await;
    app.reply(&ana, &id, "Yes!").ok().await;
    // A second reply with no guest message between is not timed.
    app.reply(&ana, &id, "Anything else?").ok().await;
    // The guest answers now; Ana replies at once (within the 360 s SLA).
    let mut again = inquiry("guest", "m2");
    again["sent_at"] = json!(Utc::now().to_rfc3339());
    app.ingest(&again).await;
    app.reply(&ana, &id, "Booked for you.").ok().await;
    app.mark_done(&ana, &id).ok().await;
    // The inquiry converts.
    let confirmation = json!({"channel": "airbnb", "external_id": "r-guest", "status": "confirmed", "listing_external_id": "l-1", "total_price": 450.5});
    let res = app
        .ingest_reservation(&app.account.api_key, &confirmation)
        .await;
    assert_eq!(res.status(), 202);
    app.pause_intake(&ana).ok().await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    app.resume_intake(&ana).ok().await;

    let from = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let to = (Utc::now() + Duration::seconds(1)).to_rfc3339();
    let period = [("from", from.as_str()), ("to", to.as_str())];
    let report = app.agents_report(&manager, &period).ok().await;
    let rows = report["items"].as_array().unwrap();
    let row = rows.iter().find(|r| r["agent_name"] == "Ana").unwrap();
    assert_eq!(row["incoming"], 1);
    assert_eq!(row["closed"], 1);
    assert_eq!(row["replies"], 3);
    assert_eq!(row["pending"], 0);
    close(&row["median_response_seconds"], 0.0, 5.0);
    close(&row["p90_response_seconds"], 600.0, 5.0);
    close(&row["avg_response_seconds"], 300.0, 5.0);
    close(&row["avg_response_seconds_pre_booking"], 300.0, 5.0);
    assert_eq!(row["avg_response_seconds_post_booking"], Value::Null);
    close(&row["first_response_seconds_avg"], 0.0, 5.0);
    assert_eq!(
        row["sla_percent"], 50.0,
        "one of two timed replies within 360 s"
    );
    assert_eq!(row["conversion_percent"], 100.0);
    assert_eq!(row["sales"], 450.5);
    assert!(row["work_seconds"].as_f64().unwrap() >= 1.0);
    close(&row["invisible_seconds"], 1.0, 1.0);
    assert!(row["tickets_per_work_hour"].as_f64().unwrap() > 0.0);

    // Agents who did nothing appear with zeros.
    let quiet = rows
        .iter()
        .find(|r| r["agent_id"] == idle.user_id.as_str())
        .unwrap();
    assert_eq!(
        (
            quiet["incoming"].as_i64(),
            quiet["replies"].as_i64(),
            quiet["sla_percent"].clone()
        ),
        (Some(0), Some(0), Value::Null)
    );

    // The team row, and the previous period (nothing happened then).
    let team = app
        .team_report(&manager, &[period[0], period[1], ("compare", "previous")])
        .ok()
        .await;
    assert_eq!(team["current"]["replies"], 3);
    assert_eq!(team["current"]["sales"], 450.5);
    assert_eq!(team["previous"]["replies"], 0);
    assert_eq!(
        team["sales"]["today_sales"], 450.5,
        "confirmed today, started as an inquiry"
    );
    assert_eq!(team["sales"]["top_seller_today"]["agent_name"], "Ana");
    assert_eq!(
        team["sales"]["sales_this_month_by_agent"][0]["sales"],
        450.5
    );
    assert_eq!(team["sales"]["conversion_percent"], 100.0);

    // A period that ended before any of this shows zeros.
    let past = app
        .agents_report(&manager, &[("from", "2020-01-01"), ("to", "2020-02-01")])
        .ok()
        .await;
    assert!(past["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["incoming"] == 0 && r["replies"] == 0));
}

#[actix_web::test]
async fn csv_has_the_spec_header_and_escapes_names() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    app.agent("Doe, \"JJ\"", json!({})).await;
    let res = app.agents_report(&manager, &[("format", "csv")]).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = res.text().await.unwrap();
    let header = body.lines().next().unwrap();
    assert_eq!(header, "agent_id,agent_name,incoming,reassigned_away,pending,closed,replies,avg_response_seconds,median_response_seconds,p90_response_seconds,avg_response_seconds_pre_booking,avg_response_seconds_post_booking,first_response_seconds_avg,sla_percent,work_seconds,invisible_seconds,conversion_percent,sales,tickets_per_work_hour,reviews,communication_score_avg,returned,remarketing_tries,remarketing_booked");
    assert!(body.contains("\"Doe, \"\"JJ\"\"\""), "{body}");
    let by_accept = app.team_report_csv(&manager, &[]).await;
    assert!(by_accept
        .text()
        .await
        .unwrap()
        .starts_with("agent_id,agent_name"));
}

#[actix_web::test]
async fn reports_are_for_managers_and_nonsense_periods_are_refused() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = app.agent("Nosy", json!({})).await;
    assert_eq!(
        assert_error(app.agents_report(&agent, &[]).await, 403).await,
        "forbidden"
    );
    assert_eq!(
        assert_error(app.team_report(&agent, &[]).await, 403).await,
        "forbidden"
    );
    let bad_agents_queries: [&[(&str, &str)]; 5] = [
        &[("from", "2026-05-02"), ("to", "2026-05-01")],
        &[("from", "2026-05-01")],
        &[("from", "2020-01-01"), ("to", "2026-01-01")],
        &[("from", "someday"), ("to", "2026-01-01")],
        &[("format", "xml")],
    ];
    for bad in bad_agents_queries {
        let res = app.agents_report(&manager, bad).await;
        assert_eq!(res.status(), 400, "{bad:?}");
    }
    let res = app.team_report(&manager, &[("compare", "always")]).await;
    assert_eq!(res.status(), 400);
}

#[actix_web::test]
async fn periods_follow_the_account_timezone() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    assert_eq!(
        app.patch_account(&manager, &json!({"timezone": "Asia/Tokyo"}))
            .await
            .status(),
        200
    );
    let report = app
        .agents_report(&manager, &[("from", "2026-07-01"), ("to", "2026-07-02")])
        .ok()
        .await;
    assert_eq!(report["from"], "2026-06-30T15:00:00Z");
    assert_eq!(report["to"], "2026-07-01T15:00:00Z");
}

#[actix_web::test]
async fn the_team_csv_names_each_period_and_sales_say_their_currency() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut priced = inquiry("Eva", "m1");
    priced["reservation"]["total_price"] = json!(480.5);
    priced["reservation"]["currency"] = json!("EUR");
    app.ingest(&priced).await;

    let query = [
        ("from", "2026-11-01"),
        ("to", "2026-12-01"),
        ("compare", "previous"),
    ];
    let csv = app
        .team_report_csv(&manager, &query)
        .await
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows[1].starts_with(",\"Team, this period 2026-11-01 to 2026-11-30\","),
        "{csv}"
    );
    assert!(
        rows[2].starts_with(",\"Team, previous period 2026-10-02 to 2026-10-31\","),
        "{csv}"
    );

    let team = app.team_report(&manager, &[]).ok().await;
    assert_eq!(team["sales"]["currency"], "EUR");
}
