//! The guest panel (issue 14): a guest's records on other channels matched by e-mail or phone,
//! their tickets and stays, languages and latest review; nothing of another account.

use crate::helpers::{assert_error, inquiry, spawn_app};
use chrono::Utc;
use serde_json::{json, Value};

/// A first message of guest record `external_id` on `channel`, with `contact` merged into
/// the guest and its own reservation `r-{external_id}`.
fn from(channel: &str, external_id: &str, name: &str, contact: Value) -> Value {
    let mut m = inquiry(external_id, &format!("m-{external_id}"));
    m["channel"] = json!(channel);
    let mut guest = json!({"external_id": external_id, "name": name});
    for (k, v) in contact.as_object().unwrap() {
        guest[k] = v.clone();
    }
    m["guest"] = guest;
    m["reservation"]["external_id"] = json!(format!("r-{external_id}"));
    m
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[actix_web::test]
async fn a_guest_is_matched_across_channels_by_email_or_phone_within_the_account() {
    let app = spawn_app().await;
    let agent = app.agent("Ana Silva", json!({})).await;
    let airbnb = app
        .ingest(&from(
            "airbnb",
            "lena-a",
            "Lena",
            json!({"email": "Lena@Mail.com", "language": "de"}),
        ))
        .await;
    let sms = app
        .ingest(&from(
            "sms",
            "lena-s",
            "Lena M",
            json!({"email": " lena@mail.com ", "phone": "+49 170 1234567"}),
        ))
        .await;
    let mail = app
        .ingest(&from(
            "email",
            "lena-e",
            "L. Meyer",
            json!({"phone": "49-170-1234567", "language": "en"}),
        ))
        .await;
    app.ingest(&from(
        "airbnb",
        "otto",
        "Otto",
        json!({"email": "otto@mail.com", "phone": "12345678"}),
    ))
    .await;
    // The same address in another account is another business's guest.
    let other = app.create_account("other").await;
    let mut theirs = from(
        "airbnb",
        "lena-x",
        "Lena",
        json!({"email": "lena@mail.com"}),
    );
    theirs["message_external_id"] = json!("m-x");
    let res = app.ingest_message(&other.api_key, &theirs).await;
    assert_eq!(res.status(), 202);

    let review = json!({
        "channel": "airbnb", "external_id": "rev-lena", "reservation_external_id": "r-lena-a",
        "overall": 4, "categories": {}, "submitted_at": Utc::now().to_rfc3339()
    });
    let res = app.ingest_review(&app.account.api_key, &review).await;
    assert_eq!(res.status(), 202);

    // The SMS record shares the e-mail with Airbnb's and the phone with e-mail's.
    let ticket = app.ticket(&agent, &sms.ticket_id).ok().await;
    let guest = ticket["guest"]["id"].as_str().unwrap().to_string();
    let panel = app.guest_panel(&agent, &guest).ok().await;
    assert_eq!(panel["guest"]["id"], guest.as_str());
    assert_eq!(panel["guest"]["phone"], "+49 170 1234567");
    assert_eq!(panel["guest"]["channel"], "sms");
    let mut matched: Vec<&str> = panel["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["channel"].as_str().unwrap())
        .collect();
    matched.sort();
    assert_eq!(matched, vec!["airbnb", "email"]);
    let mut tickets = vec![
        airbnb.ticket_id.clone(),
        sms.ticket_id.clone(),
        mail.ticket_id.clone(),
    ];
    tickets.sort();
    assert_eq!(ids(&panel["tickets"], "id"), tickets);
    assert_eq!(
        ids(&panel["stays"], "external_id"),
        vec!["r-lena-a", "r-lena-e", "r-lena-s"]
    );
    let mut languages: Vec<&str> = panel["languages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    languages.sort();
    assert_eq!(languages, vec!["de", "en"]);
    assert_eq!(panel["latest_review"]["overall"], 4);

    // Airbnb's record has only the e-mail: it matches the SMS record (not e-mail's, which
    // shares nothing with it directly).
    let airbnb_guest = app.ticket(&agent, &airbnb.ticket_id).ok().await["guest"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let panel = app.guest_panel(&agent, &airbnb_guest).ok().await;
    assert_eq!(panel["matched"].as_array().unwrap().len(), 1);
    assert_eq!(panel["matched"][0]["channel"], "sms");

    // Unknown, malformed and another account's ids are not found.
    let stranger = app.manager_of(&other).await;
    for (user, id) in [
        (&agent, "999999"),
        (&agent, "x"),
        (&stranger, guest.as_str()),
    ] {
        let res = app.guest_panel(user, id).await;
        assert_eq!(assert_error(res, 404).await, "not_found");
    }
}
