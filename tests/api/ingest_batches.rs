//! Group-committed ingest: messages that wait together are stored in one transaction, a
//! repeat within a batch is stored once, one thread's messages open one ticket, a row that
//! cannot be stored costs only its own caller, and a full queue answers 503 at once.
//!
//! Each test holds the writer still by locking the guests table from another connection (the
//! writer's first batch waits on it), lets the next messages gather in the queue (watched
//! through the metrics), then lets go.

use crate::helpers::writers::{metric, until_blocked, until_metric, Held};
use crate::helpers::{inquiry, spawn_app, spawn_app_with, Options, TestApp};
use serde_json::Value;
use sqlx::Executor;

/// Holds the writer, then sends one message, which the writer takes and waits with; answers
/// the hold and that message's pending answer.
async fn writer_held_on_a_first_message(
    app: &TestApp,
) -> (Held, tokio::task::JoinHandle<reqwest::StatusCode>) {
    let held = Held::table(app, "guests").await;
    let first = tokio::spawn({
        let (app, body) = (app.clone(), inquiry("early", "m-0"));
        async move {
            app.ingest_message(&app.account.api_key, &body)
                .await
                .status()
        }
    });
    until_blocked(app, 1).await;
    (held, first)
}

/// Waits until `n` messages wait in the writer's queue.
async fn until_waiting(app: &TestApp, n: f64) {
    until_metric(app, "switchboard_ingest_waiting_messages", n).await;
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[actix_web::test]
async fn repeats_and_one_threads_messages_in_one_batch_store_once_and_open_one_ticket() {
    let app = spawn_app().await;
    let app = &app;
    let (held, first) = writer_held_on_a_first_message(app).await;
    let repeat = inquiry("twice", "m-dup");
    let sends = (0..5)
        .map(|_| repeat.clone())
        .chain((1..=5).map(|n| inquiry("chatty", &format!("m-{n}"))))
        .map(|body| async move {
            let res = app.ingest_message(&app.account.api_key, &body).await;
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        });
    let answers = futures_util::future::join_all(sends);
    let gathered = async {
        until_waiting(app, 10.0).await;
        held.let_go().await;
    };
    let (answers, ()) = futures_util::future::join(answers, gathered).await;
    assert_eq!(first.await.unwrap(), 202);

    let (repeats, chatty) = answers.split_at(5);
    let new: Vec<_> = repeats.iter().filter(|(s, _)| *s == 202).collect();
    assert_eq!(new.len(), 1, "one of the five copies is new: {repeats:?}");
    assert!(repeats
        .iter()
        .all(|(s, ids)| (*s == 202 || *s == 200) && *ids == repeats[0].1));
    assert!(chatty.iter().all(|(s, _)| *s == 202), "{chatty:?}");
    let tickets: std::collections::HashSet<_> = chatty
        .iter()
        .map(|(_, ids)| ids["ticket_id"].clone())
        .collect();
    assert_eq!(tickets.len(), 1, "one thread, one ticket");

    assert_eq!(count(app, "SELECT count(*) FROM messages").await, 7);
    assert_eq!(count(app, "SELECT count(*) FROM tickets").await, 3);
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM events WHERE kind = 'ticket.created'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM events WHERE kind = 'message.received'"
        )
        .await,
        7
    );
    // The first message alone, then the ten that gathered behind it.
    assert_eq!(
        metric(app, "switchboard_ingest_batch_messages_count").await,
        2.0
    );
    assert_eq!(
        metric(app, "switchboard_ingest_batch_messages_sum").await,
        11.0
    );
}

