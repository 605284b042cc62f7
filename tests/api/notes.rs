//! Internal notes: stored apart from the conversation with the guest, pushed live to whoever
//! sees the ticket, and `@mentions` reach the person named.

use crate::helpers::{assert_error, inquiry, spawn_app};
use serde_json::json;

#[actix_web::test]
async fn a_note_reaches_the_ticket_live_and_pings_whoever_it_mentions() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut board = app.open_tab(&manager).await;
    let mut ana = app.working_agent("Ana Silva", json!({})).await;
    let mut bruno = app.connected_agent("Bruno Costa", json!({})).await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;

    let res = app
        .add_note(
            &ana,
            &id,
            "  @bruno can you check the price with the owner?  ",
        )
        .await;
    assert_eq!(res.status(), 201);
    let note: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        note["body"],
        "@bruno can you check the price with the owner?"
    );
    assert_eq!(note["author_id"], ana.user_id.as_str());
    assert_eq!(note["author_name"], "Ana Silva");
    assert_eq!(note["mentions"], json!([bruno.user_id]));
    assert!(note["created_at"].is_string());

    // The assignee's tabs and the managers see it; the agent it names is pinged.
    for ws in [&mut ana.ws, &mut board] {
        let frame = ws.expect("note.created").await;
        assert_eq!(frame["ticket_id"], id.as_str());
        assert_eq!(frame["note"]["id"], note["id"]);
    }
    let ping = bruno.ws.expect("mention").await;
    assert_eq!(ping["ticket_id"], id.as_str());
    assert_eq!(ping["note"]["body"], note["body"]);

    // Any agent of the account may add one; a quoted whole name mentions just that person.
    let reply = app
        .add_note(&bruno, &id, "Owner says 90 a night. @\"ana silva\"")
        .ok()
        .await;
    assert_eq!(reply["mentions"], json!([ana.user_id]));
    assert_eq!(
        ana.ws.expect("note.created").await["note"]["id"],
        reply["id"]
    );
    assert_eq!(ana.ws.expect("mention").await["note"]["id"], reply["id"]);

    // The ticket shows both notes, oldest first, apart from the messages; nothing was sent to
    // the guest and the ticket is as unanswered as before.
    let ticket = app.ticket(&bruno, &id).ok().await;
    let notes = ticket["notes"].as_array().unwrap();
    assert_eq!(
        notes.iter().map(|n| n["id"].clone()).collect::<Vec<_>>(),
        vec![note["id"].clone(), reply["id"].clone()]
    );
    assert_eq!(ticket["messages"].as_array().unwrap().len(), 1);
    assert_eq!(ticket["unanswered"], true);
    assert_eq!(ticket["state"], "assigned");
    let outbound: i64 =
        sqlx::query_scalar("SELECT count(*) FROM messages WHERE direction = 'outbound'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(outbound, 0, "a note is never a message");
}

#[actix_web::test]
async fn bad_notes_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;

    let empty = app.add_note(&manager, &id, " \n ").await;
    assert_eq!(assert_error(empty, 400).await, "invalid_input");
    let long = app.add_note(&manager, &id, &"x".repeat(4_001)).await;
    assert_eq!(assert_error(long, 400).await, "text_too_long");
    let unknown = app.add_note(&manager, "999999", "hello").await;
    assert_eq!(assert_error(unknown, 404).await, "not_found");
    let anonymous = app
        .add_note(&crate::helpers::Session::anonymous(), &id, "hello")
        .await;
    assert_eq!(assert_error(anonymous, 401).await, "unauthorized");

    // Another account's manager cannot tell the ticket exists.
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    let foreign = app.add_note(&stranger, &id, "hello").await;
    assert_eq!(assert_error(foreign, 404).await, "not_found");

    let ticket = app.ticket(&manager, &id).ok().await;
    assert_eq!(ticket["notes"], json!([]));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_notes")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}
