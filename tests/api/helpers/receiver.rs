//! A channel bridge's webhook receiver, as a test starts it: a real HTTP server on
//! 127.0.0.1:0 that records every request and answers as the test's script says (fail the
//! first N attempts, 429 with `Retry-After`, 410, answer too slowly…).

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub webhook_id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    /// How many earlier requests carried the same `webhook-id`.
    pub earlier: usize,
    pub at: Instant,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// `data.message_id` of a `message.created` body.
    pub fn message_id(&self) -> String {
        self.json()["data"]["message_id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Reply {
    Status(u16),
    /// A status with `Retry-After: seconds`.
    RetryAfter(u16, u64),
    /// A redirect to another URL.
    Redirect(String),
    /// 200, but only after this long.
    Slow(Duration),
}

type Script = Box<dyn Fn(&Received) -> Reply + Send>;

struct State {
    received: Vec<Received>,
    seen: HashMap<String, usize>,
    script: Script,
}

/// The running receiver.
#[derive(Clone)]
pub struct Receiver {
    /// Where to deliver: `http://127.0.0.1:PORT/hook`.
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    /// A receiver that accepts everything with 200.
    pub async fn start() -> Receiver {
        Self::answering(|_| Reply::Status(200)).await
    }

    /// A receiver answering each request as `script` says.
    pub async fn answering(script: impl Fn(&Received) -> Reply + Send + 'static) -> Receiver {
        let state = Arc::new(Mutex::new(State {
            received: Vec::new(),
            seen: HashMap::new(),
            script: Box::new(script),
        }));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let port = listener.local_addr().expect("address").port();
        let shared = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(shared.clone()))
                .default_service(web::to(receive))
        })
        .workers(2)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        actix_web::rt::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            state,
        }
    }

    /// Answers from now on as `script` says.
    pub fn answer(&self, script: impl Fn(&Received) -> Reply + Send + 'static) {
        self.state.lock().unwrap().script = Box::new(script);
    }

    /// Everything received so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Waits (at most 30 s) until what was received satisfies `done`, and answers it.
    pub async fn wait_until(&self, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver waited in vain; it got {} requests",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let reply = {
        let mut state = state.lock().unwrap();
        let webhook_id = header("webhook-id");
        let earlier = *state.seen.get(&webhook_id).unwrap_or(&0);
        state.seen.insert(webhook_id.clone(), earlier + 1);
        let received = Received {
            webhook_id,
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body: String::from_utf8_lossy(&body).into_owned(),
            earlier,
            at: Instant::now(),
        };
        let reply = (state.script)(&received);
        state.received.push(received);
        reply
    };
    match reply {
        Reply::Status(code) => HttpResponse::build(status(code)).finish(),
        Reply::RetryAfter(code, seconds) => HttpResponse::build(status(code))
            .insert_header(("Retry-After", seconds.to_string()))
            .finish(),
        Reply::Redirect(to) => HttpResponse::build(status(307))
            .insert_header(("Location", to))
            .finish(),
        Reply::Slow(wait) => {
            actix_web::rt::time::sleep(wait).await;
            HttpResponse::Ok().finish()
        }
    }
}

fn status(code: u16) -> actix_web::http::StatusCode {
    actix_web::http::StatusCode::from_u16(code).expect("a valid status")
}

/// HMAC-SHA256 written out from its definition (RFC 2104) on plain SHA-256, so the test checks
/// the server's signatures without sharing its HMAC code.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Whether `received` carries a valid Standard Webhooks signature for `secret` (`whsec_…`).
pub fn signature_is_valid(secret: &str, received: &Received) -> bool {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let signed = format!(
        "{}.{}.{}",
        received.webhook_id, received.timestamp, received.body
    );
    let expected = format!("v1,{}", b64.encode(hmac_sha256(&key, signed.as_bytes())));
    received
        .signature
        .split(' ')
        .any(|candidate| candidate == expected)
}
