//! Several nodes behind a load balancer: real `switchboard` processes on one database and one
//! Redis prefix, each request and socket landing on whichever node.

use crate::helpers::{inquiry, spawn_app_with, Options, RedisServer, TestApp};
use serde_json::json;
use std::time::Duration;

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
    let mut tab_on_a = node_a.open_tab(&ana).await;
    let mut manager = node_b.ws(&node_b.manager().await).await;
    manager.expect("snapshot").await;

    let created = node_a.ingest(&inquiry("g1", "m1")).await.ticket_id;
    let ana_id = ana.user_id.clone();
    for tab in [&mut ana.ws, &mut tab_on_a] {
        let assigned = tab.expect("ticket.assigned").await;
        assert_eq!(assigned["ticket"]["id"], created);
        assert_eq!(assigned["ticket"]["assignee_id"], ana_id);
    }
    // Managers watching from node B get node A's wallboard.
    manager.expect("wallboard").await;
    // Each node delivered the frame once: node A does not hear its own publish again.
    for tab in [&mut ana.ws, &mut tab_on_a] {
        tab.expect_none("ticket.assigned", Duration::from_millis(500))
            .await;
    }
}

#[actix_web::test]
async fn a_node_that_missed_frames_while_redis_was_down_makes_its_sockets_take_a_snapshot() {
    let redis = RedisServer::start().await;
    let node_a = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Default::default()
    })
    .await;
    let node_b = node_a.restart().await;
    let mut ana = node_b.working_agent("ana", json!({})).await;
    node_a.ingest(&inquiry("g0", "m0")).await;
    ana.ws.expect("ticket.assigned").await;
    let last_seq = ana.ws.last_seq;

    // Node A goes on deciding (and relaying nothing) while Redis is down.
    let port = redis.kill();
    wait_for_cross_node_push(&node_b, false).await;
    node_a.ingest(&inquiry("g1", "m1")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _redis = RedisServer::start_on(port).await;
    wait_for_cross_node_push(&node_b, true).await;

    // Node A's next frames show node B the gap: B's sockets reconnect for a snapshot.
    let guests = {
        let node_a = node_a.clone();
        actix_web::rt::spawn(async move {
            for n in 2.. {
                node_a
                    .ingest(&inquiry(&format!("g{n}"), &format!("m{n}")))
                    .await;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    let closed = ana.ws.closed_within(Duration::from_secs(10)).await;
    guests.abort();
    assert_eq!(closed, Some(1012), "reconnect now");
    let mut back = node_b.ws_resuming(&ana, last_seq).await;
    back.expect("snapshot").await;
}

/// Waits (up to 10 s) until the node's `/readyz` says cross-node push is `up` or not.
async fn wait_for_cross_node_push(node: &TestApp, up: bool) {
    for _ in 0..100 {
        if node.readyz().ok().await["cross_node_push"] == up {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cross_node_push did not become {up} within 10 s");
}
