//! Outbound delivery rules (issue 17, SPEC §9): which delivery URLs are acceptable, how a
//! webhook is signed (Standard Webhooks), what an attempt's outcome means (delivered, retry
//! later, give up) and when the next retry comes. Pure: the clock, the random jitter and the
//! network's answers are arguments; nothing here sends or stores anything.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// How deliveries behave on this server (from the environment, `config.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Whether loopback, private and link-local addresses may be delivered to
    /// (`SWITCHBOARD_DELIVERY_ALLOW_PRIVATE`; tests and one-machine set-ups).
    pub allow_private: bool,
    /// Retries stop, and the delivery is `failed`, once this has passed since it was queued
    /// (`SWITCHBOARD_DELIVERY_RETRY_WINDOW`, default 24 h).
    pub retry_window: Duration,
    /// The first retry waits between half of this and all of it; each later one twice as long
    /// (`SWITCHBOARD_DELIVERY_BACKOFF_MS`, default 2 s, so the first retry comes within 5 s).
    pub backoff_base: Duration,
    /// How long one attempt may take, connecting included (`SWITCHBOARD_DELIVERY_TIMEOUT_MS`).
    pub timeout: Duration,
    /// Deliveries a node sends at the same time (`SWITCHBOARD_DELIVERY_CONCURRENCY`).
    pub concurrency: usize,
    /// How often an idle worker looks for due deliveries another node queued or a retry that
    /// came due (`SWITCHBOARD_DELIVERY_POLL_MS`); replies stored on this node wake it at once.
    pub poll: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> DeliveryPolicy {
        DeliveryPolicy {
            allow_private: false,
            retry_window: Duration::from_secs(24 * 3600),
            backoff_base: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            concurrency: 4,
            poll: Duration::from_secs(1),
        }
    }
}

/// The longest wait between two attempts, whatever the back-off or `Retry-After` say.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Where a reply's delivery stands, as the message shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Stored, not yet accepted by any bridge.
    Queued,
    /// A bridge accepted the webhook (answered 2xx).
    Sent,
    /// The bridge reports the guest got it.
    Delivered,
    /// Given up (or the bridge reports it could not deliver).
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Result<DeliveryStatus, String> {
        match raw {
            "queued" => Ok(DeliveryStatus::Queued),
            "sent" => Ok(DeliveryStatus::Sent),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(format!("`{other}` is not a delivery status")),
        }
    }
}

/// The prefix of every signing secret (Standard Webhooks).
pub const SECRET_PREFIX: &str = "whsec_";

/// A connection's signing secret: `whsec_` and the base64 of the key bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret {
    text: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(REDACTED)")
    }
}

impl SigningSecret {
    /// A secret for `key` (24 to 64 random bytes; the server uses 32).
    pub fn from_key(key: &[u8]) -> SigningSecret {
        SigningSecret {
            text: format!("{SECRET_PREFIX}{}", BASE64.encode(key)),
            key: key.to_vec(),
        }
    }

    /// Reads a stored `whsec_…` secret.
    pub fn parse(text: &str) -> Result<SigningSecret, String> {
        let encoded = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or("a signing secret starts with whsec_")?;
        let key = BASE64
            .decode(encoded)
            .map_err(|_| "a signing secret is whsec_ and base64")?;
        if key.len() < 24 || key.len() > 64 {
            return Err("a signing secret holds 24 to 64 bytes".into());
        }
        Ok(SigningSecret {
            text: text.to_string(),
            key,
        })
    }

    /// The `whsec_…` text, as shown once to the manager and stored.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`: the `webhook-signature` value.
    pub fn sign(&self, webhook_id: &str, timestamp: i64, body: &str) -> String {
        // HMAC takes a key of any length; this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            unreachable!("HMAC accepts keys of any length")
        };
        mac.update(format!("{webhook_id}.{timestamp}.").as_bytes());
        mac.update(body.as_bytes());
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// Why a delivery URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("the delivery URL is not a URL: {0}")]
    Malformed(String),
    #[error("the delivery URL must be http or https")]
    Scheme,
    #[error("the delivery URL must not carry a user name or password")]
    Credentials,
    #[error("the delivery URL points at a loopback, private or link-local address ({0}); set SWITCHBOARD_DELIVERY_ALLOW_PRIVATE=true to allow it")]
    Private(String),
}

/// A delivery URL that passed the checks that need no network: http(s), a host, no
/// credentials, and (unless allowed) no private address written into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryUrl(url::Url);

