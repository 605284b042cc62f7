//! A session that ends ends everywhere at once: its live sockets are closed with 4001 (the
//! browser goes back to the login page) and stop receiving anything, on every node.

use crate::helpers::{spawn_app, spawn_app_with, Options, RedisServer};
use serde_json::json;
use std::time::Duration;

#[actix_web::test]
async fn signing_out_closes_that_logins_sockets_and_stops_the_timer() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("ana", json!({})).await;
    app.logout(&ana).ok().await;
    assert_eq!(ana.ws.closed().await, Some(4001));
    let seen = app.agent_by_id(&manager, &ana.user_id).ok().await;
    assert_eq!(seen["state"]["working"], false, "signed out is not working");
}

#[actix_web::test]
async fn deactivation_and_a_new_password_close_every_socket_of_the_user() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("ana", json!({})).await;
    let mut second = app.open_tab(&ana).await;
    app.update_agent(
        &manager,
        &ana.user_id,
        &json!({"password": "another long secret"}),
    )
    .ok()
    .await;
    assert_eq!(ana.ws.closed().await, Some(4001));
    assert_eq!(second.closed().await, Some(4001));

    let mut rui = app.working_agent("rui", json!({})).await;
    app.update_agent(&manager, &rui.user_id, &json!({"active": false}))
        .ok()
        .await;
    assert_eq!(rui.ws.closed().await, Some(4001));
}

#[actix_web::test]
async fn a_session_ended_on_one_node_ends_at_once_on_the_others() {
    let node_a = spawn_app_with(Options {
        redis: true,
        ..Default::default()
    })
    .await;
    // A second node on the same database and Redis prefix.
    let node_b = node_a.restart().await;
    let manager = node_a.manager().await;

    // Signing out on node A.
    let ana = node_a.agent("ana", json!({})).await;
    let mut on_b = node_b.open_tab(&ana).await;
    node_b.me(&ana).ok().await;
    node_a.logout(&ana).ok().await;
    assert_eq!(on_b.closed().await, Some(4001));
    assert_eq!(
        node_b.me(&ana).await.status(),
        401,
        "node B still honours the token"
    );

    // Deactivation on node A.
    let rui = node_a.agent("rui", json!({})).await;
    let mut on_b = node_b.open_tab(&rui).await;
    node_b.me(&rui).ok().await;
    node_a
        .update_agent(&manager, &rui.user_id, &json!({"active": false}))
        .ok()
        .await;
    assert_eq!(on_b.closed().await, Some(4001));
    assert_eq!(
        node_b.me(&rui).await.status(),
        401,
        "node B still honours the token"
    );
}

#[actix_web::test]
async fn a_node_that_missed_a_revocation_closes_its_sockets_from_the_database() {
    let redis = RedisServer::start().await;
    let node_a = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Default::default()
    })
    .await;
    let node_b = node_a.restart().await;
    let ana = node_a.agent("ana", json!({})).await;
    let mut on_b = node_b.open_tab(&ana).await;
    redis.kill();
    node_a.logout(&ana).ok().await;
    // Node B checks its sockets' sessions against PostgreSQL every 10 s.
    assert_eq!(
        on_b.closed_within(Duration::from_secs(15)).await,
        Some(4001)
    );
}

#[actix_web::test]
async fn a_role_change_makes_the_users_sockets_reconnect_with_the_new_role() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let deputy = app.agent("deputy", json!({})).await;
    app.update_agent(&manager, &deputy.user_id, &json!({"role": "manager"}))
        .ok()
        .await;
    let mut socket = app.ws(&deputy).await;
    let hello = socket.expect("hello").await;
    assert_eq!(hello["user"]["role"], "manager");

    // Demoted: the socket opened as a manager must not go on receiving managers' frames.
    app.update_agent(&manager, &deputy.user_id, &json!({"role": "agent"}))
        .ok()
        .await;
    assert_eq!(socket.closed().await, Some(1012), "reconnect now");
    let mut again = app.ws(&deputy).await;
    assert_eq!(again.expect("hello").await["user"]["role"], "agent");
}
