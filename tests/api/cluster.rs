//! Several nodes behind a load balancer: real `switchboard` processes on one database and one
//! Redis prefix, each request and socket landing on whichever node.

use crate::helpers::writers::{metric, until_blocked, until_metric, Held};
use crate::helpers::{inquiry, spawn_app_with, LiveAgent, Options, RedisServer, TestApp};
use serde_json::json;
use std::time::Duration;
use tokio::process::Child;

#[actix_web::test]
async fn an_agent_on_node_b_gets_the_ticket_node_a_assigned() {
    let app = spawn_app_with(Options {
        redis: true,
        ..Default::default()
    })
    .await;
    let (_a, node_a) = app.node_process().await;
    let (_b, node_b) = app.node_process().await;
    let mut ana = node_b.working_agent("ana", json!({})).await;
    let mut tab_on_a = node_a.open_tab(&ana).await;
    let mut manager = node_b.ws(&node_b.manager().await).await;
    manager.expect("snapshot").await;

    let created = node_a.ingest(&inquiry("g1", "m1")).await.ticket_id;
    let ana_id = ana.user_id.clone();
    for tab in [&mut ana.ws, &mut tab_on_a] {
        let assigned = tab.expect("ticket.assigned").await;
        assert_eq!(assigned["ticket"]["id"], created);
        assert_eq!(assigned["ticket"]["assignee_id"], ana_id);
    }
    // Managers watching from node B get node A's wallboard.
    manager.expect("wallboard").await;
    // Each node delivered the frame once: node A does not hear its own publish again.
    for tab in [&mut ana.ws, &mut tab_on_a] {
        tab.expect_none("ticket.assigned", Duration::from_millis(500))
            .await;
    }
}

