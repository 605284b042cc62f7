//! Cross-site requests: a page of another site can make a browser send our session cookie,
//! so changes (and the socket) authenticated by the cookie are refused unless they come from
//! our own origin; bearer tokens are not sent by browsers on their own and are not affected.

use crate::helpers::{assert_error, spawn_app};
use serde_json::json;

const EVIL: &str = "https://evil.example";

fn new_manager(email: &str) -> serde_json::Value {
    json!({"email": email, "name": "Mallory", "password": "correct horse battery", "role": "manager"})
}

#[actix_web::test]
async fn a_cookie_change_from_another_site_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let browser = manager.in_browser();
    let before = app.agents(&manager).ok().await["items"]
        .as_array()
        .unwrap()
        .len();

    let res = app
        .create_agent(&browser.sent_by_page_of(EVIL), &new_manager("m1@test.test"))
        .await;
    assert_eq!(assert_error(res, 403).await, "forbidden");
    let res = app
        .create_agent_raw(
            &browser.sent_by_page_of(EVIL),
            "text/plain",
            &new_manager("m2@test.test").to_string(),
        )
        .await;
    assert_eq!(assert_error(res, 403).await, "forbidden");
    let after = app.agents(&manager).ok().await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before, "no agent was created");

    let own = app.address.clone();
    let res = app
        .create_agent(&browser.sent_by_page_of(&own), &new_manager("m3@test.test"))
        .await;
    assert_eq!(res.status(), 201, "the app's own pages may");
    let res = app
        .create_agent(&manager.sent_by_page_of(EVIL), &new_manager("m4@test.test"))
        .await;
    assert_eq!(
        res.status(),
        201,
        "a bearer token is not sent by a browser on its own"
    );
}

#[actix_web::test]
async fn json_bodies_need_a_json_content_type() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let res = app
        .create_agent_raw(
            &manager,
            "text/plain",
            &new_manager("m1@test.test").to_string(),
        )
        .await;
    assert_eq!(assert_error(res, 400).await, "unsupported_content_type");
}

#[actix_web::test]
async fn the_socket_opens_only_for_the_apps_own_pages() {
    let app = spawn_app().await;
    let agent = app.agent("ana", json!({})).await;
    assert_eq!(app.ws_in_browser(&agent, EVIL).await.err(), Some(403));
    let mut ws = app
        .ws_in_browser(&agent, &app.address)
        .await
        .expect("the app's own page connects");
    ws.expect("hello").await;
}

#[actix_web::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    for res in [
        app.healthz().await,
        app.get_unknown_path("/nothing-here").await,
    ] {
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "no-referrer");
    }
}