impl DeliveryUrl {
    pub fn parse(raw: &str, allow_private: bool) -> Result<DeliveryUrl, UrlRefusal> {
        let url = url::Url::parse(raw.trim()).map_err(|e| UrlRefusal::Malformed(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(UrlRefusal::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlRefusal::Credentials);
        }
        let host = match url.host() {
            Some(host) => host,
            None => return Err(UrlRefusal::Malformed("it has no host".into())),
        };
        if !allow_private {
            let private = match host {
                url::Host::Ipv4(ip) => is_private(IpAddr::V4(ip)),
                url::Host::Ipv6(ip) => is_private(IpAddr::V6(ip)),
                url::Host::Domain(name) => {
                    let name = name.trim_end_matches('.').to_ascii_lowercase();
                    name == "localhost" || name.ends_with(".localhost")
                }
            };
            if private {
                return Err(UrlRefusal::Private(host.to_string()));
            }
        }
        Ok(DeliveryUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host name or address, and the port (the scheme's default when none is written).
    pub fn host_and_port(&self) -> (String, u16) {
        let host = match self.0.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        };
        (host, self.0.port_or_known_default().unwrap_or(80))
    }
}

/// Whether an address is one a webhook must not reach from a multi-tenant server: loopback,
/// private (RFC 1918, unique local), link-local, carrier-grade NAT, unspecified, broadcast,
/// multicast, documentation ranges, or an IPv4 address written as IPv6.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || (first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64 of any IPv4
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240
}

/// What one attempt came to, as the network said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The receiver answered with this status (and `Retry-After`, if it sent one we could read).
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    /// No answer within the time-out.
    TimedOut,
    /// Could not connect or the connection broke (DNS, refused, reset, TLS).
    Unreachable(String),
    /// We would not send: the URL, or every address its name resolves to, is private.
    Refused(String),
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The bridge accepted it.
    Accepted,
    /// Try again later (no sooner than `after`, if the receiver said so).
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Give up now.
    Fail { reason: String },
}

/// Judges an answer: 2xx accepted; time-outs, connection errors, 408, 429 and 5xx are worth
/// another try; a redirect (never followed), any other 4xx and a refused address fail at once.
pub fn judge(answer: &Answer) -> Verdict {
    match answer {
        Answer::Status { code, .. } if (200..300).contains(code) => Verdict::Accepted,
        Answer::Status { code, retry_after } if *code == 408 || *code == 429 || *code >= 500 => {
            Verdict::Retry {
                reason: format!("the receiver answered {code}"),
                after: *retry_after,
            }
        }
        Answer::Status { code, .. } if (300..400).contains(code) => Verdict::Fail {
            reason: format!(
                "the receiver answered {code} (a redirect); redirects are not followed"
            ),
        },
        Answer::Status { code, .. } => Verdict::Fail {
            reason: format!("the receiver answered {code}"),
        },
        Answer::TimedOut => Verdict::Retry {
            reason: "the receiver did not answer in time".into(),
            after: None,
        },
        Answer::Unreachable(why) => Verdict::Retry {
            reason: format!("could not reach the receiver: {why}"),
            after: None,
        },
        Answer::Refused(why) => Verdict::Fail {
            reason: why.clone(),
        },
    }
}

/// The wait before retry number `retry` (1 is the first retry): `base · 2^(retry-1)`, capped
/// at [`MAX_BACKOFF`], scaled by `0.5 + jitter/2` (`jitter` in `[0, 1]`), so that receivers
/// coming back from an outage are not hit by every sender at the same instant.
pub fn backoff(retry: u32, base: Duration, jitter: f64) -> Duration {
    let doublings = retry.saturating_sub(1).min(30);
    let full = base
        .checked_mul(1u32 << doublings)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF);
    full.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
}

/// Reads `Retry-After`: delay seconds, or an HTTP date (RFC 7231 §7.1.3).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Where a delivery goes after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Sent,
    RetryAt { at: DateTime<Utc>, reason: String },
    Failed { reason: String },
}