#[actix_web::test]
async fn a_node_that_missed_frames_while_redis_was_down_makes_its_sockets_take_a_snapshot() {
    let redis = RedisServer::start().await;
    let node_a = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Default::default()
    })
    .await;
    let node_b = node_a.restart().await;
    // Node A dispatches the account (the first to need its dispatcher).
    node_a.ingest(&inquiry("g0", "m0")).await;
    let mut ana = node_b.working_agent("ana", json!({})).await;
    ana.ws.expect("ticket.assigned").await;
    // The resume names its history: node B may start a new one once Ana's socket is gone,
    // and a bare seq would then be read as a place in it.
    let (epoch, last_seq) = (ana.ws.epoch.expect("a hello"), ana.ws.last_seq);

    // Node A goes on deciding (and relaying nothing) while Redis is down.
    let port = redis.kill();
    wait_for_cross_node_push(&node_b, false).await;
    node_a.ingest(&inquiry("g1", "m1")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _redis = RedisServer::start_on(port).await;
    wait_for_cross_node_push(&node_b, true).await;

    // Node A's next frames show node B the gap: B's sockets reconnect for a snapshot.
    let guests = {
        let node_a = node_a.clone();
        actix_web::rt::spawn(async move {
            for n in 2.. {
                node_a
                    .ingest(&inquiry(&format!("g{n}"), &format!("m{n}")))
                    .await;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    let closed = ana.ws.closed_within(Duration::from_secs(10)).await;
    guests.abort();
    assert_eq!(closed, Some(1012), "reconnect now");
    let mut back = node_b.ws_resuming_at(&ana, epoch, last_seq).await;
    back.expect("snapshot").await;
}

#[actix_web::test]
async fn a_manager_on_node_b_assigns_through_the_dispatcher_node_a_runs() {
    let NodeAOwns {
        app,
        a: _a,
        node_a,
        _b,
        node_b,
        mut ana,
        first: created,
    } = node_a_owns_and_ana_works_on_b(None).await;
    let (holder, epoch) = lease(&app).await.expect("a lease");
    let bo = node_b.working_agent("bo", json!({})).await;
    let manager = node_b.manager().await;
    node_b.assign(&manager, &created, &bo.user_id).ok().await;
    assert_eq!(
        node_b.ticket_as_manager(&created).await["assignee_id"],
        bo.user_id
    );
    assert_eq!(
        ana.ws.expect("ticket.unassigned").await["ticket_id"],
        created
    );
    assert_eq!(
        lease(&app).await,
        Some((holder, epoch)),
        "node B never took the lease"
    );
    assert_eq!(metric(&node_a, "switchboard_dispatcher_leases").await, 1.0);
    assert_eq!(metric(&node_b, "switchboard_dispatcher_leases").await, 0.0);
}

#[actix_web::test]
async fn a_lease_taken_over_while_a_commit_is_in_flight_commits_nothing() {
    let app = spawn_app_with(Options::default()).await;
    let mut ana = app.working_agent("ana", json!({})).await;
    app.ingest(&inquiry("g0", "m0")).await;
    ana.ws.expect("ticket.assigned").await;

    // Another node is taking the lease over: it holds the row while this node commits.
    let thief = Held::leases(&app).await;
    let created = app.ingest(&inquiry("g1", "m1")).await.ticket_id;
    until_blocked(&app, 1).await;
    thief
        .commit_with(
            "UPDATE dispatcher_leases SET holder = 'another node', epoch = epoch + 1, \
             expires_at = now() + interval '1 hour'",
        )
        .await;

    ana.ws
        .expect_none("ticket.assigned", Duration::from_secs(2))
        .await;
    let stored = app.ticket_as_manager(&created).await;
    assert_eq!(stored["state"], "queued");
    assert!(stored["assignee_id"].is_null(), "{stored}");
    assert_eq!(metric(&app, "switchboard_dispatcher_leases").await, 0.0);
}

#[actix_web::test]
async fn a_node_whose_lease_was_taken_over_lets_go_of_it_at_its_next_renewal() {
    let app = spawn_app_with(Options {
        lease_ttl_ms: Some(1_000),
        ..Default::default()
    })
    .await;
    app.ingest(&inquiry("g0", "m0")).await;
    assert_eq!(metric(&app, "switchboard_dispatcher_leases").await, 1.0);
    // Another node takes the lease over while this one commits nothing.
    Held::leases(&app)
        .await
        .commit_with(
            "UPDATE dispatcher_leases SET holder = 'another node', epoch = epoch + 1, \
             expires_at = now() + interval '1 hour'",
        )
        .await;
    until_metric(&app, "switchboard_dispatcher_leases", 0.0).await;
    assert_eq!(
        lease(&app).await.map(|(holder, _)| holder).as_deref(),
        Some("another node")
    );
}

#[actix_web::test]
async fn killing_the_owner_node_moves_the_account_and_its_queue_to_another() {
    let NodeAOwns {
        app,
        mut a,
        _b,
        node_b,
        mut ana,
        ..
    } = node_a_owns_and_ana_works_on_b(Some(1_500)).await;

    a.start_kill().unwrap();
    a.wait().await.unwrap();
    // Nobody dispatches this one until a survivor takes the lapsed lease over and rebuilds.
    let created = node_b.ingest(&inquiry("g1", "m1")).await.ticket_id;
    let assigned = ana.ws.expect("ticket.assigned").await;
    assert_eq!(assigned["ticket"]["id"], created);
    // Whichever survivor (this test's own node, or node B) looked first, under the next epoch.
    let (holder, epoch) = lease(&app).await.expect("a lease");
    assert_eq!(epoch, 2);
    let survivor = [&app, &node_b]
        .into_iter()
        .find(|node| holder.ends_with(&format!(":{}", node.port)))
        .unwrap_or_else(|| panic!("{holder} is no survivor"));
    assert_eq!(
        metric(survivor, "switchboard_dispatcher_takeovers_total").await,
        1.0
    );
}

#[actix_web::test]
async fn a_node_that_stops_gracefully_hands_its_accounts_over_at_once() {
    let NodeAOwns {
        app,
        mut a,
        node_a,
        _b,
        node_b,
        mut ana,
        ..
    } = node_a_owns_and_ana_works_on_b(None).await;

    let pid = a.id().unwrap().to_string();
    let stopped = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await;
    assert!(stopped.unwrap().success());
    a.wait().await.unwrap();
    // Released with a notice: taken over well before the lease (8 s) would have lapsed.
    let created = node_b.ingest(&inquiry("g1", "m1")).await.ticket_id;
    let assigned = ana.ws.expect("ticket.assigned").await;
    assert_eq!(assigned["ticket"]["id"], created);
    let (holder, epoch) = lease(&app).await.expect("a lease");
    assert!(!holder.ends_with(&format!(":{}", node_a.port)), "{holder}");
    assert_eq!(epoch, 2);
}

#[actix_web::test]
async fn a_resume_on_another_node_replays_exactly_the_frames_it_missed() {
    let app = spawn_app_with(Options {
        redis: true,
        ..Default::default()
    })
    .await;
    let node_b = app.restart().await;
    for node in [&app, &node_b] {
        wait_for_cross_node_push(node, true).await;
    }
    // Ana works on this node; node B has never seen her.
    let mut ana = app.working_agent("ana", json!({})).await;
    // A second tab sees the first ticket, then reads nothing more.
    let mut tab = app.open_tab(&ana).await;
    let first = app.ingest(&inquiry("g0", "m0")).await.ticket_id;
    assert_eq!(tab.expect("ticket.assigned").await["ticket"]["id"], first);
    let mut missed = Vec::new();
    for n in 1..3 {
        let id = app
            .ingest(&inquiry(&format!("g{n}"), &format!("m{n}")))
            .await
            .ticket_id;
        missed.push(json!(id));
    }
    while ana.ws.next(Duration::from_millis(500)).await.is_some() {}
    let since_tab: Vec<_> = ana
        .ws
        .seen
        .iter()
        .filter(|f| f["seq"].as_u64().is_some_and(|seq| seq > tab.last_seq))
        .cloned()
        .collect();
    let assigned: Vec<_> = since_tab
        .iter()
        .filter(|f| f["type"] == "ticket.assigned")
        .map(|f| f["ticket"]["id"].clone())
        .collect();
    assert_eq!(assigned, missed);

    // The tab reconnects, and the balancer sends it to node B: it gets exactly what it
    // missed (from the history the nodes share), numbered on from where it left off, and no
    // snapshot.
    let mut moved = node_b.ws_resuming_after(&ana, &tab).await;
    assert_eq!(moved.expect("hello").await["epoch"].as_u64(), tab.epoch);
    let mut replayed = Vec::new();
    while let Some(frame) = moved.next(Duration::from_millis(500)).await {
        replayed.push(frame);
    }
    // What follows is live (the reconnection itself tells Ana's tabs her state).
    let last = since_tab.last().and_then(|f| f["seq"].as_u64());
    replayed.retain(|f| f["seq"].as_u64() <= last);
    assert_eq!(replayed, since_tab);
}

/// This test's node and two real server processes, on one database and Redis prefix: node A
/// dispatches the account (the first guest message made it take the lease) and Ana works on
/// node B, where she got that first ticket through node A's dispatcher.
struct NodeAOwns {
    app: TestApp,
    a: Child,
    node_a: TestApp,
    _b: Child,
    node_b: TestApp,
    ana: LiveAgent,
    /// The first ticket's id.
    first: String,
}

/// Sets up [`NodeAOwns`], with `SWITCHBOARD_LEASE_TTL_MS` when given. (Bind both processes
/// when taking it apart: a process is killed when its handle is dropped.)
async fn node_a_owns_and_ana_works_on_b(lease_ttl_ms: Option<u64>) -> NodeAOwns {
    let app = spawn_app_with(Options {
        redis: true,
        lease_ttl_ms,
        ..Default::default()
    })
    .await;
    let (a, node_a) = app.node_process().await;
    let (_b, node_b) = app.node_process().await;
    let first = node_a.ingest(&inquiry("g0", "m0")).await.ticket_id;
    let (holder, _) = lease(&app).await.expect("a lease");
    assert!(holder.ends_with(&format!(":{}", node_a.port)), "{holder}");
    let mut ana = node_b.working_agent("ana", json!({})).await;
    assert_eq!(
        ana.ws.expect("ticket.assigned").await["ticket"]["id"],
        first
    );
    NodeAOwns {
        app,
        a,
        node_a,
        _b,
        node_b,
        ana,
        first,
    }
}

/// The account's dispatcher lease as stored: holder and epoch.
async fn lease(app: &TestApp) -> Option<(String, i64)> {
    sqlx::query_as(
        "SELECT holder, epoch FROM dispatcher_leases \
         WHERE account_id = (SELECT id FROM accounts WHERE slug = $1)",
    )
    .bind(&app.account.slug)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

/// Waits (up to 10 s) until the node's `/readyz` says cross-node push is `up` or not.
async fn wait_for_cross_node_push(node: &TestApp, up: bool) {
    for _ in 0..100 {
        if node.readyz().ok().await["cross_node_push"] == up {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cross_node_push did not become {up} within 10 s");
}
