//! A session that ends ends everywhere at once: its live sockets are closed with 4001 (the
//! browser goes back to the login page) and stop receiving anything.

use crate::helpers::spawn_app;
use serde_json::json;

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
