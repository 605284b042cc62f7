//! The harness as a channel bridge (SPEC §9): it registers a connection whose delivery URL is
//! a small receiver on loopback, checks every webhook's Standard Webhooks signature with its
//! own HMAC, answers 204, acknowledges the delivery through `/ingest/deliveries`, and measures
//! how long a reply took from the agent's send to the bridge.

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hdrhistogram::Histogram;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// What the bridge saw of the replies agents sent.
#[derive(Debug, Serialize, Clone, Copy, PartialEq)]
pub struct Replies {
    pub replies_sent: u64,
    /// Received with a valid signature and acknowledged as delivered.
    pub replies_delivered: u64,
    /// Received with a bad signature, or whose acknowledgement the server refused.
    pub replies_failed: u64,
    pub delivery_latency_ms: DeliveryLatency,
}

#[derive(Debug, Serialize, Clone, Copy, PartialEq)]
pub struct DeliveryLatency {
    pub p50: f64,
    pub p99: f64,
}

/// Counts kept while the run lasts.
pub struct BridgeStats {
    failed: AtomicU64,
    delivered: Mutex<HashSet<String>>,
    latency: Mutex<Histogram<u64>>,
}

impl BridgeStats {
    fn new() -> BridgeStats {
        BridgeStats {
            failed: AtomicU64::new(0),
            delivered: Mutex::new(HashSet::new()),
            latency: Mutex::new(
                Histogram::new_with_bounds(1, 3_600_000_000, 3)
                    .unwrap_or_else(|_| unreachable!("valid bounds")),
            ),
        }
    }

    fn settled(&self) -> u64 {
        self.delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len() as u64
            + self.failed.load(Relaxed)
    }

    /// The figures for the summary, with `sent` replies sent in all.
    fn replies(&self, sent: u64) -> Replies {
        let h = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let ms = |q: f64| match h.is_empty() {
            true => 0.0,
            false => h.value_at_quantile(q) as f64 / 1000.0,
        };
        Replies {
            replies_sent: sent,
            replies_delivered: self
                .delivered
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .len() as u64,
            replies_failed: self.failed.load(Relaxed),
            delivery_latency_ms: DeliveryLatency {
                p50: ms(0.5),
                p99: ms(0.99),
            },
        }
    }
}

/// Whether `signature` (the `webhook-signature` header: space-separated `v1,<base64>`) signs
/// `id`, `timestamp` and `body` with `secret` (`whsec_` + base64 of the key), as the Standard
/// Webhooks specification says.
pub fn verify(secret: &str, id: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|k| B64.decode(k).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
        return false;
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = B64.encode(mac.finalize().into_bytes());
    signature
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|given| given == expected)
}

struct Receiver {
    secret: Mutex<String>,
    stats: Arc<BridgeStats>,
    client: reqwest::Client,
    /// Where acknowledgements go: the first URL, and the next in turn when one does not answer
    /// (a node that died, when the harness was given several).
    apis: Arc<Vec<String>>,
    api_key: String,
}

impl Receiver {
    async fn take(self: Arc<Self>, req: Request<Incoming>) -> Response<Empty<Bytes>> {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let (id, timestamp, signature) = (
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature"),
        );
        let body = match req.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return answer(StatusCode::BAD_REQUEST),
        };
        let secret = self
            .secret
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if !verify(&secret, &id, &timestamp, &body, &signature) {
            self.stats.failed.fetch_add(1, Relaxed);
            return answer(StatusCode::UNAUTHORIZED);
        }
        let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if event["type"] != "message.created" {
            return answer(StatusCode::NO_CONTENT);
        }
        let data = &event["data"];
        let message_id = data["message_id"].as_str().unwrap_or_default().to_string();
        if let Some(sent) = data["sent_at"]
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        {
            let micros = (chrono::Utc::now() - sent.with_timezone(&chrono::Utc))
                .num_microseconds()
                .unwrap_or(0)
                .max(1) as u64;
            let mut h = self.stats.latency.lock().unwrap_or_else(|p| p.into_inner());
            let _ = h.record(micros);
        }
        tokio::spawn(self.clone().acknowledge(message_id));
        answer(StatusCode::NO_CONTENT)
    }

    /// Tells the server the channel has the message (`POST /ingest/deliveries`).
    async fn acknowledge(self: Arc<Self>, message_id: String) {
        let mut sent = None;
        for api in self.apis.iter() {
            let answer = self
                .client
                .post(format!("{api}/ingest/deliveries"))
                .bearer_auth(&self.api_key)
                .json(&json!({"message_id": message_id, "status": "delivered"}))
                .send()
                .await;
            let unanswered = answer.is_err();
            sent = Some(answer);
            if !unanswered {
                break;
            }
        }
        let Some(sent) = sent else { return };
        match sent {
            Ok(res) if res.status().is_success() => {
                self.stats
                    .delivered
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(message_id);
            }
            _ => {
                self.stats.failed.fetch_add(1, Relaxed);
            }
        }
    }
}

fn answer(status: StatusCode) -> Response<Empty<Bytes>> {
    let mut res = Response::new(Empty::new());
    *res.status_mut() = status;
    res
}

/// Waits until the bridge heard of every reply sent (or nothing more arrived for 10 s), then
/// answers the figures.
pub async fn settle(stats: &BridgeStats, sent: u64) -> Replies {
    let (mut last, mut since) = (u64::MAX, std::time::Instant::now());
    loop {
        let settled = stats.settled();
        if settled >= sent || since.elapsed() >= std::time::Duration::from_secs(10) {
            return stats.replies(sent);
        }
        if settled != last {
            (last, since) = (settled, std::time::Instant::now());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Starts the receiver on a free loopback port and registers it as a connection of the
/// account for every channel (through `apis[0]`; acknowledgements fail over to the others).
pub async fn start(
    client: &reqwest::Client,
    apis: Arc<Vec<String>>,
    manager_token: &str,
    api_key: &str,
    name: &str,
) -> anyhow::Result<Arc<BridgeStats>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks", listener.local_addr()?);
    let stats = Arc::new(BridgeStats::new());
    let receiver = Arc::new(Receiver {
        secret: Mutex::new(String::new()),
        stats: stats.clone(),
        client: client.clone(),
        apis: apis.clone(),
        api_key: api_key.to_string(),
    });
    let res = client
        .post(format!("{}/connections", apis[0]))
        .bearer_auth(manager_token)
        .json(&json!({"name": name, "channels": [], "url": url}))
        .send()
        .await
        .context("creating the bridge's connection")?;
    let status = res.status();
    let created: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("creating the bridge's connection: {status} {created}");
    }
    *receiver.secret.lock().unwrap_or_else(|p| p.into_inner()) =
        created["secret"].as_str().unwrap_or_default().to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let receiver = receiver.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let receiver = receiver.clone();
                    async move { Ok::<_, std::convert::Infallible>(receiver.take(req).await) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_webhooks_example_verifies_and_a_changed_byte_does_not() {
        // The published example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let ts = "1614265330";
        let body = br#"{"test": 2432232314}"#;
        let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert!(verify(secret, id, ts, body, sig));
        assert!(verify(secret, id, ts, body, &format!("v1,AAAA {sig}")));
        assert!(!verify(secret, id, "1614265331", body, sig));
        assert!(!verify(secret, id, ts, br#"{"test": 2432232315}"#, sig));
    }
}
