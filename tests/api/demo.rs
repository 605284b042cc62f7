//! The demo seed is idempotent and leaves working logins.

use crate::helpers::spawn_app;

/// Runs `switchboard demo --agents 4` against the app's database; answers the ingest key it
/// printed (and checks it printed the logins).
async fn seed(app: &crate::helpers::TestApp) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["demo", "--agents", "4"])
        .env("DATABASE_URL", &app.db.url)
        .env_remove("REDIS_URL")
        .output()
        .await
        .expect("run switchboard demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.contains("manager: manager@demo.test / demo-manager"),
        "{printed}"
    );
    printed
        .lines()
        .find_map(|l| l.strip_prefix("ingest api key: "))
        .expect("an ingest key line")
        .to_string()
}

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
    let first = seed(&app).await;
    let after_first = counts(app.pool.clone()).await;
    let second = seed(&app).await;
    assert_eq!(counts(app.pool.clone()).await, after_first);
    assert_ne!(first, second, "a fresh key each run");
    assert!(second.starts_with("sbk_"));
    app.login_as("demo", "manager@demo.test", "demo-manager")
        .await;
    app.login_as("demo", "agent1@demo.test", "demo-agent").await;
    let res = app
        .client
        .post(app.url("/ingest/messages"))
        .bearer_auth(&second)
        .json(&crate::realtime::inquiry("demo", "m1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
}
