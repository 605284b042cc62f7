//! Signing in and out: sessions by token or cookie, refusals, and the login rate limit.

use crate::helpers::{
    assert_error, spawn_app, spawn_app_with, Options, Session, MANAGER_EMAIL, PASSWORD,
};
use serde_json::{json, Value};

#[actix_web::test]
async fn login_gives_a_token_and_an_httponly_cookie() {
    let app = spawn_app().await;
    let res = app
        .login(&json!({"account": app.account.slug, "email": "Manager@Test.Test", "password": PASSWORD}))
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
    let session_cookie = cookie.split(';').next().unwrap();
    let me = app.me(&Session::cookie(session_cookie)).await;
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
            assert_error(app.login(&body).await, 401).await,
            "unauthorized"
        );
    }
    let res = app
        .login(&json!({"account": app.account.slug, "email": MANAGER_EMAIL}))
        .await;
    assert_eq!(assert_error(res, 400).await, "invalid_json");
    let res = app.login_raw("{not json").await;
    assert_eq!(assert_error(res, 400).await, "invalid_json");

    assert_eq!(
        assert_error(app.me(&Session::anonymous()).await, 401).await,
        "unauthorized"
    );
    let bogus = app.me(&Session::bearer("sbs_bogus")).await;
    assert_eq!(assert_error(bogus, 401).await, "unauthorized");
}

#[actix_web::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let session = app.manager().await;
    assert_eq!(app.me(&session).await.status(), 200);
    assert_eq!(app.logout(&session).await.status(), 204);
    assert_eq!(
        assert_error(app.me(&session).await, 401).await,
        "unauthorized"
    );
}

#[actix_web::test]
async fn login_is_rate_limited_per_user() {
    let app = spawn_app_with(Options {
        logins_per_user_per_minute: Some(3),
        ..Default::default()
    })
    .await;
    let wrong =
        json!({"account": app.account.slug, "email": MANAGER_EMAIL, "password": "wrong password"});
    for _ in 0..3 {
        assert_eq!(app.login(&wrong).await.status(), 401);
    }
    // Even the right password is refused now: the user has used up their failures.
    let right = json!({"account": app.account.slug, "email": MANAGER_EMAIL, "password": PASSWORD});
    assert_eq!(
        assert_error(app.login(&right).await, 429).await,
        "rate_limited"
    );
}

#[actix_web::test]
async fn a_locked_out_user_stays_locked_out_however_the_name_is_written() {
    let app = spawn_app_with(Options {
        logins_per_user_per_minute: Some(3),
        ..Default::default()
    })
    .await;
    let slug = app.account.slug.clone();
    let wrong = json!({"account": slug, "email": MANAGER_EMAIL, "password": "wrong password"});
    for _ in 0..3 {
        assert_eq!(app.login(&wrong).await.status(), 401);
    }
    let upper = MANAGER_EMAIL.to_uppercase();
    for (account, email) in [
        (slug.clone(), format!(" {MANAGER_EMAIL}")),
        (slug.to_uppercase(), format!("{upper} ")),
        (format!(" {slug}"), format!("\t{MANAGER_EMAIL}")),
    ] {
        let right = json!({"account": account, "email": email, "password": PASSWORD});
        assert_eq!(
            assert_error(app.login(&right).await, 429).await,
            "rate_limited",
            "{account:?} {email:?}"
        );
    }
}

#[actix_web::test]
async fn a_whole_team_signs_in_from_one_address_but_failures_from_it_are_limited() {
    let app = spawn_app_with(Options {
        logins_per_ip_per_minute: Some(5),
        ..Default::default()
    })
    .await;
    let right = json!({"account": app.account.slug, "email": MANAGER_EMAIL, "password": PASSWORD});
    for _ in 0..12 {
        assert_eq!(
            app.login(&right).await.status(),
            200,
            "successes do not count"
        );
    }
    for n in 0..5 {
        let guess = json!({"account": app.account.slug, "email": format!("u{n}@test.test"), "password": "guess"});
        assert_eq!(app.login(&guess).await.status(), 401);
    }
    assert_eq!(
        assert_error(app.login(&right).await, 429).await,
        "rate_limited",
        "five failures from one address stop it for a while"
    );
    let huge = json!({"account": app.account.slug, "email": "a".repeat(900_000), "password": "x"});
    assert_eq!(
        assert_error(app.login(&huge).await, 400).await,
        "invalid_input",
        "an oversized field is refused before anything is kept"
    );
}
