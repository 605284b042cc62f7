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

#[actix_web::test]
async fn keys_are_listed_without_their_secret_and_a_revoked_key_stops_at_once() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let created = app.create_api_key(&manager, "Airbnb bridge").ok().await;
    let (id, key) = (
        created["id"].as_str().unwrap().to_string(),
        created["key"].as_str().unwrap().to_string(),
    );
    let res = app
        .ingest_message(&key, &crate::helpers::inquiry("zoe", "m1"))
        .await;
    assert_eq!(res.status(), 202);

    let mut listed = app.api_keys(&manager).ok().await;
    for _ in 0..50 {
        let ours = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id.as_str());
        if ours.is_some_and(|k| k["last_used_at"].is_string()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        listed = app.api_keys(&manager).ok().await;
    }
    let ours = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .expect("the new key is listed")
        .clone();
    assert_eq!(ours["label"], "Airbnb bridge");
    assert!(ours["created_at"].is_string());
    assert!(
        ours["last_used_at"].is_string(),
        "its use is recorded: {ours}"
    );
    assert!(!listed.to_string().contains(&key), "never the key itself");

    let agent = app.agent("ana", json!({})).await;
    assert_eq!(
        assert_error(app.api_keys(&agent).await, 403).await,
        "forbidden"
    );
    assert_eq!(app.revoke_api_key(&manager, &id).await.status(), 204);
    let res = app
        .ingest_message(&key, &crate::helpers::inquiry("zoe", "m2"))
        .await;
    assert_eq!(assert_error(res, 401).await, "unauthorized");
    let res = app.revoke_api_key(&manager, &id).await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    let listed = app.api_keys(&manager).ok().await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert!(
        !ids.contains(&id.as_str()),
        "a revoked key is not listed: {ids:?}"
    );
}
