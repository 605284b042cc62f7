//! Graceful shutdown: a real server process takes SIGTERM while guest messages pour in. Every
//! message it acknowledged is in the database afterwards and its ticket is queued or with an
//! agent, sockets got a close frame telling them to reconnect (1012), and the process exits
//! cleanly.

use crate::helpers::process::{create_account, serve};
use crate::helpers::TestDatabase;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::process::Command;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "correct horse battery";

async fn post(client: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let res = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

fn message(n: usize) -> Value {
    json!({
        "channel": "airbnb", "thread_external_id": format!("t-{n}"),
        "message_external_id": format!("m-{n}"), "body": "Is the loft free?",
        "sent_at": chrono::Utc::now().to_rfc3339(),
        "guest": {"external_id": format!("g-{n}"), "name": format!("Guest {n}")},
    })
}

#[tokio::test]
async fn a_sigterm_under_load_loses_nothing_acknowledged() {
    let db = TestDatabase::create().await;
    let key = create_account(&db, "st", PASSWORD).await;
    let (mut server, base) = serve(&db, &[]).await;

    // A working agent with a live socket, so tickets are being assigned when the signal comes.
    let client = reqwest::Client::new();
    let login = |email: &str| json!({"account": "st", "email": email, "password": PASSWORD});
    let manager = client
        .post(format!("{base}/auth/login"))
        .json(&login("m@st.test"));
    let manager: Value = manager.send().await.unwrap().json().await.unwrap();
    let manager = manager["token"].as_str().unwrap().to_string();
    let agent = json!({"email": "a@st.test", "name": "Ana", "password": PASSWORD});
    post(&client, format!("{base}/agents"), &manager, agent).await;
    let agent: Value = client
        .post(format!("{base}/auth/login"))
        .json(&login("a@st.test"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agent_id = agent["user"]["id"].as_str().unwrap().to_string();
    let token = agent["token"].as_str().unwrap().to_string();
    post(&client, format!("{base}/me/timer/start"), &token, json!({})).await;
    let ws_url = format!("{}/ws?token={token}", base.replacen("http", "ws", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();

    // Guests write from eight connections until the server stops answering.
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (client, base, key) = (client.clone(), base.clone(), key.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0.. {
                    let n = w * 100_000 + i;
                    let sent = client
                        .post(format!("{base}/ingest/messages"))
                        .bearer_auth(&key)
                        .json(&message(n))
                        .send()
                        .await;
                    match sent {
                        Ok(res) if res.status() == 202 => acknowledged.push(n),
                        Ok(res) if res.status().is_server_error() => continue,
                        Ok(res) => panic!("unexpected {}", res.status()),
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = server.id().unwrap().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().await;
    assert!(killed.unwrap().success());

    // The socket is told to reconnect, with a close frame.
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = socket.next().await {
            if let Ok(Message::Close(close)) = frame {
                return close;
            }
        }
        None
    })
    .await
    .expect("a close frame before the socket ends");
    assert_eq!(close.map(|c| c.code), Some(CloseCode::Restart));

    let exited = tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .expect("the server stops within its grace period")
        .unwrap();
    assert!(exited.success(), "a graceful stop exits cleanly: {exited}");
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    assert!(
        acknowledged.len() > 10,
        "the load ran: {}",
        acknowledged.len()
    );

    // After a restart, every acknowledged message is stored, and its ticket is queued or
    // with the agent, each assignment in the event log.
    let (_again, _) = serve(&db, &[]).await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let ids: Vec<String> = acknowledged.iter().map(|n| format!("m-{n}")).collect();
    let rows: Vec<(String, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT m.external_id, t.state, t.assignee_id, \
           (SELECT count(*) FROM events e WHERE e.ticket_id = t.id AND e.kind = 'ticket.assigned') \
         FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.external_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), acknowledged.len(), "every 202 is stored");
    let agent_id: i64 = agent_id.parse().unwrap();
    for (external_id, state, assignee, assigned_events) in rows {
        match state.as_str() {
            "queued" => assert_eq!(assignee, None, "{external_id}"),
            "assigned" => {
                assert_eq!(assignee, Some(agent_id), "{external_id}");
                assert!(
                    assigned_events >= 1,
                    "{external_id} assigned without its event"
                );
            }
            other => panic!("{external_id} is {other}"),
        }
    }
}

/// A worker thread stops while detached work holds a pooled connection (a socket that closed
/// just as the server went down): the worker drops that work, as actix does, after its runtime
/// stopped driving it, and the connection goes back without a panic. Tokio catches a panic of
/// one dropped task, so the test watches for any panic on the worker thread; a second one
/// while the first unwinds aborts the process, as it once did in CI.
#[test]
fn detached_work_dropped_by_a_stopping_worker_releases_its_connection() {
    const WORKER: &str = "stopping-worker";
    let panicked = Arc::new(AtomicBool::new(false));
    let previous = std::panic::take_hook();
    let seen = panicked.clone();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some(WORKER) {
            seen.store(true, Ordering::SeqCst);
        }
        previous(info);
    }));
    let db = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(TestDatabase::create());
    let url = db.url.clone();
    let worker = std::thread::Builder::new()
        .name(WORKER.into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async {
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                let (held, holding) = tokio::sync::oneshot::channel();
                switchboard::detached::spawn(async move {
                    let _connection = pool.acquire().await.unwrap();
                    let _ = held.send(());
                    std::future::pending::<()>().await;
                });
                holding.await.unwrap();
            });
            // The order of actix's worker runtime: its task set goes first, outside the runtime.
            drop(local);
            drop(runtime);
        })
        .unwrap();
    assert!(worker.join().is_ok(), "the stopping worker panicked");
    assert!(
        !panicked.load(Ordering::SeqCst),
        "dropping the detached work panicked on the stopping worker"
    );
}
