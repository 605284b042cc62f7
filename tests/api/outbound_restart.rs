//! Replies survive a crash: a real server process with a hundred replies its bridge has not
//! accepted yet is killed with SIGKILL; after a restart every reply is delivered, and the
//! bridge sees each one again only as a retry of an attempt that failed.

use crate::helpers::process::{create_account, serve};
use crate::helpers::{inquiry, Receiver, Reply, TestDatabase};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::process::Command;

const PASSWORD: &str = "correct horse battery";
const REPLIES: usize = 100;
const DELIVERY: [(&str, &str); 3] = [
    ("SWITCHBOARD_DELIVERY_ALLOW_PRIVATE", "true"),
    ("SWITCHBOARD_DELIVERY_BACKOFF_MS", "200"),
    ("SWITCHBOARD_DELIVERY_POLL_MS", "50"),
];

async fn call(client: &reqwest::Client, url: String, token: &str, body: Option<Value>) -> Value {
    let request = match body {
        Some(body) => client.post(url).json(&body),
        None => client.get(url),
    };
    let res = request.bearer_auth(token).send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[actix_web::test]
async fn a_killed_server_delivers_every_stored_reply_after_its_restart() {
    let db = TestDatabase::create().await;
    let key = create_account(&db, "kr", PASSWORD).await;
    let bridge = Receiver::answering(|_| Reply::Status(503)).await;
    let (mut server, base) = serve(&db, &DELIVERY).await;

    let client = reqwest::Client::new();
    let login = |email: &str| json!({"account": "kr", "email": email, "password": PASSWORD});
    let signed_in = client
        .post(format!("{base}/auth/login"))
        .json(&login("m@kr.test"));
    let signed_in: Value = signed_in.send().await.unwrap().json().await.unwrap();
    let manager = signed_in["token"].as_str().unwrap().to_string();
    let connection = json!({"name": "Bridge", "channels": [], "url": bridge.url});
    call(
        &client,
        format!("{base}/connections"),
        &manager,
        Some(connection),
    )
    .await;
    let agent = json!({"email": "a@kr.test", "name": "Ana", "password": PASSWORD});
    let agent = call(&client, format!("{base}/agents"), &manager, Some(agent)).await;
    let agent_id = agent["id"].as_str().unwrap().to_string();

    let mut message_ids = Vec::new();
    for n in 0..REPLIES {
        let guest = inquiry(&format!("guest{n}"), &format!("m-{n}"));
        let ids = call(
            &client,
            format!("{base}/ingest/messages"),
            &key,
            Some(guest),
        )
        .await;
        let ticket = ids["ticket_id"].as_str().unwrap();
        let assign = json!({ "agent_id": agent_id });
        call(
            &client,
            format!("{base}/tickets/{ticket}/assign"),
            &manager,
            Some(assign),
        )
        .await;
        let reply = json!({"body": format!("Reply {n}")});
        call(
            &client,
            format!("{base}/tickets/{ticket}/reply"),
            &manager,
            Some(reply),
        )
        .await;
        let detail = call(&client, format!("{base}/tickets/{ticket}"), &manager, None).await;
        message_ids.push(detail["messages"][1]["id"].as_str().unwrap().to_string());
    }
    bridge.wait_until(|r| r.len() >= 10).await;
    let killed = Command::new("kill")
        .args(["-KILL", &server.id().unwrap().to_string()])
        .status()
        .await;
    assert!(killed.unwrap().success());
    server.wait().await.unwrap();

    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let unsent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM messages WHERE delivery_status = 'queued'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(unsent as usize, REPLIES, "the bridge accepted none yet");

    // The bridge recovers; the restarted server delivers every reply exactly once more.
    let before = bridge.received().len();
    bridge.answer(|_| Reply::Status(200));
    let (_again, _) = serve(&db, &DELIVERY).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let sent: i64 =
            sqlx::query_scalar("SELECT count(*) FROM messages WHERE delivery_status = 'sent'")
                .fetch_one(&pool)
                .await
                .unwrap();
        if sent as usize == REPLIES {
            break;
        }
        assert!(Instant::now() < deadline, "only {sent} replies were sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut accepted: HashMap<String, usize> = HashMap::new();
    for request in &bridge.received()[before..] {
        *accepted.entry(request.message_id()).or_default() += 1;
    }
    for id in &message_ids {
        assert_eq!(accepted.get(id), Some(&1), "reply {id} accepted once");
    }
    assert_eq!(accepted.len(), REPLIES);
}
