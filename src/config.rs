//! Configuration, read from the environment once at start and validated there (SPEC §5a).

use crate::domain::delivery::DeliveryPolicy;
use crate::security::rate_limit::RateQuotas;
use secrecy::SecretString;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the server needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct Config {
    /// PostgreSQL connection string (`DATABASE_URL`, required).
    pub database_url: SecretString,
    /// Redis connection string (`REDIS_URL`); without it presence is in-process, one node.
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key (`SWITCHBOARD_REDIS_PREFIX`, default `sb`), so several
    /// deployments or test runs can share one Redis.
    pub redis_prefix: String,
    /// Address to listen on (`SWITCHBOARD_BIND`, default `127.0.0.1:8080`; port 0 picks one).
    pub bind: String,
    /// Largest accepted request body in bytes (`SWITCHBOARD_BODY_LIMIT`, default 1 MiB).
    pub body_limit: usize,
    /// Origins besides the server's own from which a browser signed in with the session cookie
    /// may send changes or open the socket (`SWITCHBOARD_ALLOWED_ORIGINS`, comma-separated,
    /// e.g. `https://desk.example.com`); empty by default.
    pub allowed_origins: Vec<String>,
    /// Folder of the browser app (`SWITCHBOARD_WEB_DIR`, default the crate's `web/`).
    pub web_dir: PathBuf,
    /// How long a login session lasts, in hours (`SWITCHBOARD_SESSION_HOURS`, default 12).
    pub session_hours: i64,
    /// Largest database pool (`SWITCHBOARD_DB_POOL`, default 20).
    pub db_pool_size: u32,
    /// Guest messages that may wait for the ingest writers (`SWITCHBOARD_INGEST_QUEUE`, default
    /// 2000); past it, ingest answers 503 with `Retry-After` at once.
    pub ingest_queue: usize,
    /// The bearer token `GET /api/v1/metrics` asks for (`SWITCHBOARD_METRICS_TOKEN`); unset,
    /// the figures are open to anyone who can reach the server.
    pub metrics_token: Option<SecretString>,
    /// Rate limits: `SWITCHBOARD_LOGIN_PER_USER_PER_MINUTE` (10),
    /// `SWITCHBOARD_LOGIN_PER_IP_PER_MINUTE` (120), `SWITCHBOARD_INGEST_PER_KEY_PER_SECOND` (2000).
    pub quotas: RateQuotas,
    /// Outbound deliveries to channel bridges: `SWITCHBOARD_DELIVERY_ALLOW_PRIVATE` (false),
    /// `SWITCHBOARD_DELIVERY_RETRY_WINDOW` (`24h`; also `90s`, `30m` or bare seconds),
    /// `SWITCHBOARD_DELIVERY_BACKOFF_MS` (2000), `SWITCHBOARD_DELIVERY_TIMEOUT_MS` (10000),
    /// `SWITCHBOARD_DELIVERY_CONCURRENCY` (4), `SWITCHBOARD_DELIVERY_POLL_MS` (1000).
    pub delivery: DeliveryPolicy,
    /// `SWITCHBOARD_NODE_ID`; `None`: the host name and the bound port.
    pub node_id: Option<String>,
    /// `SWITCHBOARD_LEASE_TTL_MS`: how long a dispatcher lease outlives its holder's last
    /// renewal, so how soon a dead node's accounts move (default 8 s).
    pub lease_ttl: Duration,
}

/// A variable that is missing or malformed.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let database_url = lookup("DATABASE_URL")
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| ConfigError("DATABASE_URL is required (e.g. postgres://postgres@127.0.0.1:5432/switchboard)".into()))?;
        let number = |name: &str, default: u64| -> Result<u64, ConfigError> {
            match lookup(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| ConfigError(format!("{name} must be a whole number, not `{v}`"))),
            }
        };
        Ok(Config {
            database_url: SecretString::from(database_url),
            redis_url: lookup("REDIS_URL")
                .filter(|v| !v.trim().is_empty())
                .map(SecretString::from),
            redis_prefix: lookup("SWITCHBOARD_REDIS_PREFIX").unwrap_or_else(|| "sb".into()),
            bind: lookup("SWITCHBOARD_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            body_limit: number("SWITCHBOARD_BODY_LIMIT", 1 << 20)? as usize,
            allowed_origins: origins(lookup("SWITCHBOARD_ALLOWED_ORIGINS").as_deref())?,
            web_dir: lookup("SWITCHBOARD_WEB_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/web"))),
            session_hours: number("SWITCHBOARD_SESSION_HOURS", 12)?.clamp(1, 24 * 90) as i64,
            db_pool_size: number("SWITCHBOARD_DB_POOL", 20)?.clamp(2, 500) as u32,
            ingest_queue: number("SWITCHBOARD_INGEST_QUEUE", 2_000)?.clamp(1, 1_000_000) as usize,
            metrics_token: lookup("SWITCHBOARD_METRICS_TOKEN")
                .filter(|v| !v.trim().is_empty())
                .map(SecretString::from),
            quotas: RateQuotas {
                login_per_user_per_minute: number("SWITCHBOARD_LOGIN_PER_USER_PER_MINUTE", 10)?
                    .clamp(1, 1_000_000) as u32,
                login_per_ip_per_minute: number("SWITCHBOARD_LOGIN_PER_IP_PER_MINUTE", 120)?
                    .clamp(1, 1_000_000) as u32,
                ingest_per_key_per_second: number("SWITCHBOARD_INGEST_PER_KEY_PER_SECOND", 2_000)?
                    .clamp(1, 1_000_000) as u32,
            },
            delivery: DeliveryPolicy {
                allow_private: flag(lookup("SWITCHBOARD_DELIVERY_ALLOW_PRIVATE").as_deref())?,
                retry_window: span(lookup("SWITCHBOARD_DELIVERY_RETRY_WINDOW").as_deref())?,
                backoff_base: millis(number("SWITCHBOARD_DELIVERY_BACKOFF_MS", 2_000)?),
                timeout: millis(number("SWITCHBOARD_DELIVERY_TIMEOUT_MS", 10_000)?),
                concurrency: number("SWITCHBOARD_DELIVERY_CONCURRENCY", 4)?.clamp(1, 64) as usize,
                poll: millis(number("SWITCHBOARD_DELIVERY_POLL_MS", 1_000)?),
            },
            node_id: lookup("SWITCHBOARD_NODE_ID").filter(|v| !v.trim().is_empty()),
            lease_ttl: millis(number("SWITCHBOARD_LEASE_TTL_MS", 8_000)?.clamp(400, 600_000)),
        })
    }
}

