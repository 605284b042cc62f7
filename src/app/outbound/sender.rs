//! Sends one signed webhook and says what came of it, never more: no retries here, no
//! redirects followed, a deadline on every request, and no connection to a loopback, private
//! or link-local address unless the operator allowed them — checked on the URL as written and
//! again on every address its name resolves to when the request is made (DNS rebinding).

use crate::domain::delivery::{
    is_private, parse_retry_after, Answer, DeliveryPolicy, DeliveryUrl, SigningSecret, UrlRefusal,
};
use chrono::Utc;
use std::net::SocketAddr;
use std::sync::Arc;

/// Every address a name resolved to was private.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to loopback, private or link-local addresses")]
struct PrivateOnly(String);

/// Resolves names through the system and keeps only public addresses.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_private(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(PrivateOnly(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client of outbound deliveries.
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    pub fn new(policy: &DeliveryPolicy) -> Result<Sender, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .user_agent(concat!("Switchboard-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !policy.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Sender {
            client: builder.build()?,
            allow_private: policy.allow_private,
        })
    }

    /// Whether `raw` may be a delivery URL: the checks on its text, and, for a name, that it
    /// does not resolve to a private address now (a name that does not resolve yet is taken;
    /// its deliveries fail until it does).
    pub async fn check_url(&self, raw: &str) -> Result<DeliveryUrl, UrlRefusal> {
        let url = DeliveryUrl::parse(raw, self.allow_private)?;
        if self.allow_private {
            return Ok(url);
        }
        let (host, port) = url.host_and_port();
        if let Ok(addrs) = tokio::net::lookup_host((host.as_str(), port)).await {
            if let Some(private) = addrs.map(|a| a.ip()).find(|ip| is_private(*ip)) {
                return Err(UrlRefusal::Private(format!("{host} resolves to {private}")));
            }
        }
        Ok(url)
    }

    /// POSTs a notification (an alert) to `url`, unsigned: chat webhooks such as Slack's take
    /// plain JSON, and the URL itself is the secret. The same address rules as deliveries.
    pub async fn notify(&self, url: &str, body: &str) -> Answer {
        let url = match DeliveryUrl::parse(url, self.allow_private) {
            Ok(url) => url,
            Err(refusal) => return Answer::Refused(refusal.to_string()),
        };
        let sent = self
            .client
            .post(url.as_str())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await;
        match sent {
            Ok(res) => Answer::Status {
                code: res.status().as_u16(),
                retry_after: None,
            },
            Err(e) if e.is_timeout() => Answer::TimedOut,
            Err(e) => Answer::Unreachable(cause_chain(&e)),
        }
    }

    /// POSTs `body` to `url`, signed for `webhook_id` at the current time.
    pub async fn send(
        &self,
        url: &str,
        secret: &SigningSecret,
        webhook_id: &str,
        body: &str,
    ) -> Answer {
        let url = match DeliveryUrl::parse(url, self.allow_private) {
            Ok(url) => url,
            Err(refusal) => return Answer::Refused(refusal.to_string()),
        };
        let timestamp = Utc::now().timestamp();
        let sent = self
            .client
            .post(url.as_str())
            .header("content-type", "application/json")
            .header("webhook-id", webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                secret.sign(webhook_id, timestamp, body),
            )
            .body(body.to_string())
            .send()
            .await;
        match sent {
            Ok(res) => Answer::Status {
                code: res.status().as_u16(),
                retry_after: res
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, Utc::now())),
            },
            Err(e) if e.is_timeout() => Answer::TimedOut,
            Err(e) => match private_cause(&e) {
                Some(refused) => Answer::Refused(refused),
                None => Answer::Unreachable(cause_chain(&e)),
            },
        }
    }
}

/// The resolver's refusal, if that is why the request failed.
fn private_cause(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(private) = c.downcast_ref::<PrivateOnly>() {
            return Some(private.to_string());
        }
        cause = c.source();
    }
    None
}

/// The error and its causes in one line (the innermost says most: "connection refused").
fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out.chars().take(500).collect()
}
