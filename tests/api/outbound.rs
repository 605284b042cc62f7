//! Replies reach the guest (issue 17): every reply goes to the channel bridge's webhook,
//! signed as the Standard Webhooks specification says, retried with back-off on failures worth
//! retrying, in order per thread, once even with two servers on one database; its status is
//! on the message and pushed live; bridges report delivery and may pull instead.

use crate::helpers::{
    assert_error, signature_is_valid, spawn_app, spawn_app_with, Options, Receiver, Reply,
    MANAGER_EMAIL, PASSWORD,
};
use serde_json::json;
use std::time::Duration;

#[actix_web::test]
async fn a_reply_is_signed_delivered_and_its_status_follows_it_live() {
    let app = spawn_app().await;
    let bridge = Receiver::start().await;
    let (connection_id, secret) = app.connect(&bridge.url).await;
    let mut agent = app.connected_agent("Ana", json!({})).await;

    let reply = app
        .guest_answered(&agent, "zoe", "m-1", "Yes, the loft is free!")
        .await;
    let got = bridge.wait_until(|r| !r.is_empty()).await;
    let request = &got[0];
    assert!(
        signature_is_valid(&secret, request),
        "an independent HMAC-SHA256 agrees with {}",
        request.signature
    );
    assert_eq!(request.webhook_id, format!("msg_{}", reply.message_id));
    let sent_at: i64 = request.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
    let body = request.json();
    assert_eq!(body["type"], "message.created");
    assert!(body["timestamp"].is_string());
    let data = &body["data"];
    assert_eq!(data["message_id"], reply.message_id.as_str());
    assert_eq!(data["ticket_id"], reply.ticket_id.as_str());
    assert_eq!(data["channel"], "airbnb");
    assert_eq!(data["thread_external_id"], "thread-zoe");
    assert_eq!(data["guest_external_id"], "g-zoe");
    assert_eq!(data["reservation_external_id"], "r-zoe");
    assert_eq!(data["body"], "Yes, the loft is free!");
    assert_eq!(data["author_id"], agent.user_id.as_str());
    assert!(data["thread_id"].is_string() && data["sent_at"].is_string());

    // The ticket shows it sent, and whoever sees the ticket is told live.
    let delivery = app.delivery_reaches(&reply, "sent").await;
    assert_eq!(delivery["attempts"], 1);
    let frame = agent.ws.expect("message.updated").await;
    assert_eq!(frame["message"]["id"], reply.message_id.as_str());
    assert_eq!(frame["message"]["delivery"]["status"], "sent");

    // The bridge says the guest has it.
    let key = app.account.api_key.clone();
    let body = json!({"message_id": reply.message_id, "status": "delivered"});
    let message = app.report_delivery(&key, &body).ok().await;
    assert_eq!(message["delivery"]["status"], "delivered");
    let frame = agent.ws.expect("message.updated").await;
    assert_eq!(frame["message"]["delivery"]["status"], "delivered");
    assert_eq!(app.delivery_of(&reply).await["status"], "delivered");

    // The manager's page lists the delivery with the receiver's status code.
    let manager = app.manager().await;
    let list = app
        .connection_deliveries(&manager, &connection_id)
        .ok()
        .await;
    let first = &list["items"][0];
    assert_eq!(first["message_id"], reply.message_id.as_str());
    assert_eq!(first["status"], "sent");
    assert_eq!(first["status_code"], 200);
    // Guest messages carry no delivery.
    let ticket = app.ticket_as_manager(&reply.ticket_id).await;
    assert!(ticket["messages"][0].get("delivery").is_none());
}

#[actix_web::test]
async fn a_receiver_failing_its_first_attempts_gets_the_reply_on_a_retry() {
    let app = spawn_app().await;
    let bridge = Receiver::answering(|r| match r.earlier {
        0 => Reply::Status(503),
        1 => Reply::Status(500),
        _ => Reply::Status(200),
    })
    .await;
    app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "yan", "m-1", "Hello").await;

    let delivery = app.delivery_reaches(&reply, "sent").await;
    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["last_error"], serde_json::Value::Null);
    let got = bridge.received();
    assert_eq!(got.len(), 3, "two failures and one success");
    assert!(got.iter().all(|r| r.webhook_id == got[0].webhook_id));
    assert!(got.iter().all(|r| r.body == got[0].body), "same bytes");
}

