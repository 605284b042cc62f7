//! The demo seed is idempotent and leaves working logins.

use crate::helpers::spawn_app;
use switchboard::demo;

#[actix_web::test]
async fn seeding_twice_creates_nothing_new_and_the_logins_work() {
    let app = spawn_app().await;
    let counts = |pool: sqlx::PgPool| async move {
        let mut out = Vec::new();
        for table in [
            "users",
            "listings",
            "templates",
            "template_variants",
            "accounts",
        ] {
            out.push(
                sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(&pool)
                    .await
                    .unwrap(),
            );
        }
        out
    };
    let first = demo::seed(&app.pool, 4).await.unwrap();
    let after_first = counts(app.pool.clone()).await;
    let second = demo::seed(&app.pool, 4).await.unwrap();
    assert_eq!(counts(app.pool.clone()).await, after_first);
    assert_ne!(first.api_key, second.api_key, "a fresh key each run");
    assert!(demo::describe(&second).contains("ingest api key: sbk_"));
    app.login_as(demo::SLUG, demo::MANAGER_EMAIL, demo::MANAGER_PASSWORD)
        .await;
    app.login_as(demo::SLUG, "agent1@demo.test", demo::AGENT_PASSWORD)
        .await;
    let res = app
        .client
        .post(app.url("/ingest/messages"))
        .bearer_auth(&second.api_key)
        .json(&crate::realtime::inquiry("demo", "m1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
}
