//! Operations: health, readiness, and the error shape of unknown endpoints.

use crate::helpers::{assert_error, spawn_app};

#[actix_web::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let res = app.healthz().await;
    assert_eq!(res.status(), 200);
    let res = app.readyz().await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["postgres"], true);
    assert!(body["node"]
        .as_str()
        .unwrap()
        .ends_with(&format!(":{}", app.port)));
    assert_eq!(body["dispatchers"], 0);
    app.ingest(&crate::helpers::inquiry("g1", "m1")).await;
    assert_eq!(app.readyz().ok().await["dispatchers"], 1);
}

#[actix_web::test]
async fn unknown_endpoints_answer_404_in_the_error_shape() {
    let app = spawn_app().await;
    let res = app.get_unknown_path("/nope").await;
    assert_eq!(assert_error(res, 404).await, "not_found");
}
