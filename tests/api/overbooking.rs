//! Overbookings and the booking calendar (issue 14): the `overbooking` view holds the tickets
//! whose reservation shares a night with another non-cancelled one of the same listing, each
//! ticket says which (`overlaps`), a cancellation resolves it; `GET /listings/{id}/calendar`
//! shows a listing's stays around a stay with the overlaps marked. Built through ingest.

use crate::helpers::{assert_error, inquiry, spawn_app, Session, TestApp};
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Value};

/// A guest's first message about a confirmed stay at `listing` from `check_in` (days from
/// today) for `nights`.
fn booked(guest: &str, listing: &str, check_in: i64, nights: i64) -> Value {
    let today = Utc::now().date_naive();
    let mut m = inquiry(guest, &format!("m-{guest}"));
    m["reservation"] = json!({
        "external_id": format!("r-{guest}"), "status": "confirmed",
        "listing_external_id": listing, "listing_name": format!("Flat {listing}"),
        "check_in": (today + Duration::days(check_in)).to_string(),
        "check_out": (today + Duration::days(check_in + nights)).to_string(),
    });
    m
}

async fn overbooked(app: &TestApp, user: &Session) -> Vec<String> {
    let page = app.tickets(user, &[("view", "overbooking")]).ok().await;
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

fn external_ids(stays: &Value) -> Vec<&str> {
    stays
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["external_id"].as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn overlapping_stays_of_a_listing_are_an_overbooking_until_one_is_cancelled() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = app.agent("Ana Silva", json!({})).await;
    // Airbnb's Ada and Booking-like Bea share two nights of flat A; Cy arrives the day Bea
    // leaves (a changeover, no overlap); Dan's dates overlap theirs but in flat B.
    let ada = app.ingest(&booked("ada", "flat-a", 10, 4)).await.ticket_id;
    let bea = app.ingest(&booked("bea", "flat-a", 12, 3)).await.ticket_id;
    let cy = app.ingest(&booked("cy", "flat-a", 15, 2)).await.ticket_id;
    app.ingest(&booked("dan", "flat-b", 10, 5)).await;
    // An inquiry without dates on flat A is no stay.
    let mut asking = inquiry("eve", "m-eve");
    asking["reservation"]["listing_external_id"] = json!("flat-a");
    app.ingest(&asking).await;

    assert_eq!(overbooked(&app, &agent).await, sorted(&[&ada, &bea]));
    let ticket = app.ticket(&agent, &ada).ok().await;
    assert_eq!(external_ids(&ticket["overlaps"]), vec!["r-bea"]);
    assert_eq!(ticket["overlaps"][0]["ticket_id"], bea.as_str());
    assert_eq!(ticket["overlaps"][0]["overlaps"], true);
    let cy = app.ticket(&agent, &cy).ok().await;
    assert_eq!(cy["overlaps"], json!([]));
    let counts = app.view_counts(&manager).ok().await;
    let count = counts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["view"] == "overbooking")
        .unwrap()["count"]
        .clone();
    assert_eq!(count, 2);

    // Another account sees none of it.
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    assert!(overbooked(&app, &stranger).await.is_empty());

    // Bea's booking is cancelled through the reservation feed: resolved for both.
    let today = Utc::now().date_naive();
    let cancelled = json!({
        "channel": "airbnb", "external_id": "r-bea", "status": "cancelled",
        "listing_external_id": "flat-a",
        "check_in": (today + Duration::days(12)).to_string(),
        "check_out": (today + Duration::days(15)).to_string(),
    });
    let res = app
        .ingest_reservation(&app.account.api_key, &cancelled)
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    assert!(overbooked(&app, &manager).await.is_empty());
    assert_eq!(app.ticket(&agent, &ada).ok().await["overlaps"], json!([]));
}

#[actix_web::test]
async fn the_calendar_shows_a_listings_stays_around_a_stay_with_overlaps_marked() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = app.agent("Ana Silva", json!({})).await;
    let ada = app.ingest(&booked("ada", "flat-a", 20, 4)).await.ticket_id;
    app.ingest(&booked("bea", "flat-a", 22, 3)).await;
    app.ingest(&booked("cy", "flat-a", 4, 2)).await; // before the window
    app.ingest(&booked("dan", "flat-a", 36, 2)).await; // inside, after the stay
    app.ingest(&booked("eve", "flat-b", 20, 4)).await; // another listing

    let ticket = app.ticket(&agent, &ada).ok().await;
    let listing = ticket["reservation"]["listing_id"]
        .as_str()
        .unwrap()
        .to_string();
    let check_in: NaiveDate = ticket["reservation"]["check_in"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let check_out: NaiveDate = ticket["reservation"]["check_out"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let from = (check_in - Duration::days(14)).to_string();
    let to = (check_out + Duration::days(14)).to_string();
    let calendar = app
        .calendar(&agent, &listing, &[("from", &from), ("to", &to)])
        .ok()
        .await;
    assert_eq!(calendar["listing"]["id"], listing.as_str());
    assert_eq!(calendar["listing"]["external_id"], "flat-a");
    assert_eq!(calendar["from"], from.as_str());
    assert_eq!(calendar["to"], to.as_str());
    assert_eq!(
        external_ids(&calendar["items"]),
        vec!["r-ada", "r-bea", "r-dan"]
    );
    let marks: Vec<bool> = calendar["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["overlaps"].as_bool().unwrap())
        .collect();
    assert_eq!(marks, vec![true, true, false]);
    assert_eq!(calendar["items"][0]["guest_name"], "ada");
    assert_eq!(calendar["items"][0]["ticket_id"], ada.as_str());
    assert_eq!(calendar["items"][0]["status"], "confirmed");

    // Bad ranges are 400; an unknown listing and another account's are 404.
    for query in [
        vec![("from", from.as_str())],
        vec![("from", "June"), ("to", to.as_str())],
        vec![("from", to.as_str()), ("to", from.as_str())],
        vec![("from", "2026-01-01"), ("to", "2027-06-01")],
        vec![("from", from.as_str()), ("to", to.as_str()), ("x", "1")],
    ] {
        let res = app.calendar(&manager, &listing, &query).await;
        assert_eq!(res.status(), 400, "{query:?}");
    }
    let res = app
        .calendar(&manager, "999999", &[("from", &from), ("to", &to)])
        .await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    let res = app
        .calendar(&stranger, &listing, &[("from", &from), ("to", &to)])
        .await;
    assert_eq!(assert_error(res, 404).await, "not_found");
}