fn millis(n: u64) -> Duration {
    Duration::from_millis(n.clamp(1, 3_600_000))
}

/// `true`/`1`/`yes` or `false`/`0`/`no` (unset: false).
fn flag(raw: Option<&str>) -> Result<bool, ConfigError> {
    match raw.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => Err(ConfigError(format!(
            "SWITCHBOARD_DELIVERY_ALLOW_PRIVATE must be true or false, not `{other}`"
        ))),
    }
}

/// A duration such as `24h`, `30m`, `90s` or bare seconds (unset: 24 hours).
fn span(raw: Option<&str>) -> Result<Duration, ConfigError> {
    let Some(raw) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Duration::from_secs(24 * 3600));
    };
    let (digits, unit) = match raw.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&raw[..i], c.to_ascii_lowercase()),
        _ => (raw, 's'),
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => 0,
    };
    match digits.trim().parse::<u64>() {
        Ok(n) if scale > 0 && n > 0 => Ok(Duration::from_secs(n.saturating_mul(scale))),
        _ => Err(ConfigError(format!(
            "SWITCHBOARD_DELIVERY_RETRY_WINDOW must be a duration such as 24h, 30m or 90s, not `{raw}`"
        ))),
    }
}

/// Parses a comma-separated list of origins (`scheme://host[:port]`).
fn origins(raw: Option<&str>) -> Result<Vec<String>, ConfigError> {
    raw.unwrap_or_default()
        .split(',')
        .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
        .filter(|o| !o.is_empty())
        .map(|o| {
            let host = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
                .unwrap_or_default();
            if host.is_empty() || host.contains('/') {
                Err(ConfigError(format!(
                    "SWITCHBOARD_ALLOWED_ORIGINS: `{o}` is not an origin such as https://desk.example.com"
                )))
            } else {
                Ok(o)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn database_url_is_required_and_numbers_are_checked() {
        assert!(from(&[]).is_err());
        let c = from(&[("DATABASE_URL", "postgres://x/y")]).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.body_limit, 1 << 20);
        assert!(c.redis_url.is_none());
        assert!(c.allowed_origins.is_empty());
        let with = from(&[
            ("DATABASE_URL", "postgres://x/y"),
            (
                "SWITCHBOARD_ALLOWED_ORIGINS",
                " https://Desk.example.com/, http://127.0.0.1:9000",
            ),
        ])
        .unwrap();
        assert_eq!(
            with.allowed_origins,
            ["https://desk.example.com", "http://127.0.0.1:9000"]
        );
        assert!(from(&[
            ("DATABASE_URL", "postgres://x/y"),
            ("SWITCHBOARD_ALLOWED_ORIGINS", "desk.example.com")
        ])
        .is_err());
        assert!(from(&[
            ("DATABASE_URL", "postgres://x/y"),
            ("SWITCHBOARD_BODY_LIMIT", "lots")
        ])
        .is_err());
    }

    #[test]
    fn delivery_settings_read_durations_and_flags() {
        let c = from(&[("DATABASE_URL", "postgres://x/y")]).unwrap();
        assert_eq!(c.delivery, DeliveryPolicy::default());
        let c = from(&[
            ("DATABASE_URL", "postgres://x/y"),
            ("SWITCHBOARD_DELIVERY_ALLOW_PRIVATE", "true"),
            ("SWITCHBOARD_DELIVERY_RETRY_WINDOW", "30m"),
            ("SWITCHBOARD_DELIVERY_BACKOFF_MS", "100"),
        ])
        .unwrap();
        assert!(c.delivery.allow_private);
        assert_eq!(c.delivery.retry_window, Duration::from_secs(1800));
        assert_eq!(c.delivery.backoff_base, Duration::from_millis(100));
        assert_eq!(span(Some("90")).unwrap(), Duration::from_secs(90));
        assert_eq!(span(Some("2d")).unwrap(), Duration::from_secs(172_800));
        for bad in ["soon", "10y", "0h", "h"] {
            assert!(span(Some(bad)).is_err(), "{bad}");
        }
        assert!(from(&[
            ("DATABASE_URL", "postgres://x/y"),
            ("SWITCHBOARD_DELIVERY_ALLOW_PRIVATE", "maybe")
        ])
        .is_err());
    }
}
