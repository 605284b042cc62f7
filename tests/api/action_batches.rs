//! Group-committed ticket actions: actions that wait together are applied in one transaction,
//! each answered with its own outcome; a batch that fails (here: it waited too long for a
//! ticket another transaction held) is applied again one action at a time, so nobody's
//! action is lost to a batch mate's trouble.
//!
//! The writers are held still by locking the events table (every applied action logs an
//! event), so the next actions gather in the queue, watched through the metrics.

use crate::helpers::writers::{metric, until_blocked, until_metric, Held};
use crate::helpers::{inquiry, spawn_app, LiveAgent, TestApp};
use futures_util::future::join_all;
use serde_json::json;
use std::future::{Future, IntoFuture};

/// The node's action writers: one per five connections of the test apps' pool of 10
/// (`app::action_writer`).
const WRITERS: usize = 2;

/// `n` tickets, all assigned to one working agent.
async fn agent_with_tickets(app: &TestApp, n: usize) -> (LiveAgent, Vec<String>) {
    let mut ana = app.working_agent("Ana", json!({})).await;
    let mut tickets = Vec::new();
    for i in 0..n {
        tickets.push(
            app.ingest(&inquiry(&format!("guest-{i}"), &format!("m-{i}")))
                .await
                .ticket_id,
        );
        ana.ws.expect("ticket.assigned").await;
    }
    (ana, tickets)
}

/// Opens each of `first` in turn, each once the ones before hold a writer (stuck on the held
/// events table), so that every writer holds one; then runs `then` at once. Answers the
/// statuses of all, in order.
async fn with_writers_busy<F: Future<Output = Vec<u16>>>(
    app: &TestApp,
    agent: &LiveAgent,
    first: &[String],
    then: F,
) -> Vec<u16> {
    let one_by_one = join_all(first.iter().enumerate().map(|(i, t)| async move {
        until_blocked(app, i as i64).await;
        app.open(agent, t).await.status().as_u16()
    }));
    let then_together = async {
        until_blocked(app, first.len() as i64).await;
        then.await
    };
    let (a, b) = futures_util::future::join(one_by_one, then_together).await;
    [a, b].concat()
}

/// [`with_writers_busy`], then opens `waiting` at once.
async fn open_with_writers_busy(
    app: &TestApp,
    agent: &LiveAgent,
    first: &[String],
    waiting: &[String],
) -> Vec<u16> {
    with_writers_busy(app, agent, first, open_all(app, agent, waiting)).await
}

/// Opens each ticket at once; answers the statuses in the same order.
async fn open_all(app: &TestApp, agent: &LiveAgent, tickets: &[String]) -> Vec<u16> {
    join_all(
        tickets
            .iter()
            .map(|t| async move { app.open(agent, t).await.status().as_u16() }),
    )
    .await
}

async fn opened(app: &TestApp, tickets: &[String]) -> usize {
    let mut n = 0;
    for t in tickets {
        if app.ticket_as_manager(t).await["state"] == "opened" {
            n += 1;
        }
    }
    n
}

#[actix_web::test]
async fn actions_that_wait_together_commit_in_one_transaction() {
    let app = spawn_app().await;
    let (ana, tickets) = agent_with_tickets(&app, WRITERS + 8).await;
    let (first, waiting) = tickets.split_at(WRITERS);

    let held = Held::table(&app, "events").await;
    // Every writer holds one action, stuck on the events table; the next eight wait.
    let opens = open_with_writers_busy(&app, &ana, first, waiting);
    let release = async {
        until_metric(&app, "switchboard_action_waiting_actions", 8.0).await;
        held.let_go().await;
    };
    let (statuses, ()) = futures_util::future::join(opens, release).await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(opened(&app, &tickets).await, tickets.len());
    let batches = metric(&app, "switchboard_action_batch_actions_count").await;
    let actions = metric(&app, "switchboard_action_batch_actions_sum").await;
    assert_eq!(actions, tickets.len() as f64);
    // Four batches of one, then the eight that waited in at most four more.
    assert!(batches <= (2 * WRITERS) as f64, "{batches} batches");
}

#[actix_web::test]
async fn a_batch_that_fails_is_applied_again_one_action_at_a_time() {
    let app = spawn_app().await;
    let (ana, tickets) = agent_with_tickets(&app, WRITERS + 3).await;
    let (first, waiting) = tickets.split_at(WRITERS);

    // Another transaction holds the last of the three that will be batched together, for
    // longer than a batch waits for a ticket.
    let row = Held::ticket(&app, &waiting[2]).await;
    let table = Held::table(&app, "events").await;
    let opens = open_with_writers_busy(&app, &ana, first, waiting);
    let release = async {
        until_metric(&app, "switchboard_action_waiting_actions", 3.0).await;
        table.let_go().await;
        // The batch of three gives up on the held ticket (`lock_timeout`) and its actions go
        // one by one, in ticket order: the two before the held one are opened while it is
        // still held, and the last waits for the row like any single action.
        until_opened(&app, &waiting[..2]).await;
        row.let_go().await;
    };
    let (statuses, ()) = futures_util::future::join(opens, release).await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(opened(&app, &tickets).await, tickets.len());
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE kind = 'ticket.opened'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(events, tickets.len() as i64, "each open logged once");
}