#[actix_web::test]
async fn two_writers_store_side_by_side_each_threads_messages_on_one() {
    // A pool of 80 gives the node two writers (`CONNECTIONS_PER_WRITER` is 40).
    let app = spawn_app_with(Options {
        db_pool: Some(80),
        ..Options::default()
    })
    .await;
    let app = &app;
    let send = |guest: usize, n: usize| async move {
        let body = inquiry(&format!("guest{guest}"), &format!("m-{guest}-{n}"));
        let res = app.ingest_message(&app.account.api_key, &body).await;
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    // Twelve guests write about one listing nobody has stored yet. With the guests table
    // held, both writers take a batch and wait.
    let held = Held::table(app, "guests").await;
    let firsts = futures_util::future::join_all((0..12).map(|g| send(g, 0)));
    let both_waiting = async {
        until_blocked(app, 2).await;
        held.let_go().await;
    };
    let (firsts, ()) = futures_util::future::join(firsts, both_waiting).await;
    // Each guest writes again: the same writer takes it, and it joins the guest's ticket.
    let seconds = futures_util::future::join_all((0..12).map(|g| send(g, 1))).await;

    for (first, second) in firsts.iter().zip(&seconds) {
        assert_eq!((first.0, second.0), (202, 202), "{first:?} {second:?}");
        assert_eq!(first.1["ticket_id"], second.1["ticket_id"]);
    }
    assert_eq!(count(app, "SELECT count(*) FROM messages").await, 24);
    assert_eq!(count(app, "SELECT count(*) FROM tickets").await, 12);
    assert_eq!(count(app, "SELECT count(*) FROM listings").await, 1);
}

#[actix_web::test]
async fn a_row_that_cannot_be_stored_fails_alone_and_its_batch_mates_are_stored() {
    let app = spawn_app().await;
    let app = &app;
    // A constraint of this test's own database that one message will break.
    app.pool
        .execute("ALTER TABLE messages ADD CONSTRAINT no_poison CHECK (body <> 'poison')")
        .await
        .unwrap();
    let (held, first) = writer_held_on_a_first_message(app).await;
    let sends = (1..=6).map(|n| async move {
        let mut body = inquiry(&format!("guest{n}"), &format!("m-{n}"));
        if n == 4 {
            body["body"] = "poison".into();
        }
        app.ingest_message(&app.account.api_key, &body)
            .await
            .status()
            .as_u16()
    });
    let answers = futures_util::future::join_all(sends);
    let gathered = async {
        until_waiting(app, 6.0).await;
        held.let_go().await;
    };
    let (statuses, ()) = futures_util::future::join(answers, gathered).await;
    assert_eq!(first.await.unwrap(), 202);
    assert_eq!(statuses, vec![202, 202, 202, 500, 202, 202]);
    assert_eq!(count(app, "SELECT count(*) FROM messages").await, 6);
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM guests WHERE external_id = 'g-guest4'"
        )
        .await,
        0,
        "nothing of the refused message is half there"
    );
    assert_eq!(count(app, "SELECT count(*) FROM tickets").await, 6);
}

#[actix_web::test]
async fn a_full_queue_answers_503_with_retry_after_at_once_and_stores_nothing() {
    let app = spawn_app_with(Options {
        ingest_queue: Some(1),
        ..Options::default()
    })
    .await;
    let app = &app;
    let (held, first) = writer_held_on_a_first_message(app).await;
    let second = tokio::spawn({
        let (app, body) = (app.clone(), inquiry("second", "m-1"));
        async move {
            app.ingest_message(&app.account.api_key, &body)
                .await
                .status()
        }
    });
    until_waiting(app, 1.0).await;

    let refused = app
        .ingest_message(&app.account.api_key, &inquiry("third", "m-2"))
        .await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "5");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");

    held.let_go().await;
    assert_eq!(first.await.unwrap(), 202);
    assert_eq!(second.await.unwrap(), 202);
    assert_eq!(count(app, "SELECT count(*) FROM messages").await, 2);
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM guests WHERE external_id = 'g-third'"
        )
        .await,
        0
    );
}

#[actix_web::test]
async fn a_batch_locks_only_the_guests_listings_and_threads_it_changes() {
    let app = spawn_app().await;
    let app = &app;
    let send = |body: Value| async move {
        let answer = app.ingest_message(&app.account.api_key, &body);
        tokio::time::timeout(std::time::Duration::from_secs(10), answer)
            .await
            .expect("the message was held up by rows it does not change")
            .status()
    };
    assert_eq!(send(inquiry("ana", "m-1")).await, 202);
    // Another node's batch holds the guest, the listing and the thread.
    let held = Held::rows(
        app,
        "SELECT 1 FROM guests g, listings l, threads t WHERE g.external_id = 'g-ana' \
         AND l.external_id = 'l-1' AND t.external_id = 'thread-ana' FOR NO KEY UPDATE",
    )
    .await;
    // The same guest again, and a new guest of the same listing: nothing of theirs changes.
    assert_eq!(send(inquiry("ana", "m-2")).await, 202);
    assert_eq!(send(inquiry("bea", "m-3")).await, 202);
    held.let_go().await;

    // What does change is still written.
    let mut renamed = inquiry("ana", "m-4");
    renamed["guest"]["language"] = "pt".into();
    renamed["reservation"]["listing_name"] = "Alfama Loft, top floor".into();
    assert_eq!(send(renamed).await, 202);
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM guests WHERE external_id = 'g-ana' AND language = 'pt'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM listings WHERE name = 'Alfama Loft, top floor'"
        )
        .await,
        1
    );
    assert_eq!(count(app, "SELECT count(*) FROM messages").await, 4);
    assert_eq!(count(app, "SELECT count(*) FROM listings").await, 1);
}

