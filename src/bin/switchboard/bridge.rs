//! `switchboard simulate` as a channel bridge: replies come back to it. With a manager's
//! sign-in it starts a webhook receiver on loopback, registers it as a connection, verifies
//! every request's Standard Webhooks signature and acknowledges each reply as delivered; with
//! only the API key it pulls `GET /outbound` instead and acknowledges the same way.

use anyhow::Context;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use switchboard::domain::delivery::SigningSecret;

/// The name of the connection the simulator registers (and replaces on its next run).
const CONNECTION_NAME: &str = "simulate bridge";

/// A manager's sign-in, to register the webhook connection.
pub struct ManagerLogin {
    pub account: String,
    pub email: String,
    pub password: String,
}

/// What the bridge has seen, for the progress lines.
#[derive(Default)]
pub struct BridgeCounts {
    pub received: AtomicU64,
    pub rejected: AtomicU64,
    pub acknowledged: AtomicU64,
}

impl BridgeCounts {
    pub fn line(&self) -> String {
        format!(
            "replies received {}, bad signatures {}, acknowledged {}",
            self.received.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed),
            self.acknowledged.load(Ordering::Relaxed)
        )
    }
}

struct Bridge {
    client: reqwest::Client,
    url: String,
    api_key: String,
    counts: Arc<BridgeCounts>,
}

impl Bridge {
    /// Tells the server the guest got `message_id`.
    async fn acknowledge(&self, message_id: &str) {
        let res = self
            .client
            .post(format!("{}/api/v1/ingest/deliveries", self.url))
            .bearer_auth(&self.api_key)
            .json(&json!({"message_id": message_id, "status": "delivered"}))
            .send()
            .await;
        match res {
            Ok(res) if res.status().is_success() => {
                self.counts.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Ok(res) => eprintln!("bridge: acknowledging {message_id}: {}", res.status()),
            Err(e) => eprintln!("bridge: acknowledging {message_id}: {e}"),
        }
    }
}

/// Starts the bridge in the background and answers its counters.
pub async fn start(
    url: &str,
    api_key: &str,
    manager: Option<ManagerLogin>,
) -> anyhow::Result<Arc<BridgeCounts>> {
    let counts = Arc::new(BridgeCounts::default());
    let bridge = Arc::new(Bridge {
        client: reqwest::Client::new(),
        url: url.to_string(),
        api_key: api_key.to_string(),
        counts: counts.clone(),
    });
    match manager {
        Some(login) => receive_webhooks(bridge, login).await?,
        None => {
            actix_web::rt::spawn(pull(bridge));
        }
    }
    Ok(counts)
}

/// Pulls replies every two seconds and acknowledges each.
async fn pull(bridge: Arc<Bridge>) {
    let mut cursor: Option<String> = None;
    loop {
        let mut request = bridge
            .client
            .get(format!("{}/api/v1/outbound", bridge.url))
            .bearer_auth(&bridge.api_key);
        if let Some(after) = &cursor {
            request = request.query(&[("after", after)]);
        }
        match request.send().await {
            Ok(res) if res.status().is_success() => {
                let page: Value = res.json().await.unwrap_or_default();
                for item in page["items"].as_array().into_iter().flatten() {
                    bridge.counts.received.fetch_add(1, Ordering::Relaxed);
                    if let Some(id) = item["data"]["message_id"].as_str() {
                        bridge.acknowledge(id).await;
                    }
                }
                if let Some(next) = page["next_cursor"].as_str() {
                    cursor = Some(next.to_string());
                    continue;
                }
            }
            Ok(res) => eprintln!("bridge: GET /outbound: {}", res.status()),
            Err(e) => eprintln!("bridge: GET /outbound: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Starts the receiver on loopback and registers it as a connection for every channel.
async fn receive_webhooks(bridge: Arc<Bridge>, login: ManagerLogin) -> anyhow::Result<()> {
    let signed_in: Value = bridge
        .client
        .post(format!("{}/api/v1/auth/login", bridge.url))
        .json(&json!({"account": login.account, "email": login.email, "password": login.password}))
        .send()
        .await?
        .error_for_status()
        .context("signing in as the manager")?
        .json()
        .await?;
    let token = signed_in["token"].as_str().context("no token")?.to_string();
    // An earlier run's receiver is gone: its connection would only collect failed deliveries.
    let existing: Value = bridge
        .client
        .get(format!("{}/api/v1/connections", bridge.url))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    for old in existing["items"].as_array().into_iter().flatten() {
        if old["name"] == CONNECTION_NAME {
            if let Some(id) = old["id"].as_str() {
                bridge
                    .client
                    .delete(format!("{}/api/v1/connections/{id}", bridge.url))
                    .bearer_auth(&token)
                    .send()
                    .await?;
            }
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    let created: Value = bridge
        .client
        .post(format!("{}/api/v1/connections", bridge.url))
        .bearer_auth(&token)
        .json(&json!({"name": CONNECTION_NAME, "channels": [], "url": hook}))
        .send()
        .await?
        .error_for_status()
        .context("registering the connection (the server needs SWITCHBOARD_DELIVERY_ALLOW_PRIVATE=true for a loopback bridge)")?
        .json()
        .await?;
    let secret = SigningSecret::parse(created["secret"].as_str().unwrap_or_default())
        .map_err(anyhow::Error::msg)?;
    println!("simulate: receiving replies at {hook}");
    let state = actix_web::web::Data::new((bridge, secret));
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(state.clone())
            .default_service(actix_web::web::to(webhook))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    actix_web::rt::spawn(server);
    Ok(())
}

/// One webhook: 401 unless the signature is valid, else 200 and an acknowledgement.
async fn webhook(
    req: actix_web::HttpRequest,
    body: actix_web::web::Bytes,
    state: actix_web::web::Data<(Arc<Bridge>, SigningSecret)>,
) -> actix_web::HttpResponse {
    let (bridge, secret) = state.get_ref();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let text = String::from_utf8_lossy(&body);
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap_or_default();
    let expected = secret.sign(header("webhook-id"), timestamp, &text);
    let fresh = (chrono::Utc::now().timestamp() - timestamp).abs() <= 300;
    if !fresh
        || !header("webhook-signature")
            .split(' ')
            .any(|s| s == expected)
    {
        bridge.counts.rejected.fetch_add(1, Ordering::Relaxed);
        return actix_web::HttpResponse::Unauthorized().finish();
    }
    bridge.counts.received.fetch_add(1, Ordering::Relaxed);
    let event: Value = serde_json::from_str(&text).unwrap_or_default();
    if let Some(id) = event["data"]["message_id"].as_str() {
        let (bridge, id) = (bridge.clone(), id.to_string());
        actix_web::rt::spawn(async move { bridge.acknowledge(&id).await });
    }
    actix_web::HttpResponse::Ok().finish()
}
