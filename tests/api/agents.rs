//! `/agents` (managers only): create, list, read, update, with their refusals.

use crate::helpers::{assert_error, spawn_app, Session};
use serde_json::{json, Value};

#[actix_web::test]
async fn a_manager_creates_lists_and_edits_agents() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let card = json!({"stages": ["pre_booking"], "channels": ["airbnb"], "languages": ["en", "pt"], "listing_groups": ["Lisbon"], "max_active": 5});
    let res = app
        .create_agent(
            &manager,
            &json!({"email": "Ana@Test.Test", "name": "Ana", "password": "long enough", "card": card}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let ana: Value = res.json().await.unwrap();
    assert_eq!(ana["email"], "ana@test.test");
    assert_eq!(ana["role"], "agent");
    let mut stored = card.clone();
    stored["groups"] = json!([]); // no routing groups (SPEC §9: the card gains `groups[]`)
    assert_eq!(ana["card"], stored, "the card round-trips exactly");
    assert_eq!(ana["state"]["presence"], "offline");

    let list = app.agents(&manager).ok().await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let id = ana["id"].as_str().unwrap();
    let patched = app
        .update_agent(
            &manager,
            id,
            &json!({"name": "Ana S.", "card": {"max_active": null}}),
        )
        .ok()
        .await;
    assert_eq!(patched["name"], "Ana S.");
    assert_eq!(patched["card"]["max_active"], Value::Null);
    assert_eq!(patched["card"]["stages"], json!([]));
    let fetched = app.agent_by_id(&manager, id).ok().await;
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
    assert_eq!(app.create_agent(&manager, &ok).await.status(), 201);
    assert_eq!(
        assert_error(app.create_agent(&manager, &ok).await, 409).await,
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
            assert_error(app.create_agent(&manager, &body).await, 400).await,
            code,
            "{body}"
        );
    }
    let agent = app.agent("plain", json!({})).await;
    assert_eq!(
        assert_error(app.agents(&agent).await, 403).await,
        "forbidden"
    );
    assert_eq!(
        assert_error(app.create_agent(&agent, &json!({})).await, 403).await,
        "forbidden"
    );
    let anonymous = app.agents(&Session::anonymous()).await;
    assert_eq!(assert_error(anonymous, 401).await, "unauthorized");
    assert_eq!(
        assert_error(app.agent_by_id(&manager, "999999").await, 404).await,
        "not_found"
    );
    let other = app.create_account("other").await;
    let their_manager = app.manager_of(&other).await;
    assert_eq!(
        assert_error(app.agent_by_id(&their_manager, &agent.user_id).await, 404).await,
        "not_found"
    );
    let res = app
        .update_agent(&their_manager, &agent.user_id, &json!({"name": "hijack"}))
        .await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    let unchanged = app.agent_by_id(&manager, &agent.user_id).ok().await;
    assert_eq!(unchanged["name"], "plain", "another account cannot rename");
}

#[actix_web::test]
async fn the_last_manager_cannot_step_down_and_deactivated_agents_are_signed_out() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let res = app
        .update_agent(&manager, &manager.user_id, &json!({"role": "agent"}))
        .await;
    assert_eq!(assert_error(res, 422).await, "invalid_state");
    let res = app
        .update_agent(&manager, &manager.user_id, &json!({"active": false}))
        .await;
    assert_eq!(assert_error(res, 422).await, "invalid_state");
    let agent = app.agent("leaver", json!({})).await;
    assert_eq!(app.me(&agent).await.status(), 200);
    assert_eq!(
        app.update_agent(&manager, &agent.user_id, &json!({"active": false}))
            .await
            .status(),
        200
    );
    assert_eq!(
        assert_error(app.me(&agent).await, 401).await,
        "unauthorized"
    );
}

#[actix_web::test]
async fn a_new_role_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let agent = app.agent("riser", json!({})).await;
    // Signed-in sessions are remembered for a few seconds; a role change must not wait for that.
    assert_eq!(
        assert_error(app.wallboard(&agent).await, 403).await,
        "forbidden"
    );
    let promoted = app
        .update_agent(&manager, &agent.user_id, &json!({"role": "manager"}))
        .await;
    assert_eq!(promoted.status(), 200);
    assert_eq!(app.wallboard(&agent).await.status(), 200);
    let demoted = app
        .update_agent(&manager, &agent.user_id, &json!({"role": "agent"}))
        .await;
    assert_eq!(demoted.status(), 200);
    assert_eq!(
        assert_error(app.wallboard(&agent).await, 403).await,
        "forbidden"
    );
}
