//! The CRM's filters on the All view (issue 14): stay dates, listing, reservation status,
//! price range and time since created, built through ingest; bad values are 400
//! `invalid_query`; another account's tickets never show.

use crate::helpers::{assert_error, inquiry, spawn_app, Session, TestApp};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// A guest's first message about a stay at `listing` from `check_in` (days from today) for
/// `nights`, in `status`, costing `price`.
fn stay(guest: &str, listing: &str, status: &str, check_in: i64, nights: i64, price: f64) -> Value {
    let today = Utc::now().date_naive();
    let mut m = inquiry(guest, &format!("m-{guest}"));
    m["reservation"] = json!({
        "external_id": format!("r-{guest}"), "status": status,
        "listing_external_id": listing, "listing_name": format!("Flat {listing}"),
        "check_in": (today + Duration::days(check_in)).to_string(),
        "check_out": (today + Duration::days(check_in + nights)).to_string(),
        "total_price": price, "currency": "EUR",
    });
    m
}

async fn all(app: &TestApp, user: &Session, filters: &[(&str, &str)]) -> Vec<String> {
    let mut query = vec![("view", "all")];
    query.extend_from_slice(filters);
    let page = app.tickets(user, &query).ok().await;
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["guest"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

#[actix_web::test]
async fn the_all_view_filters_by_stay_listing_status_price_and_age() {
    let app = spawn_app().await;
    let agent = app.agent("Ana Silva", json!({})).await;
    app.ingest(&stay("ada", "flat-a", "confirmed", 10, 4, 480.0))
        .await;
    app.ingest(&stay("bea", "flat-a", "inquiry", 20, 3, 300.0))
        .await;
    app.ingest(&stay("cy", "flat-b", "confirmed", 12, 2, 150.5))
        .await;
    let dan = app.ingest(&inquiry("dan", "m-dan")).await.ticket_id;
    // Dan wrote three days ago.
    sqlx::query("UPDATE tickets SET created_at = now() - interval '72 hours' WHERE id = $1")
        .bind(dan.parse::<i64>().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    // Another account's stay, in every range below.
    let other = app.create_account("other").await;
    let res = app
        .ingest_message(
            &other.api_key,
            &stay("eve", "flat-a", "confirmed", 10, 4, 480.0),
        )
        .await;
    assert!(res.status().is_success());

    assert_eq!(all(&app, &agent, &[]).await, ["ada", "bea", "cy", "dan"]);
    // A night between day 11 and day 13: Ada (10–14) and Cy (12–14), not Bea (20–23).
    let (from, to) = (day(11), day(13));
    assert_eq!(
        all(&app, &agent, &[("stay_from", &from), ("stay_to", &to)]).await,
        ["ada", "cy"]
    );
    // Cy leaves on day 14: no night from then on.
    let (from, to) = (day(14), day(30));
    assert_eq!(
        all(&app, &agent, &[("stay_from", &from), ("stay_to", &to)]).await,
        ["bea"]
    );
    assert_eq!(
        all(&app, &agent, &[("listing", "flat-a")]).await,
        ["ada", "bea"]
    );
    assert_eq!(
        all(&app, &agent, &[("reservation_status", "confirmed")]).await,
        ["ada", "cy"]
    );
    assert_eq!(
        all(
            &app,
            &agent,
            &[("price_min", "150.50"), ("price_max", "300")]
        )
        .await,
        ["bea", "cy"]
    );
    assert_eq!(all(&app, &agent, &[("price_min", "300.01")]).await, ["ada"]);
    assert_eq!(all(&app, &agent, &[("min_age_hours", "48")]).await, ["dan"]);
    assert_eq!(
        all(&app, &agent, &[("max_age_hours", "24")]).await,
        ["ada", "bea", "cy"]
    );
    // Filters combine.
    assert_eq!(
        all(
            &app,
            &agent,
            &[
                ("listing", "flat-a"),
                ("reservation_status", "confirmed"),
                ("price_max", "500")
            ]
        )
        .await,
        ["ada"]
    );
}

#[actix_web::test]
async fn bad_filter_values_are_refused() {
    let app = spawn_app().await;
    let agent = app.agent("Ana Silva", json!({})).await;
    app.ingest(&stay("ada", "flat-a", "confirmed", 10, 4, 480.0))
        .await;
    let (from, to) = (day(11), day(13));
    for query in [
        vec![("stay_from", "next week")],
        vec![("stay_from", to.as_str()), ("stay_to", from.as_str())],
        vec![("stay_to", "2030-02-30")],
        vec![("reservation_status", "booked")],
        vec![("price_min", "-5")],
        vec![("price_max", "cheap")],
        vec![("price_min", "500"), ("price_max", "100")],
        vec![("min_age_hours", "1.5")],
        vec![("max_age_hours", "-1")],
        vec![("min_age_hours", "10"), ("max_age_hours", "2")],
    ] {
        let mut q = vec![("view", "all")];
        q.extend(query.iter().copied());
        let res = app.tickets(&agent, &q).await;
        assert_eq!(assert_error(res, 400).await, "invalid_query", "{query:?}");
    }
    assert_eq!(all(&app, &agent, &[]).await, ["ada"]);
    assert_eq!(all(&app, &agent, &[("price_min", "100")]).await, ["ada"]);
}
