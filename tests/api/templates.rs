//! `/templates`: everyone reads, managers write; placeholders are checked and filled.

use crate::helpers::{assert_error, spawn_app};
use serde_json::{json, Value};

#[actix_web::test]
async fn templates_crud_and_preview() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let body = json!({"name": "Welcome", "variants": [
        {"language": "EN", "body": "Hi {{guest_name}}, welcome to {{listing}}!"},
        {"language": "pt", "body": "Olá {{guest_name}}, bem-vindo a {{listing}}!"}
    ]});
    let res = app.create_template(&manager, &body).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["variants"][0]["language"], "en");

    let agent = app.agent("reader", json!({})).await;
    let list = app.templates(&agent).ok().await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let preview = app
        .preview_template(
            &agent,
            &id,
            &json!({"language": "pt", "values": {"guest_name": "Ana", "listing": "Alfama Loft"}}),
        )
        .ok()
        .await;
    assert_eq!(
        preview,
        json!({"language": "pt", "body": "Olá Ana, bem-vindo a Alfama Loft!"})
    );
    let fallback = app
        .preview_template(&agent, &id, &json!({"language": "de"}))
        .ok()
        .await;
    assert_eq!(fallback["language"], "en");

    let renamed = app
        .update_template(&manager, &id, &json!({"name": "Hello"}))
        .ok()
        .await;
    assert_eq!(renamed["name"], "Hello");
    assert_eq!(renamed["variants"].as_array().unwrap().len(), 2);
    assert_eq!(app.delete_template(&manager, &id).await.status(), 204);
    assert_eq!(
        assert_error(app.template(&manager, &id).await, 404).await,
        "not_found"
    );
}

#[actix_web::test]
async fn refusals() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let ok = json!({"name": "Dup", "variants": [{"language": "en", "body": "Hi"}]});
    assert_eq!(app.create_template(&manager, &ok).await.status(), 201);
    assert_eq!(
        assert_error(app.create_template(&manager, &ok).await, 409).await,
        "conflict"
    );
    for body in [
        json!({"name": "X", "variants": [{"language": "en", "body": "Hi {{guest}}"}]}),
        json!({"name": "X", "variants": []}),
        json!({"name": "", "variants": [{"language": "en", "body": "Hi"}]}),
        json!({"name": "X", "variants": [{"language": "english", "body": "Hi"}, {"language": "english", "body": "Yo"}]}),
    ] {
        assert_eq!(
            assert_error(app.create_template(&manager, &body).await, 400).await,
            "invalid_input",
            "{body}"
        );
    }
    let agent = app.agent("writer", json!({})).await;
    assert_eq!(
        assert_error(app.create_template(&agent, &ok).await, 403).await,
        "forbidden"
    );
    let other = app.create_account("other").await;
    let theirs = app.manager_of(&other).await;
    let mine = app.templates(&manager).ok().await;
    let id = mine["items"][0]["id"].as_str().unwrap();
    assert_eq!(
        assert_error(app.template(&theirs, id).await, 404).await,
        "not_found"
    );
    assert_eq!(
        assert_error(app.delete_template(&theirs, id).await, 404).await,
        "not_found"
    );
}

#[actix_web::test]
async fn a_template_is_filled_from_the_ticket_on_the_server() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let body = json!({"name": "Arrival", "variants": [
        {"language": "en", "body": "Hi {{guest_name}}, see you on {{check_in}} at {{listing}}. {{agent_name}}"},
        {"language": "pt", "body": "Olá {{guest_name}}, até {{check_in}} em {{listing}}. {{agent_name}}"}
    ]});
    let created = app.create_template(&manager, &body).ok().await;
    let template = created["id"].as_str().unwrap().to_string();
    let agent = app.agent("Rui", json!({})).await;
    let mut message = crate::helpers::inquiry("Ana", "m1");
    message["guest"]["language"] = json!("pt");
    message["reservation"]["check_in"] = json!("2026-12-24");
    let ticket = app.ingest(&message).await.ticket_id;
    let filled = app
        .preview_template(&agent, &template, &json!({"ticket_id": ticket}))
        .ok()
        .await;
    assert_eq!(filled["language"], "pt");
    assert_eq!(
        filled["body"],
        "Olá Ana, até 24 de dezembro de 2026 em Alfama Loft. Rui"
    );
    let res = app
        .preview_template(&agent, &template, &json!({"ticket_id": "999999"}))
        .await;
    assert_eq!(assert_error(res, 404).await, "not_found");
}
