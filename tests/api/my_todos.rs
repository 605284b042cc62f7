//! "My to-dos" (`GET /todos`, issue 14): the caller's open to-dos across tickets — on tickets
//! assigned to them or written by them — soonest due first, overdue ones marked; nobody
//! else's and no other account's.

use crate::helpers::{inquiry, spawn_app};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

fn titles(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn my_todos_are_my_open_ones_across_tickets_soonest_due_first() {
    let app = spawn_app().await;
    let mut ana = app.working_agent("Ana Silva", json!({})).await;
    let bruno = app.agent("Bruno Costa", json!({})).await;
    // Both tickets go to Ana, the only one working.
    let first = app.ingest(&inquiry("ada", "m-ada")).await.ticket_id;
    let second = app.ingest(&inquiry("bea", "m-bea")).await.ticket_id;
    for _ in [&first, &second] {
        ana.ws.expect("ticket.assigned").await;
    }
    let past = (Utc::now() - Duration::hours(2)).to_rfc3339();
    let soon = (Utc::now() + Duration::hours(2)).to_rfc3339();
    let later = (Utc::now() + Duration::days(2)).to_rfc3339();

    // Bruno writes to-dos on Ana's tickets: they are Ana's (her tickets) and Bruno's (his).
    let add = |ticket: &str, title: &str, due: Option<&str>| {
        let mut body = json!({"title": title, "kind": "task"});
        if let Some(due) = due {
            body["due_at"] = json!(due);
        }
        (ticket.to_string(), body)
    };
    let mut ids = Vec::new();
    for (ticket, body) in [
        add(&first, "Send the door code", Some(&later)),
        add(&second, "Refund the cleaning fee", Some(&past)),
        add(&first, "Ask about arrival time", None),
        add(&second, "Book a taxi", Some(&soon)),
    ] {
        let todo = app.add_todo(&bruno, &ticket, &body).ok().await;
        ids.push(todo["id"].as_str().unwrap().to_string());
    }
    // A done one is no longer listed.
    app.update_todo(&bruno, &second, &ids[3], &json!({"done": true}))
        .ok()
        .await;

    let mine = app.my_todos(&ana).ok().await;
    assert_eq!(
        titles(&mine),
        [
            "Refund the cleaning fee",
            "Send the door code",
            "Ask about arrival time"
        ]
    );
    let overdue: Vec<bool> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["overdue"].as_bool().unwrap())
        .collect();
    assert_eq!(overdue, [true, false, false]);
    assert_eq!(mine["items"][0]["ticket_id"], second.as_str());
    assert_eq!(mine["items"][0]["guest_name"], "bea");
    assert_eq!(mine["items"][0]["ticket_state"], "assigned");
    assert_eq!(mine["next_cursor"], Value::Null);
    // Bruno wrote them: his list has the same ones.
    assert_eq!(titles(&app.my_todos(&bruno).ok().await).len(), 3);

    // Ana's own to-do on nobody's ticket is hers; a colleague's there is not.
    let carla = app.agent("Carla Dias", json!({})).await;
    app.stop_timer(&ana).ok().await;
    let queued = app.ingest(&inquiry("cy", "m-cy")).await.ticket_id;
    app.add_todo(
        &carla,
        &queued,
        &json!({"title": "Carla's call", "kind": "task"}),
    )
    .ok()
    .await;
    app.add_todo(
        &ana,
        &queued,
        &json!({"title": "Ana's note", "kind": "refund"}),
    )
    .ok()
    .await;
    let mine = app.my_todos(&ana).ok().await;
    assert!(titles(&mine).contains(&"Ana's note"));
    assert!(!titles(&mine).contains(&"Carla's call"));
    assert_eq!(titles(&app.my_todos(&carla).ok().await), ["Carla's call"]);

    // Another account's manager has none of them.
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    assert_eq!(app.my_todos(&stranger).ok().await["items"], json!([]));
}
