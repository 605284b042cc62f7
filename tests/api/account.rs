//! `/account` settings and `/api-keys` (managers only).

use crate::helpers::{assert_error, spawn_app, spawn_app_with, Options, Session};
use serde_json::json;

#[actix_web::test]
async fn a_manager_reads_and_patches_settings() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let account = app.account(&manager).ok().await;
    assert_eq!(account["response_sla_seconds"], 360);
    assert_eq!(account["assignment_strategy"], "balanced");
    assert_eq!(account["rebalance_threshold"], 2);
    assert_eq!(account["offline_grace_seconds"], 60);
    assert_eq!(account["timezone"], "UTC");

    let res = app
        .patch_account(&manager, &json!({"response_sla_seconds": 120, "timezone": "Europe/Lisbon", "assignment_strategy": "round_robin"}))
        .await;
    assert_eq!(res.status(), 200);
    let account = app.account(&manager).ok().await;
    assert_eq!(account["response_sla_seconds"], 120);
    assert_eq!(account["timezone"], "Europe/Lisbon");
    assert_eq!(account["assignment_strategy"], "round_robin");
}

#[actix_web::test]
async fn a_bad_patch_changes_nothing() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    for (body, code) in [
        (
            json!({"response_sla_seconds": 90, "timezone": "Mars/Base"}),
            "invalid_input",
        ),
        (json!({"rebalance_threshold": 0}), "invalid_input"),
        (json!({"response_sla_seconds": "fast"}), "invalid_json"),
        (json!({"colour": "blue"}), "invalid_json"),
    ] {
        assert_eq!(
            assert_error(app.patch_account(&manager, &body).await, 400).await,
            code,
            "{body}"
        );
    }
    let account = app.account(&manager).ok().await;
    assert_eq!(account["response_sla_seconds"], 360);
    assert_eq!(account["timezone"], "UTC");
}

#[actix_web::test]
async fn api_keys_are_shown_once_and_work_for_ingest_only() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let res = app.create_api_key(&manager, "airbnb bridge").await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    let key = body["key"].as_str().unwrap();
    assert!(key.starts_with("sbk_"));
    let stored: Vec<u8> = sqlx::query_scalar("SELECT key_hash FROM api_keys WHERE id = $1")
        .bind(body["id"].as_str().unwrap().parse::<i64>().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_ne!(stored, key.as_bytes(), "only the digest is stored");
    // An API key is not a login session.
    let res = app.me(&Session::bearer(key)).await;
    assert_eq!(res.status(), 401);
}

#[actix_web::test]
async fn oversize_bodies_are_refused_with_413() {
    let app = spawn_app_with(Options {
        body_limit: Some(1024),
        ..Default::default()
    })
    .await;
    let manager = app.manager().await;
    let res = app
        .patch_account(&manager, &json!({"name": "x".repeat(4096)}))
        .await;
    assert_eq!(assert_error(res, 413).await, "payload_too_large");
}
