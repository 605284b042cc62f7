//! Planner statistics where autovacuum is off (as on our test machines): once a table holds
//! more rows than autovacuum's own threshold, and again each time it has grown tenfold, the server
//! analyzes it, so the plans its connections keep are made for the tables as they are, not as
//! they were when empty; updates alone never make it analyze again. It samples a tenth of
//! what PostgreSQL's default does, so analyzing large tables under load costs little.

use crate::helpers::{inquiry, spawn_app};
use std::time::Duration;

#[actix_web::test]
async fn tables_that_grew_are_analyzed_when_autovacuum_is_off() {
    let app = spawn_app().await;
    let autovacuum: String = sqlx::query_scalar("SHOW autovacuum")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    if autovacuum == "on" {
        eprintln!("autovacuum is on here: PostgreSQL analyzes the tables itself; nothing to test");
        return;
    }
    let last_analyze = || async {
        sqlx::query_scalar::<_, Option<chrono::DateTime<chrono::Utc>>>(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'tickets'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    // Below the threshold (50 changed rows) nothing is analyzed.
    for guest in 0..10 {
        app.ingest(&inquiry(&format!("early-{guest}"), &format!("e-{guest}")))
            .await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        last_analyze().await,
        None,
        "tickets analyzed below the threshold"
    );

    for guest in 0..60 {
        app.ingest(&inquiry(&format!("guest-{guest}"), &format!("g-{guest}")))
            .await;
    }
    // A backend that went idle reports its counts within PostgreSQL's 10 s.
    for _ in 0..300 {
        if last_analyze().await.is_some() {
            let rows: f32 =
                sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'tickets'")
                    .fetch_one(&app.pool)
                    .await
                    .unwrap();
            assert!(
                rows > 50.0,
                "the statistics count the tickets stored, not {rows}"
            );
            // From a small sample (statistics target 10): at most 11 bounds in a column's
            // histogram, where PostgreSQL's default keeps one per distinct id here.
            let bounds: Option<i32> = sqlx::query_scalar(
                "SELECT array_length(histogram_bounds::text::bigint[], 1) FROM pg_stats \
                 WHERE tablename = 'tickets' AND attname = 'id'",
            )
            .fetch_one(&app.pool)
            .await
            .unwrap();
            assert!(bounds.is_some_and(|b| b <= 11), "{bounds:?} bounds");
            let analyzed = last_analyze().await;
            // Updating every ticket twice changes more rows than the table holds, but it
            // has not grown: the connections' plans stay.
            let mut conn = app.pool.acquire().await.unwrap();
            for _ in 0..2 {
                sqlx::query("UPDATE tickets SET pinned = NOT pinned")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
            }
            sqlx::query("SELECT pg_stat_force_next_flush()")
                .execute(&mut *conn)
                .await
                .unwrap();
            drop(conn);
            tokio::time::sleep(Duration::from_secs(6)).await;
            assert_eq!(
                last_analyze().await,
                analyzed,
                "tickets analyzed again after updates alone"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("70 new tickets and the table was never analyzed");
}