#[actix_web::test]
async fn a_429_is_retried_no_sooner_than_its_retry_after() {
    let app = spawn_app().await;
    let bridge = Receiver::answering(|r| match r.earlier {
        0 => Reply::RetryAfter(429, 1),
        _ => Reply::Status(200),
    })
    .await;
    app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "xia", "m-1", "Hello").await;

    app.delivery_reaches(&reply, "sent").await;
    let got = bridge.received();
    assert_eq!(got.len(), 2);
    assert!(
        got[1].at - got[0].at >= Duration::from_millis(950),
        "the retry waited for Retry-After: {:?}",
        got[1].at - got[0].at
    );
}

#[actix_web::test]
async fn a_410_fails_at_once_with_the_reason_and_a_retry_sends_it_again() {
    let app = spawn_app().await;
    let bridge = Receiver::answering(|_| Reply::Status(410)).await;
    let (connection_id, _) = app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "wim", "m-1", "Hello").await;

    let delivery = app.delivery_reaches(&reply, "failed").await;
    assert_eq!(delivery["attempts"], 1);
    assert!(delivery["last_error"].as_str().unwrap().contains("410"));
    assert_eq!(bridge.received().len(), 1, "no retry after a 410");
    let manager = app.manager().await;
    let list = app
        .connection_deliveries(&manager, &connection_id)
        .ok()
        .await;
    assert_eq!(list["items"][0]["status"], "failed");
    assert_eq!(list["items"][0]["status_code"], 410);

    // Another agent may not retry it; its author may, once the bridge is fixed.
    let other = app.agent("Bea", json!({})).await;
    let res = app.retry_message(&other, &reply.message_id).await;
    assert_eq!(assert_error(res, 403).await, "forbidden");
    bridge.answer(|_| Reply::Status(200));
    let message = app.retry_message(&agent, &reply.message_id).ok().await;
    assert_eq!(message["delivery"]["status"], "queued");
    app.delivery_reaches(&reply, "sent").await;
    assert_eq!(bridge.received().len(), 2);
    assert_eq!(
        bridge.received()[1].webhook_id,
        bridge.received()[0].webhook_id
    );
    let res = app.retry_message(&agent, &reply.message_id).await;
    assert_eq!(assert_error(res, 422).await, "invalid_state");
}

#[actix_web::test]
async fn a_redirect_is_not_followed_and_fails_the_delivery() {
    let app = spawn_app().await;
    let elsewhere = Receiver::start().await;
    let target = elsewhere.url.clone();
    let bridge = Receiver::answering(move |_| Reply::Redirect(target.clone())).await;
    app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "vic", "m-1", "Hello").await;

    let delivery = app.delivery_reaches(&reply, "failed").await;
    assert!(delivery["last_error"]
        .as_str()
        .unwrap()
        .contains("redirect"));
    assert!(elsewhere.received().is_empty());
}

#[actix_web::test]
async fn a_receiver_slower_than_the_time_out_is_retried() {
    let app = spawn_app_with(Options {
        delivery_timeout_ms: Some(300),
        ..Default::default()
    })
    .await;
    let bridge = Receiver::answering(|r| match r.earlier {
        0 => Reply::Slow(Duration::from_secs(2)),
        _ => Reply::Status(200),
    })
    .await;
    app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "uma", "m-1", "Hello").await;

    let delivery = app.delivery_reaches(&reply, "sent").await;
    assert_eq!(delivery["attempts"], 2);
}

/// A bridge that takes its time holds none of the server's database connections: the
/// delivery is leased, not kept locked in an open transaction while its webhook is sent.
#[actix_web::test]
async fn no_transaction_stays_open_while_a_webhook_is_sent() {
    let app = spawn_app().await;
    let bridge = Receiver::answering(|_| Reply::Slow(Duration::from_secs(3))).await;
    app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "uma", "m-1", "Hello").await;

    bridge.wait_until(|r| !r.is_empty()).await;
    let database: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
    )
    .bind(&database)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(open, 0, "a transaction waits on the bridge");
    let delivery = app.delivery_reaches(&reply, "sent").await;
    assert_eq!(delivery["attempts"], 1);
}