/// Waits until every one of `tickets` is opened; panics after five seconds.
async fn until_opened(app: &TestApp, tickets: &[String]) {
    for _ in 0..200 {
        if opened(app, tickets).await == tickets.len() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{tickets:?} were not all opened while another ticket of their batch was held");
}

/// Two replies to one ticket, a pending with its note, a done, an open, and an open of
/// someone else's ticket wait together: each is answered as it would be alone, and the
/// database holds exactly what the applied ones wrote.
#[actix_web::test]
async fn different_actions_that_wait_together_are_each_answered_as_alone() {
    let app = spawn_app().await;
    // Bo's ticket, opened so that it stays his, and Bo taking no more.
    let mut bo = app.working_agent("Bo", json!({})).await;
    let bos = app.ingest(&inquiry("guest-bo", "m-bo")).await.ticket_id;
    bo.ws.expect("ticket.assigned").await;
    app.open(&bo, &bos).ok().await;
    app.pause_intake(&bo).ok().await;
    let (ana, tickets) = agent_with_tickets(&app, WRITERS + 4).await;
    let (first, rest) = tickets.split_at(WRITERS);
    let [replied, parked, closed, looked] = rest else {
        unreachable!()
    };

    let held = Held::table(&app, "events").await;
    let different = async {
        let answers = join_all(
            [
                app.reply(&ana, replied, "first"),
                app.reply(&ana, replied, "second"),
                app.mark_pending(&ana, parked, "waits for the owner"),
                app.mark_done(&ana, closed),
                app.open(&ana, looked),
                app.open(&ana, &bos),
            ]
            .map(IntoFuture::into_future),
        )
        .await;
        answers
            .iter()
            .map(|r| r.status().as_u16())
            .collect::<Vec<_>>()
    };
    let release = async {
        until_metric(&app, "switchboard_action_waiting_actions", 6.0).await;
        held.let_go().await;
    };
    let (statuses, ()) =
        futures_util::future::join(with_writers_busy(&app, &ana, first, different), release).await;
    let (busy, waited) = statuses.split_at(WRITERS);

    assert!(busy.iter().all(|s| *s == 200), "{busy:?}");
    assert_eq!(waited[..5], [200; 5], "{waited:?}");
    assert_eq!(waited[5], 403, "someone else's ticket: {waited:?}");
    for (ticket, state) in [
        (replied, "opened"),
        (parked, "pending"),
        (closed, "done"),
        (looked, "opened"),
        (&bos, "opened"),
    ] {
        assert_eq!(
            app.ticket_as_manager(ticket).await["state"],
            state,
            "{ticket}"
        );
    }
    let id = |t: &String| t.parse::<i64>().unwrap();
    let bodies: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM messages WHERE ticket_id = $1 AND direction = 'outbound' ORDER BY body",
    )
    .bind(id(replied))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(bodies, ["first", "second"]);
    // Bo's own open only: the refused one wrote nothing.
    let logged: Vec<(i64, String, serde_json::Value)> = sqlx::query_as(
        "SELECT ticket_id, kind, data FROM events WHERE ticket_id = ANY($1) \
         AND kind IN ('ticket.replied', 'ticket.pending', 'ticket.done', 'ticket.opened') \
         ORDER BY ticket_id, id",
    )
    .bind([&bos, replied, parked, closed, looked].map(id))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let kinds: Vec<(i64, &str)> = logged.iter().map(|(t, k, _)| (*t, k.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (id(&bos), "ticket.opened"),
            (id(replied), "ticket.replied"),
            (id(replied), "ticket.replied"),
            (id(parked), "ticket.pending"),
            (id(closed), "ticket.done"),
            (id(looked), "ticket.opened"),
        ]
    );
    assert!(
        logged[1].2["message_id"] != logged[2].2["message_id"],
        "{logged:?}"
    );
    assert_eq!(logged[3].2["note"], "waits for the owner");
    let parked_note: Option<String> =
        sqlx::query_scalar("SELECT pending_note FROM tickets WHERE id = $1")
            .bind(id(parked))
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(parked_note.as_deref(), Some("waits for the owner"));
}

#[actix_web::test]
async fn a_writers_session_settings_leave_with_its_connection_not_through_the_pool() {
    use switchboard::store::held::HeldConnection;
    use switchboard::store::ticket_actions::WRITER_SESSION;
    let app = spawn_app().await;
    let one = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(app.pool.connect_options().as_ref().clone())
        .await
        .unwrap();

    let mut line = HeldConnection::with_session(one.clone(), WRITER_SESSION);
    assert_eq!(lock_timeout(line.get().await.unwrap()).await, "200ms");
    line.forget();

    // The pool's only connection now is a new one, with the server's defaults.
    let mut next = one.acquire().await.unwrap();
    assert_eq!(lock_timeout(&mut next).await, "0");
}

async fn lock_timeout(conn: &mut sqlx::PgConnection) -> String {
    sqlx::query_scalar("SHOW lock_timeout")
        .fetch_one(conn)
        .await
        .unwrap()
}
