use crate::helpers::{assert_error, spawn_app, spawn_app_with, Options, MANAGER_EMAIL, PASSWORD};
use serde_json::{json, Value};
use switchboard::security::rate_limit::RateQuotas;

#[actix_web::test]
async fn login_gives_a_token_and_an_httponly_cookie() {
    let app = spawn_app().await;
    let res = app
        .post_login(&json!({"account": app.account.slug, "email": "Manager@Test.Test", "password": PASSWORD}))
        .await;
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("sb_session=sbs_"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["role"], "manager");
    assert_eq!(body["user"]["email"], MANAGER_EMAIL);
    assert!(body["user"]["id"].is_string());

    // The cookie alone is enough.
    let session_cookie = cookie.split(';').next().unwrap().to_string();
    let me = app
        .client
        .get(app.url("/me"))
        .header("cookie", session_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["account"]["slug"], app.account.slug);
}

#[actix_web::test]
async fn wrong_credentials_and_missing_sessions_are_refused() {
    let app = spawn_app().await;
    for body in [
        json!({"account": app.account.slug, "email": MANAGER_EMAIL, "password": "wrong password"}),
        json!({"account": "other", "email": MANAGER_EMAIL, "password": PASSWORD}),
        json!({"account": app.account.slug, "email": "nobody@test.test", "password": PASSWORD}),
    ] {
        assert_eq!(
            assert_error(app.post_login(&body).await, 401).await,
            "unauthorized"
        );
    }
    let res = app
        .post_login(&json!({"account": app.account.slug, "email": MANAGER_EMAIL}))
        .await;
    assert_eq!(assert_error(res, 400).await, "invalid_json");
    let res = app
        .client
        .post(app.url("/auth/login"))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(assert_error(res, 400).await, "invalid_json");

    assert_eq!(
        assert_error(app.client.get(app.url("/me")).send().await.unwrap(), 401).await,
        "unauthorized"
    );
    let bogus = app
        .client
        .get(app.url("/me"))
        .bearer_auth("sbs_bogus")
        .send()
        .await
        .unwrap();
    assert_eq!(assert_error(bogus, 401).await, "unauthorized");
}

#[actix_web::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let session = app.manager().await;
    assert_eq!(app.get("/me", &session).await.status(), 200);
    assert_eq!(
        app.post("/auth/logout", &session, &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(
        assert_error(app.get("/me", &session).await, 401).await,
        "unauthorized"
    );
}

#[actix_web::test]
async fn login_is_rate_limited_per_user() {
    let app = spawn_app_with(Options {
        quotas: Some(RateQuotas {
            login_per_user_per_minute: 3,
            login_per_ip_per_minute: 100,
            ingest_per_key_per_second: 100,
        }),
        ..Default::default()
    })
    .await;
    let wrong =
        json!({"account": app.account.slug, "email": MANAGER_EMAIL, "password": "wrong password"});
    for _ in 0..3 {
        assert_eq!(app.post_login(&wrong).await.status(), 401);
    }
    // Even the right password is refused now: the user has used up their failures.
    let right = json!({"account": app.account.slug, "email": MANAGER_EMAIL, "password": PASSWORD});
    assert_eq!(
        assert_error(app.post_login(&right).await, 429).await,
        "rate_limited"
    );
}
