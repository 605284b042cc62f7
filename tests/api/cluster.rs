//! Several nodes behind a load balancer: real `switchboard` processes on one database and one
//! Redis prefix, each request and socket landing on whichever node.

use crate::helpers::{inquiry, spawn_app_with, Options};
use serde_json::json;

#[actix_web::test]
async fn an_agent_on_node_b_gets_the_ticket_node_a_assigned() {
    let app = spawn_app_with(Options {
        redis: true,
        ..Default::default()
    })
    .await;
    let (_a, node_a) = app.node_process().await;
    let (_b, node_b) = app.node_process().await;
    let mut ana = node_b.working_agent("ana", json!({})).await;
    let mut manager = node_b.ws(&node_b.manager().await).await;
    manager.expect("snapshot").await;

    let created = node_a.ingest(&inquiry("g1", "m1")).await.ticket_id;
    let assigned = ana.ws.expect("ticket.assigned").await;
    assert_eq!(assigned["ticket"]["id"], created);
    assert_eq!(assigned["ticket"]["assignee_id"], ana.user_id);
    // Managers watching from node B get node A's wallboard.
    manager.expect("wallboard").await;
}
