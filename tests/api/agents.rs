//! `/agents` (managers only): create, list, read, update, with their refusals.

use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::realtime::create_agent;
use serde_json::{json, Value};

async fn create(
    app: &TestApp,
    manager: &crate::helpers::Session,
    body: Value,
) -> reqwest::Response {
    app.post("/agents", manager, &body).await
}

#[actix_web::test]
async fn a_manager_creates_lists_and_edits_agents() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let card = json!({"stages": ["pre_booking"], "channels": ["airbnb"], "languages": ["en", "pt"], "listing_groups": ["Lisbon"], "max_active": 5});
    let res = create(
        &app,
        &manager,
        json!({"email": "Ana@Test.Test", "name": "Ana", "password": "long enough", "card": card}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let ana: Value = res.json().await.unwrap();
    assert_eq!(ana["email"], "ana@test.test");
    assert_eq!(ana["role"], "agent");
    assert_eq!(ana["card"], card, "the card round-trips exactly");
    assert_eq!(ana["state"]["presence"], "offline");

    let list: Value = app.get("/agents", &manager).await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let id = ana["id"].as_str().unwrap();
    let patched: Value = app
        .patch(
            &format!("/agents/{id}"),
            &manager,
            &json!({"name": "Ana S.", "card": {"max_active": null}}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(patched["name"], "Ana S.");
    assert_eq!(patched["card"]["max_active"], Value::Null);
    assert_eq!(patched["card"]["stages"], json!([]));
    let fetched: Value = app
        .get(&format!("/agents/{id}"), &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["name"], "Ana S.");
    // The new agent can sign in.
    app.login_as(&app.account.slug, "ana@test.test", "long enough")
        .await;
}

#[actix_web::test]
async fn refusals() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let ok = json!({"email": "b@test.test", "name": "B", "password": "long enough"});
    assert_eq!(create(&app, &manager, ok.clone()).await.status(), 201);
    assert_eq!(
        assert_error(create(&app, &manager, ok).await, 409).await,
        "conflict"
    );
    for (body, code) in [
        (
            json!({"email": "nope", "name": "C", "password": "long enough"}),
            "invalid_input",
        ),
        (
            json!({"email": "c@test.test", "name": "C", "password": "short"}),
            "invalid_input",
        ),
        (
            json!({"email": "c@test.test", "name": "C", "password": "long enough", "card": {"stages": ["later"]}}),
            "invalid_json",
        ),
        (
            json!({"email": "c@test.test", "name": "C", "password": "long enough", "card": {"languages": ["e1"]}}),
            "invalid_input",
        ),
        (
            json!({"email": "c@test.test", "name": "C", "password": "long enough", "card": {"max_active": 0}}),
            "invalid_input",
        ),
        (
            json!({"email": "c@test.test", "name": "C", "password": "long enough", "role": "boss"}),
            "invalid_input",
        ),
        (
            json!({"email": "c@test.test", "name": 5, "password": "long enough"}),
            "invalid_json",
        ),
    ] {
        assert_eq!(
            assert_error(create(&app, &manager, body.clone()).await, 400).await,
            code,
            "{body}"
        );
    }
    let agent = create_agent(&app, "plain", json!({})).await;
    assert_eq!(
        assert_error(app.get("/agents", &agent).await, 403).await,
        "forbidden"
    );
    assert_eq!(
        assert_error(app.post("/agents", &agent, &json!({})).await, 403).await,
        "forbidden"
    );
    let anonymous = app.client.get(app.url("/agents")).send().await.unwrap();
    assert_eq!(assert_error(anonymous, 401).await, "unauthorized");
    assert_eq!(
        assert_error(app.get("/agents/999999", &manager).await, 404).await,
        "not_found"
    );
    let other = app.create_account("other").await;
    let their_manager = app
        .login_as(
            &other.slug,
            crate::helpers::MANAGER_EMAIL,
            crate::helpers::PASSWORD,
        )
        .await;
    assert_eq!(
        assert_error(
            app.get(&format!("/agents/{}", agent.user_id), &their_manager)
                .await,
            404
        )
        .await,
        "not_found"
    );
    let res = app
        .patch(
            &format!("/agents/{}", agent.user_id),
            &their_manager,
            &json!({"name": "hijack"}),
        )
        .await;
    assert_eq!(assert_error(res, 404).await, "not_found");
}

#[actix_web::test]
async fn the_last_manager_cannot_step_down_and_deactivated_agents_are_signed_out() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let res = app
        .patch(
            &format!("/agents/{}", manager.user_id),
            &manager,
            &json!({"role": "agent"}),
        )
        .await;
    assert_eq!(assert_error(res, 422).await, "invalid_state");
    let res = app
        .patch(
            &format!("/agents/{}", manager.user_id),
            &manager,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(assert_error(res, 422).await, "invalid_state");
    let agent = create_agent(&app, "leaver", json!({})).await;
    assert_eq!(app.get("/me", &agent).await.status(), 200);
    assert_eq!(
        app.patch(
            &format!("/agents/{}", agent.user_id),
            &manager,
            &json!({"active": false})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        assert_error(app.get("/me", &agent).await, 401).await,
        "unauthorized"
    );
}

#[actix_web::test]
async fn a_new_role_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = create_agent(&app, "riser", json!({})).await;
    // Signed-in sessions are remembered for a few seconds; a role change must not wait for that.
    assert_eq!(
        assert_error(app.get("/wallboard", &agent).await, 403).await,
        "forbidden"
    );
    let path = format!("/agents/{}", agent.user_id);
    let promoted = app
        .patch(&path, &manager, &json!({"role": "manager"}))
        .await;
    assert_eq!(promoted.status(), 200);
    assert_eq!(app.get("/wallboard", &agent).await.status(), 200);
    let demoted = app.patch(&path, &manager, &json!({"role": "agent"})).await;
    assert_eq!(demoted.status(), 200);
    assert_eq!(
        assert_error(app.get("/wallboard", &agent).await, 403).await,
        "forbidden"
    );
}