#[actix_web::test]
async fn a_batchs_events_follow_its_messages_and_name_their_message_and_ticket() {
    let app = spawn_app().await;
    let app = &app;
    // A ticket open before the batch, which the batch's first message goes on.
    let res = app
        .ingest_message(&app.account.api_key, &inquiry("back", "m-old"))
        .await;
    assert_eq!(res.status(), 202);
    let (held, first) = writer_held_on_a_first_message(app).await;
    let mut history = inquiry("back", "m-history");
    history["history"] = true.into();
    let bodies = [
        inquiry("back", "m-again"),
        inquiry("new", "m-1"),
        history,
        inquiry("new", "m-2"),
    ];
    // One at a time into the queue, so the batch holds them in this order.
    let mut sends = Vec::new();
    for (n, body) in bodies.into_iter().enumerate() {
        let sender = app.clone();
        sends.push(tokio::spawn(async move {
            let res = sender.ingest_message(&sender.account.api_key, &body).await;
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }));
        until_waiting(app, (n + 1) as f64).await;
    }
    held.let_go().await;
    assert_eq!(first.await.unwrap(), 202);
    let mut answers = Vec::new();
    for send in sends {
        answers.push(send.await.unwrap());
    }
    assert!(answers.iter().all(|(s, _)| *s == 202), "{answers:?}");
    let ids = |n: usize| &answers[n].1;
    assert_eq!(
        ids(1)["ticket_id"],
        ids(3)["ticket_id"],
        "one thread, one ticket"
    );
    assert!(
        ids(2)["ticket_id"].is_null(),
        "a history message has no ticket"
    );

    // The batch's events, in the order they were logged (the dispatcher's aside): each names
    // its message's ticket, a message's event its message.
    let batch_events: Vec<(String, i64, Value)> = sqlx::query_as(
        "SELECT kind, ticket_id, data FROM events \
         WHERE kind IN ('ticket.created', 'message.received') AND id > \
           (SELECT max(id) FROM events WHERE data->>'message_id' = \
             (SELECT id::text FROM messages WHERE external_id = 'm-0')) ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    // The answers carry ids as strings, the events' data as numbers.
    let id = |n: usize, of: &str| ids(n)[of].as_str().unwrap().parse::<i64>().unwrap();
    let ticket = |n: usize| id(n, "ticket_id");
    let message = |n: usize| Value::from(id(n, "message_id"));
    let kinds: Vec<(&str, i64)> = batch_events
        .iter()
        .map(|(kind, ticket, _)| (kind.as_str(), *ticket))
        .collect();
    assert_eq!(
        kinds,
        [
            ("message.received", ticket(0)),
            ("ticket.created", ticket(1)),
            ("message.received", ticket(1)),
            ("message.received", ticket(3)),
        ]
    );
    assert_eq!(batch_events[0].2["message_id"], message(0));
    assert_eq!(batch_events[2].2["message_id"], message(1));
    assert_eq!(batch_events[3].2["message_id"], message(3));
    let created = &batch_events[1].2;
    assert_eq!(created["stage"], "pre_booking");
    assert_eq!(created["channel"], "airbnb");
    assert!(created["previous_agent_id"].is_null() && created.get("group_id").is_some());

    // The ticket open before the batch waits for an answer since its new message.
    let (awaiting, sent): (Option<chrono::DateTime<chrono::Utc>>, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as(
            "SELECT t.awaiting_reply_since, m.sent_at FROM tickets t JOIN messages m ON m.ticket_id = t.id \
             WHERE m.external_id = 'm-old'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(awaiting, Some(sent), "the oldest unanswered message counts");
    assert_eq!(count(app, "SELECT count(*) FROM tickets").await, 3);
}