/// A claim whose lease ran out while its webhook was still out records nothing once another
/// worker has claimed the delivery again: only the newer claim's outcome is written.
#[actix_web::test]
async fn an_attempt_whose_lease_ran_out_records_nothing() {
    use switchboard::domain::delivery::Step;
    use switchboard::store::outbound::{claim_due, record_attempts, AttemptRow};
    let app = spawn_app().await;
    let bridge = Receiver::answering(|_| Reply::Slow(Duration::from_secs(2))).await;
    app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    app.guest_answered(&agent, "uma", "m-1", "Hello").await;
    bridge.wait_until(|r| !r.is_empty()).await;

    // The server's worker is waiting on the bridge; its lease is cut short and the delivery
    // claimed again, as a second node would once the lease ended (in one transaction, so the
    // server's own idle slots cannot claim it in between).
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("UPDATE deliveries SET next_attempt_at = now()")
        .execute(&mut *tx)
        .await
        .unwrap();
    let again = claim_due(&mut *tx, 1, Duration::from_secs(60))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(again.len(), 1, "the delivery is due again");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM deliveries")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), attempts),
        ("pending", 0),
        "the stale attempt recorded nothing"
    );

    let newer = AttemptRow {
        delivery_id: again[0].id,
        leased_until: again[0].leased_until,
        step: &Step::Sent,
        status_code: Some(200),
    };
    let mut conn = app.pool.acquire().await.unwrap();
    let recorded = record_attempts(&mut conn, &[newer]).await.unwrap();
    assert_eq!(recorded.len(), 1, "the newer claim's outcome is written");
}

#[actix_web::test]
async fn the_retry_window_ends_in_failed() {
    let app = spawn_app_with(Options {
        delivery_retry_window: Some("1s"),
        ..Default::default()
    })
    .await;
    let bridge = Receiver::answering(|_| Reply::Status(503)).await;
    app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "tom", "m-1", "Hello").await;

    let delivery = app.delivery_reaches(&reply, "failed").await;
    let reason = delivery["last_error"].as_str().unwrap();
    assert!(
        reason.contains("gave up") && reason.contains("503"),
        "{reason}"
    );
    assert!(bridge.received().len() >= 2, "it was retried first");
}

