//! The OpenAPI document (SPEC §9) and the answers schemathesis found outside it.

use crate::helpers::{assert_error, spawn_app};

#[actix_web::test]
async fn the_openapi_document_is_served_to_anyone_and_describes_the_api() {
    let app = spawn_app().await;
    let res = app.openapi().await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let reply = &doc["paths"]["/api/v1/tickets/{id}/reply"]["post"];
    assert_eq!(
        reply["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ReplyBody"
    );
    assert_eq!(
        reply["responses"]["404"]["$ref"],
        "#/components/responses/NotFound"
    );
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"][0], "error");
}

#[actix_web::test]
async fn a_plain_get_of_the_socket_endpoint_is_a_400_in_the_error_shape() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let res = app.ws_without_upgrade(&manager).await;
    assert_eq!(assert_error(res, 400).await, "invalid_input");
}

#[actix_web::test]
async fn an_api_key_label_with_u0000_is_a_400_and_no_key_is_made() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let res = app.create_api_key(&manager, "ops\u{0}bridge").await;
    assert_eq!(assert_error(res, 400).await, "invalid_input");
    let keys = app.api_keys(&manager).ok().await;
    assert!(keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["label"] != "ops\u{0}bridge"));
}
