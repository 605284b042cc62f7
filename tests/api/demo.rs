//! The demo seed (`switchboard demo`) is idempotent and leaves working logins.

use crate::helpers::{inquiry, spawn_app};

/// The logins SPEC §5a promises for the demo account.
const DEMO_ACCOUNT: &str = "demo";
const DEMO_MANAGER: (&str, &str) = ("manager@demo.test", "demo-manager");
const DEMO_AGENT_1: (&str, &str) = ("agent1@demo.test", "demo-agent");

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
    let first = app.seed_demo(4).await;
    let after_first = counts(app.pool.clone()).await;
    let second = app.seed_demo(4).await;
    assert_eq!(counts(app.pool.clone()).await, after_first);
    assert_ne!(first.api_key, second.api_key, "a fresh key each run");
    assert!(second.printed.contains("ingest api key: sbk_"));
    app.login_as(DEMO_ACCOUNT, DEMO_MANAGER.0, DEMO_MANAGER.1)
        .await;
    app.login_as(DEMO_ACCOUNT, DEMO_AGENT_1.0, DEMO_AGENT_1.1)
        .await;
    let res = app
        .ingest_message(&second.api_key, &inquiry("demo", "m1"))
        .await;
    assert_eq!(res.status(), 202);
}