/// Decides the next step for a delivery queued (or manually retried) at `window_from`, after
/// its attempt number `attempt` (1 is the first) was judged `verdict`. A retry that would come
/// after the window closes is not scheduled: the delivery fails with the last reason.
pub fn next_step(
    verdict: Verdict,
    attempt: u32,
    now: DateTime<Utc>,
    window_from: DateTime<Utc>,
    policy: &DeliveryPolicy,
    jitter: f64,
) -> Step {
    match verdict {
        Verdict::Accepted => Step::Sent,
        Verdict::Fail { reason } => Step::Failed { reason },
        Verdict::Retry { reason, after } => {
            let wait = backoff(attempt, policy.backoff_base, jitter)
                .max(after.unwrap_or(Duration::ZERO).min(MAX_BACKOFF));
            let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
            let closes = window_from
                + chrono::Duration::from_std(policy.retry_window).unwrap_or(chrono::Duration::MAX);
            if at > closes {
                Step::Failed {
                    reason: format!("gave up after {attempt} attempts: {reason}"),
                }
            } else {
                Step::RetryAt { at, reason }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The worked example of the Standard Webhooks specification's reference libraries.
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_round_trip_and_malformed_ones_are_refused() {
        let secret = SigningSecret::from_key(&[7u8; 32]);
        assert!(secret.as_str().starts_with("whsec_"));
        assert_eq!(SigningSecret::parse(secret.as_str()).unwrap(), secret);
        for bad in ["", "whsec_", "whsec_!!!", "sk_abc", "whsec_AAAA"] {
            assert!(SigningSecret::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{secret:?}"), "SigningSecret(REDACTED)");
    }

    #[test]
    fn urls_must_be_http_and_public_unless_allowed() {
        assert!(DeliveryUrl::parse("https://bridge.example.com/hook", false).is_ok());
        assert_eq!(
            DeliveryUrl::parse("ftp://bridge.example.com/", false),
            Err(UrlRefusal::Scheme)
        );
        assert_eq!(
            DeliveryUrl::parse("https://u:p@bridge.example.com/", false),
            Err(UrlRefusal::Credentials)
        );
        assert!(DeliveryUrl::parse("not a url", false).is_err());
        for private in [
            "http://127.0.0.1:9000/",
            "http://localhost/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
        ] {
            assert!(
                matches!(
                    DeliveryUrl::parse(private, false),
                    Err(UrlRefusal::Private(_))
                ),
                "{private}"
            );
            assert!(DeliveryUrl::parse(private, true).is_ok(), "{private}");
        }
        assert!(!is_private("93.184.216.34".parse().unwrap()));
        assert!(!is_private("2606:2800:220:1::1".parse().unwrap()));
    }

    #[test]
    fn answers_are_judged_as_the_issue_says() {
        let status = |code| Answer::Status {
            code,
            retry_after: None,
        };
        assert_eq!(judge(&status(200)), Verdict::Accepted);
        assert_eq!(judge(&status(204)), Verdict::Accepted);
        for retry in [408, 429, 500, 502, 503] {
            assert!(
                matches!(judge(&status(retry)), Verdict::Retry { .. }),
                "{retry}"
            );
        }
        for fail in [301, 302, 400, 401, 404, 410, 422] {
            assert!(
                matches!(judge(&status(fail)), Verdict::Fail { .. }),
                "{fail}"
            );
        }
        assert!(matches!(judge(&Answer::TimedOut), Verdict::Retry { .. }));
        assert!(matches!(
            judge(&Answer::Unreachable("refused".into())),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            judge(&Answer::Refused("private".into())),
            Verdict::Fail { .. }
        ));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = at("2015-10-21T07:28:00Z");
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn the_first_retry_comes_within_five_seconds_by_default() {
        let policy = DeliveryPolicy::default();
        let now = at("2026-01-01T00:00:00Z");
        let verdict = judge(&Answer::TimedOut);
        let Step::RetryAt { at: next, .. } = next_step(verdict, 1, now, now, &policy, 1.0) else {
            panic!("a time-out is retried");
        };
        assert!(next - now <= chrono::Duration::seconds(5));
    }

    #[test]
    fn retry_after_is_honoured_and_the_window_ends_retries() {
        let policy = DeliveryPolicy::default();
        let now = at("2026-01-01T00:00:00Z");
        let busy = Verdict::Retry {
            reason: "429".into(),
            after: Some(Duration::from_secs(120)),
        };
        assert_eq!(
            next_step(busy, 1, now, now, &policy, 0.0),
            Step::RetryAt {
                at: now + chrono::Duration::seconds(120),
                reason: "429".into()
            }
        );
        let late = now + chrono::Duration::hours(24);
        let again = Verdict::Retry {
            reason: "the receiver answered 503".into(),
            after: None,
        };
        assert!(matches!(
            next_step(again, 30, late, now, &policy, 0.0),
            Step::Failed { reason } if reason.contains("503")
        ));
    }

    proptest! {
        #[test]
        fn backoff_grows_stays_capped_and_jitter_stays_in_its_band(
            retry in 1u32..100,
            base_ms in 1u64..10_000,
            jitter in 0.0f64..=1.0,
        ) {
            let base = Duration::from_millis(base_ms);
            let wait = backoff(retry, base, jitter);
            prop_assert!(wait <= MAX_BACKOFF);
            let full = base.checked_mul(1u32 << (retry - 1).min(30)).unwrap_or(MAX_BACKOFF).min(MAX_BACKOFF);
            prop_assert!(wait >= full / 2 - Duration::from_nanos(1));
            prop_assert!(wait <= full);
            prop_assert!(backoff(retry + 1, base, 1.0) >= backoff(retry, base, 1.0));
        }
    }
}
