//! Remarketing KPIs in the team and agent reports and the team CSV (issue 14): an agent's
//! messages to guests whose inquiry did not book, sent more than 24 h after the guest's last
//! message, and how many of those guests booked afterwards; built through ingest and replies.

use crate::helpers::{inquiry, spawn_app, LiveAgent, TestApp};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

/// A guest who last wrote `hours_ago`, about a reservation in `status`; Ana gets the ticket
/// and writes `replies` times; answers the ticket id.
async fn conversation(
    app: &TestApp,
    ana: &mut LiveAgent,
    guest: &str,
    hours_ago: i64,
    status: &str,
    replies: usize,
) -> String {
    let mut m = inquiry(guest, &format!("m-{guest}"));
    m["sent_at"] = json!((Utc::now() - Duration::hours(hours_ago)).to_rfc3339());
    m["reservation"]["status"] = json!(status);
    let id = app.ingest(&m).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    for n in 0..replies {
        app.reply(ana, &id, &format!("Still thinking of a stay? ({n})"))
            .ok()
            .await;
    }
    app.mark_done(ana, &id).ok().await;
    id
}

fn csv_cell(csv: &str, column: &str, line: usize) -> String {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == column).unwrap();
    let row = lines.nth(line).unwrap();
    row.rsplit(',')
        .nth(header.len() - 1 - at)
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn tries_are_late_messages_to_unbooked_guests_and_bookings_after_them_count() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana", json!({})).await;
    // Gil went quiet two days ago: Ana's message is a try, and Gil books afterwards.
    conversation(&app, &mut ana, "gil", 48, "inquiry", 1).await;
    // Cy went quiet 30 hours ago: two tries, no booking.
    conversation(&app, &mut ana, "cy", 30, "request", 2).await;
    // Fay wrote an hour ago: an answer, not a try.
    conversation(&app, &mut ana, "fay", 1, "inquiry", 1).await;
    // Bo had booked already: a message to a guest who booked is no remarketing.
    conversation(&app, &mut ana, "bo", 30, "confirmed", 1).await;
    let confirmation = json!({"channel": "airbnb", "external_id": "r-gil", "status": "confirmed", "listing_external_id": "l-1", "total_price": 300});
    let res = app
        .ingest_reservation(&app.account.api_key, &confirmation)
        .await;
    assert_eq!(res.status(), 202);

    let from = (Utc::now() - Duration::hours(1)).to_rfc3339();
    let to = (Utc::now() + Duration::seconds(1)).to_rfc3339();
    let period = [("from", from.as_str()), ("to", to.as_str())];
    let team = app.team_report(&manager, &period).ok().await;
    assert_eq!(
        team["current"]["remarketing_tries"], 3,
        "{}",
        team["current"]
    );
    assert_eq!(team["current"]["remarketing_booked"], 1);
    let agents = app.agents_report(&manager, &period).ok().await;
    let row: &Value = agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["agent_name"] == "Ana")
        .unwrap();
    assert_eq!(row["remarketing_tries"], 3);
    assert_eq!(row["remarketing_booked"], 1);

    // The CSV has the two columns after the existing ones, last.
    let csv = app
        .team_report_csv(&manager, &period)
        .await
        .text()
        .await
        .unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        header[header.len() - 3..],
        ["returned", "remarketing_tries", "remarketing_booked"]
    );
    assert_eq!(csv_cell(&csv, "remarketing_tries", 0), "3");
    assert_eq!(csv_cell(&csv, "remarketing_booked", 0), "1");

    // Before the replies, nothing; another account sees none of it.
    let earlier = (Utc::now() - Duration::hours(3)).to_rfc3339();
    let before = [("from", earlier.as_str()), ("to", from.as_str())];
    let past = app.team_report(&manager, &before).ok().await;
    assert_eq!(past["current"]["remarketing_tries"], 0);
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    let theirs = app.team_report(&stranger, &period).ok().await;
    assert_eq!(theirs["current"]["remarketing_tries"], 0);
    assert_eq!(theirs["current"]["remarketing_booked"], 0);
}
