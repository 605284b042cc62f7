//! Group-committed delivery outcomes: outcomes that wait together are written with one
//! statement, and every reply gets the status its attempt earned.
//!
//! The outcome writer is held still by locking the messages table (an outcome updates its
//! reply's status) while the bridge answers several deliveries at once.

use crate::helpers::writers::{metric, Held};
use crate::helpers::{spawn_app, Receiver, Reply};
use serde_json::json;
use std::time::Duration;

#[actix_web::test]
async fn outcomes_that_wait_together_are_written_with_one_statement() {
    let app = spawn_app().await;
    // Every webhook is answered 200 after a while, so the four replies are all out before
    // the first answer comes back.
    let bridge = Receiver::answering(|_| Reply::Slow(Duration::from_secs(3))).await;
    app.connect(&bridge.url).await;
    let agent = app.connected_agent("Ana", json!({})).await;
    let mut replies = Vec::new();
    for guest in ["ida", "jon", "kai", "lea"] {
        replies.push(app.guest_answered(&agent, guest, "m-1", "Welcome!").await);
    }
    let held = Held::table(&app, "messages").await;
    bridge.wait_until(|r| r.len() >= 4).await;
    // The answers come back while the writer's first statement waits on the table.
    tokio::time::sleep(Duration::from_secs(4)).await;
    held.let_go().await;

    for reply in &replies {
        app.delivery_reaches(reply, "sent").await;
    }
    let statements = metric(&app, "switchboard_outcome_batch_deliveries_count").await;
    let outcomes = metric(&app, "switchboard_outcome_batch_deliveries_sum").await;
    assert_eq!(outcomes, 4.0, "four outcomes written");
    assert!(
        statements < 4.0,
        "four outcomes that waited together took {statements} statements"
    );
}