#[actix_web::test]
async fn replies_of_one_thread_go_out_in_order() {
    let app = spawn_app().await;
    // The first reply's first attempt is turned away for a second: the later replies, sent
    // meanwhile, must wait for its retry.
    let bridge = Receiver::answering(|r| match (r.json()["data"]["body"].as_str(), r.earlier) {
        (Some("one"), 0) => Reply::RetryAfter(503, 1),
        _ => Reply::Status(200),
    })
    .await;
    app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    let mut replies = Vec::new();
    for (n, text) in ["one", "two", "three"].iter().enumerate() {
        let external_id = format!("m-{n}");
        replies.push(app.guest_answered(&agent, "sam", &external_id, text).await);
    }
    for reply in &replies {
        app.delivery_reaches(reply, "sent").await;
    }
    let bodies: Vec<String> = bridge
        .received()
        .iter()
        .map(|r| r.json()["data"]["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(bodies, ["one", "one", "two", "three"]);
}

#[actix_web::test]
async fn two_servers_on_one_database_deliver_each_reply_once() {
    let app = spawn_app().await;
    let _second = app.restart().await;
    let bridge = Receiver::answering(|_| Reply::Slow(Duration::from_millis(30))).await;
    app.connect(&bridge.url).await;
    let agent = app.agent("Ana", json!({})).await;
    let mut replies = Vec::new();
    for n in 0..12 {
        let guest = format!("guest{n}");
        replies.push(app.guest_answered(&agent, &guest, "m-1", "Hello").await);
    }
    for reply in &replies {
        app.delivery_reaches(reply, "sent").await;
    }
    // Every delivery is recorded as sent, so nothing can send any of them again.
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries WHERE status <> 'sent'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(pending, 0);
    let got = bridge.received();
    assert_eq!(got.len(), replies.len(), "each reply exactly once");
    assert!(got.iter().all(|r| r.earlier == 0));
}

#[actix_web::test]
async fn connections_belong_to_managers_of_one_account() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let bridge = Receiver::start().await;
    let body =
        json!({"name": "Airbnb bridge", "channels": ["airbnb", "Airbnb"], "url": bridge.url});
    let created = app.create_connection(&manager, &body).await;
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap();
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    assert!((24..=32).contains(&key.len()));
    assert_eq!(created["channels"], json!(["airbnb"]));

    let list = app.connections(&manager).ok().await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.get("next_cursor"), Some(&serde_json::Value::Null));
    assert!(list["items"][0].get("secret").is_none(), "shown once only");
    let patched = app
        .update_connection(
            &manager,
            &id,
            &json!({"name": "Main bridge", "channels": []}),
        )
        .ok()
        .await;
    assert_eq!(patched["name"], "Main bridge");
    assert_eq!(patched["channels"], json!([]));
    assert_eq!(patched["url"], bridge.url.as_str());

    // Bad input changes nothing.
    for bad in [
        json!({"name": "", "url": bridge.url}),
        json!({"name": "x", "channels": ["not a channel"], "url": bridge.url}),
    ] {
        let res = app.create_connection(&manager, &bad).await;
        assert_eq!(assert_error(res, 400).await, "invalid_input", "{bad}");
    }
    let unknown = json!({"name": "x", "url": bridge.url, "extra": 1});
    let res = app.create_connection(&manager, &unknown).await;
    assert_eq!(assert_error(res, 400).await, "invalid_json");
    for bad_url in [
        "ftp://bridge.example.com/",
        "not a url",
        "https://u:p@example.com/",
    ] {
        let res = app
            .create_connection(&manager, &json!({"name": "x", "url": bad_url}))
            .await;
        assert_eq!(assert_error(res, 400).await, "delivery_url_refused");
    }

    // Agents may not; another account's managers find nothing.
    let agent = app.agent("Ana", json!({})).await;
    assert_eq!(app.connections(&agent).await.status(), 403);
    let other = app.create_account("other").await;
    let stranger = app.manager_of(&other).await;
    assert!(app.connections(&stranger).ok().await["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let patch = json!({"name": "mine now"});
    for res in [
        app.update_connection(&stranger, &id, &patch).await,
        app.test_connection(&stranger, &id).await,
        app.connection_deliveries(&stranger, &id).await,
        app.delete_connection(&stranger, &id).await,
    ] {
        assert_eq!(assert_error(res, 404).await, "not_found");
    }

    // The test event is signed too and its outcome is answered.
    let outcome = app.test_connection(&manager, &id).ok().await;
    assert_eq!(outcome["status"], "sent");
    assert_eq!(outcome["status_code"], 200);
    let got = bridge.received();
    assert_eq!(got[0].json()["type"], "connection.test");
    assert!(signature_is_valid(secret, &got[0]));
    bridge.answer(|_| Reply::Status(500));
    let outcome = app.test_connection(&manager, &id).ok().await;
    assert_eq!(outcome["status"], "failed");
    assert_eq!(outcome["status_code"], 500);

    assert_eq!(app.delete_connection(&manager, &id).await.status(), 204);
    assert!(app.connections(&manager).ok().await["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[actix_web::test]
async fn a_connection_gets_only_the_channels_it_serves() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let bridge = Receiver::start().await;
    let body = json!({"name": "SMS", "channels": ["sms"], "url": bridge.url});
    app.create_connection(&manager, &body).ok().await;
    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "rob", "m-1", "Hello").await;

    assert_eq!(app.delivery_of(&reply).await["status"], "queued");
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(queued, 0, "an airbnb reply is not for the SMS bridge");
}

#[actix_web::test]
async fn private_addresses_are_refused_when_the_operator_has_not_allowed_them() {
    let app = spawn_app_with(Options {
        strict_delivery_urls: true,
        ..Default::default()
    })
    .await;
    let manager = app.manager().await;
    let bridge = Receiver::start().await;
    for url in [
        bridge.url.as_str(),
        "http://localhost:9/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest",
        "http://[::1]/hook",
    ] {
        let res = app
            .create_connection(&manager, &json!({"name": "x", "url": url}))
            .await;
        assert_eq!(
            assert_error(res, 400).await,
            "delivery_url_refused",
            "{url}"
        );
    }

    // A URL that became private after it was accepted is checked again when sending.
    let account_id: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE slug = 'acme'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO connections (account_id, name, url, secret) \
         VALUES ($1, 'legacy', $2, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')",
    )
    .bind(account_id)
    .bind(&bridge.url)
    .execute(&app.pool)
    .await
    .unwrap();
    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "qin", "m-1", "Hello").await;
    let delivery = app.delivery_reaches(&reply, "failed").await;
    assert!(delivery["last_error"]
        .as_str()
        .unwrap()
        .contains("loopback"));
    assert!(bridge.received().is_empty());
}

#[actix_web::test]
async fn bridges_can_pull_replies_and_report_on_them() {
    let app = spawn_app().await;
    let agent = app.agent("Ana", json!({})).await;
    let first = app.guest_answered(&agent, "pia", "m-1", "One").await;
    let second = app.guest_answered(&agent, "oli", "m-1", "Two").await;
    let key = app.account.api_key.clone();

    let page = app.outbound_feed(&key, &[("limit", "1")]).ok().await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let item = &page["items"][0];
    assert_eq!(item["id"], format!("msg_{}", first.message_id));
    assert_eq!(item["type"], "message.created");
    assert_eq!(item["data"]["body"], "One");
    assert_eq!(item["data"]["guest_external_id"], "g-pia");
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let page = app.outbound_feed(&key, &[("after", &cursor)]).ok().await;
    assert_eq!(
        page["items"][0]["data"]["message_id"],
        second.message_id.as_str()
    );
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let page = app.outbound_feed(&key, &[("after", &cursor)]).ok().await;
    assert!(page["items"].as_array().unwrap().is_empty());
    assert!(page["next_cursor"].is_null());
    let res = app.outbound_feed(&key, &[("after", "yesterday")]).await;
    assert_eq!(assert_error(res, 400).await, "invalid_cursor");
    let res = app.outbound_feed("sb_not_a_key", &[]).await;
    assert_eq!(res.status(), 401);

    let report = json!({"message_id": first.message_id, "status": "failed", "error": "guest blocked messages"});
    let message = app.report_delivery(&key, &report).ok().await;
    assert_eq!(message["delivery"]["status"], "failed");
    assert_eq!(message["delivery"]["last_error"], "guest blocked messages");
    let bad = json!({"message_id": first.message_id, "status": "sent"});
    let res = app.report_delivery(&key, &bad).await;
    assert_eq!(assert_error(res, 400).await, "invalid_input");
    let other = app.create_account("other").await;
    let theirs = json!({"message_id": second.message_id, "status": "delivered"});
    let res = app.report_delivery(&other.api_key, &theirs).await;
    assert_eq!(assert_error(res, 404).await, "not_found");
    assert_eq!(app.delivery_of(&second).await["status"], "queued");
}

#[actix_web::test]
async fn switchboard_simulate_is_a_bridge_that_verifies_and_acknowledges_replies() {
    let app = spawn_app().await;
    let mut simulate = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "simulate",
            "--url",
            &app.address,
            "--api-key",
            &app.account.api_key,
        ])
        .args([
            "--rate",
            "0.2",
            "--duration",
            "60",
            "--account",
            &app.account.slug,
        ])
        .args([
            "--manager-email",
            MANAGER_EMAIL,
            "--manager-password",
            PASSWORD,
        ])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // It registers its receiver on loopback as a connection.
    let manager = app.manager().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.connections(&manager).ok().await["items"][0]["name"] != "simulate bridge" {
        assert!(
            std::time::Instant::now() < deadline,
            "no connection registered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let agent = app.agent("Ana", json!({})).await;
    let reply = app.guest_answered(&agent, "nia", "m-1", "Hello").await;
    app.delivery_reaches(&reply, "delivered").await;
    simulate.kill().await.unwrap();
}
