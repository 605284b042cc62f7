//! Who else is on a ticket (the collision notice): a tab says which ticket it shows with the
//! `viewing` frame, and everyone else looking at that ticket is told `ticket.viewers` at once,
//! never about themselves, never across accounts.

use crate::helpers::{inquiry, spawn_app, spawn_app_with, Options, WsClient};
use serde_json::json;
use std::time::Duration;

async fn view(ws: &mut WsClient, ticket_id: &str, typing: bool) {
    ws.send(json!({"type": "viewing", "ticket_id": ticket_id, "typing": typing}))
        .await;
}

/// The next `ticket.viewers` frame about `ticket_id`: (user id, name, typing) of each.
async fn viewers(ws: &mut WsClient, ticket_id: &str) -> Vec<(String, String, bool)> {
    loop {
        let frame = ws.expect("ticket.viewers").await;
        if frame["ticket_id"] != ticket_id {
            continue;
        }
        return frame["viewers"]
            .as_array()
            .unwrap_or_else(|| panic!("no viewers in {frame}"))
            .iter()
            .map(|v| {
                (
                    v["user_id"].as_str().unwrap().to_string(),
                    v["name"].as_str().unwrap().to_string(),
                    v["typing"].as_bool().unwrap(),
                )
            })
            .collect();
    }
}

/// Waits (up to five seconds) until a `ticket.viewers` frame about `ticket_id` lists `want`
/// (another node's sockets are heard a moment later than this node's).
async fn until_viewers(ws: &mut WsClient, ticket_id: &str, want: Vec<(String, String, bool)>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        if viewers(ws, ticket_id).await == want {
            return;
        }
    }
    panic!("never listed {want:?}; saw {:#?}", ws.seen);
}

fn nobody() -> Vec<(String, String, bool)> {
    Vec::new()
}

fn one(id: &str, name: &str, typing: bool) -> Vec<(String, String, bool)> {
    vec![(id.to_string(), name.to_string(), typing)]
}

#[actix_web::test]
async fn two_people_on_a_ticket_see_each_other_until_one_leaves_moves_on_or_drops() {
    let app = spawn_app().await;
    let id = app.ingest(&inquiry("zoe", "m1")).await.ticket_id;
    let other = app.ingest(&inquiry("yan", "m2")).await.ticket_id;
    let mut ana = app.connected_agent("Ana Lima", json!({})).await;
    let rui = app.agent("Rui Costa", json!({})).await;
    let mut tab = app.open_tab(&rui).await;

    view(&mut ana.ws, &id, false).await;
    assert_eq!(
        viewers(&mut ana.ws, &id).await,
        nobody(),
        "alone, never herself"
    );
    view(&mut tab, &id, false).await;
    assert_eq!(
        viewers(&mut tab, &id).await,
        one(&ana.user_id, "Ana Lima", false)
    );
    assert_eq!(
        viewers(&mut ana.ws, &id).await,
        one(&rui.user_id, "Rui Costa", false)
    );

    view(&mut tab, &id, true).await;
    assert_eq!(
        viewers(&mut ana.ws, &id).await,
        one(&rui.user_id, "Rui Costa", true)
    );
    // A renewal that changes nothing tells nobody.
    view(&mut tab, &id, true).await;
    ana.ws
        .expect_none("ticket.viewers", Duration::from_millis(500))
        .await;

    // Leaving the page (an empty ticket id).
    view(&mut tab, "", false).await;
    assert_eq!(viewers(&mut ana.ws, &id).await, nobody());
    // Moving to another ticket: a tab shows one ticket at a time.
    view(&mut tab, &id, false).await;
    assert_eq!(
        viewers(&mut ana.ws, &id).await,
        one(&rui.user_id, "Rui Costa", false)
    );
    view(&mut tab, &other, false).await;
    assert_eq!(viewers(&mut ana.ws, &id).await, nobody());
    // Closing the tab (its socket drops).
    view(&mut tab, &id, false).await;
    assert_eq!(
        viewers(&mut ana.ws, &id).await,
        one(&rui.user_id, "Rui Costa", false)
    );
    tab.close().await;
    assert_eq!(viewers(&mut ana.ws, &id).await, nobody());
}

#[actix_web::test]
async fn another_accounts_user_and_people_elsewhere_never_hear_who_views_a_ticket() {
    let app = spawn_app().await;
    let id = app.ingest(&inquiry("zoe", "m1")).await.ticket_id;
    let elsewhere = app.ingest(&inquiry("yan", "m2")).await.ticket_id;
    let mut ana = app.connected_agent("Ana Lima", json!({})).await;
    let mut rui = app.connected_agent("Rui Costa", json!({})).await;
    let other_account = app.create_account("other").await;
    let stranger = app.manager_of(&other_account).await;
    let mut intruder = app.open_tab(&stranger).await;

    // The other account's manager names this account's ticket: refused, and never listed.
    view(&mut intruder, &id, false).await;
    let refused = intruder.expect("error").await;
    assert_eq!(refused["code"], "not_found");
    view(&mut ana.ws, &id, false).await;
    assert_eq!(
        viewers(&mut ana.ws, &id).await,
        nobody(),
        "the intruder is not on it"
    );
    view(&mut rui.ws, &elsewhere, false).await;
    assert_eq!(viewers(&mut rui.ws, &elsewhere).await, nobody());

    view(&mut ana.ws, &id, true).await;
    for ws in [&mut intruder, &mut rui.ws] {
        ws.expect_none("ticket.viewers", Duration::from_millis(700))
            .await;
    }
    assert!(
        rui.ws
            .seen
            .iter()
            .all(|f| f["ticket_id"] != id.as_str() || f["type"] != "ticket.viewers"),
        "Rui looks at another ticket"
    );
    assert!(
        intruder.seen.iter().all(|f| f["type"] != "ticket.viewers"),
        "nothing about another account"
    );
    // A ticket id that is no number is a bad frame, not a crash.
    intruder
        .send(json!({"type": "viewing", "ticket_id": "x", "typing": false}))
        .await;
    assert_eq!(intruder.expect("error").await["code"], "invalid_frame");
}

/// Ana on node A and Rui on node B, each node telling its own sockets what the other's
/// sockets said (through Redis).
#[actix_web::test]
async fn people_on_two_nodes_see_each_other() {
    let app = spawn_app_with(Options {
        redis: true,
        ..Default::default()
    })
    .await;
    let (_a, node_a) = app.node_process().await;
    let (_b, node_b) = app.node_process().await;
    let id = node_a.ingest(&inquiry("zoe", "m1")).await.ticket_id;
    let ana = node_a.agent("Ana Lima", json!({})).await;
    let rui = node_b.agent("Rui Costa", json!({})).await;
    let mut on_a = node_a.open_tab(&ana).await;
    let mut on_b = node_b.open_tab(&rui).await;

    view(&mut on_a, &id, false).await;
    assert_eq!(viewers(&mut on_a, &id).await, nobody());
    view(&mut on_b, &id, true).await;
    until_viewers(&mut on_b, &id, one(&ana.user_id, "Ana Lima", false)).await;
    until_viewers(&mut on_a, &id, one(&rui.user_id, "Rui Costa", true)).await;
    on_b.close().await;
    until_viewers(&mut on_a, &id, nobody()).await;
}
