//! Redis stops and comes back empty (SPEC §8): while it is down nothing waits on it and the
//! node serves presence from its own memory; when it answers again, the node writes its
//! agents' presence back into it before trusting it, so nobody looks offline and no ticket
//! moves.

use crate::helpers::{inquiry, spawn_app_with, Options, RedisServer};
use serde_json::json;
use std::time::Duration;

#[actix_web::test]
async fn a_redis_restarted_empty_gets_this_nodes_presence_back_before_it_is_trusted() {
    let redis = RedisServer::start().await;
    let app = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Default::default()
    })
    .await;
    let mut ana = app.working_agent("ana", json!({})).await;
    let mut rui = app.working_agent("rui", json!({})).await;
    let mut tickets = Vec::new();
    for n in 0..2 {
        tickets.push(
            app.ingest(&inquiry(&format!("g{n}"), &format!("m{n}")))
                .await
                .ticket_id,
        );
    }
    ana.ws.expect("ticket.assigned").await;
    rui.ws.expect("ticket.assigned").await;
    let mut holders = Vec::new();
    for id in &tickets {
        holders.push(app.ticket_as_manager(id).await["assignee_id"].clone());
    }
    assert_eq!(app.readyz().ok().await["status"], "ready");

    let port = redis.kill();
    // What reads presence still answers, from the node's own memory; readiness says degraded.
    assert_eq!(app.readyz().ok().await["status"], "degraded");
    let me = app.me(&ana).ok().await;
    assert_eq!(me["user"]["state"]["presence"], "online", "{me}");
    let tab = app.open_tab(&rui).await;
    let snapshot = tab.seen.iter().find(|f| f["type"] == "snapshot").unwrap();
    assert_eq!(snapshot["state"]["presence"], "online", "{snapshot}");
    assert_eq!(app.readyz().ok().await["status"], "degraded");

    let redis = RedisServer::start_on(port).await;
    let mut trusted = false;
    for _ in 0..100 {
        if app.readyz().ok().await["status"] == "ready" {
            trusted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        trusted,
        "the node did not trust the restarted Redis within 10 s"
    );

    // By the time it is trusted, the new Redis holds every connection the node kept.
    let mut conn = redis.connection().await.unwrap();
    let account_id = me["account"]["id"].as_str().unwrap();
    let prefix = app.redis_prefix().unwrap();
    for user_id in [&ana.user_id, &rui.user_id] {
        let key = format!("{prefix}:presence:{account_id}:{user_id}:conns");
        let live: i64 = redis::cmd("ZCOUNT")
            .arg(&key)
            .arg(format!("({}", chrono::Utc::now().timestamp_millis()))
            .arg("+inf")
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(live >= 1, "{key} holds no live connection");
    }

    // A dispatcher sweep (every 5 s) reads the new Redis: nobody's ticket moves, and new work
    // still goes to the agents rather than the queue.
    ana.ws
        .expect_none("ticket.unassigned", Duration::from_secs(6))
        .await;
    rui.ws
        .expect_none("ticket.unassigned", Duration::from_millis(100))
        .await;
    for (id, holder) in tickets.iter().zip(&holders) {
        let ticket = app.ticket_as_manager(id).await;
        assert_eq!(&ticket["assignee_id"], holder, "{ticket}");
        assert_ne!(ticket["state"], "queued", "{ticket}");
    }
    let third = app.ingest(&inquiry("g3", "m3")).await.ticket_id;
    let assigned = tokio::select! {
        frame = ana.ws.expect("ticket.assigned") => frame,
        frame = rui.ws.expect("ticket.assigned") => frame,
    };
    assert_eq!(assigned["ticket"]["id"], third);
}
