//! Account (tenant) settings of SPEC §1 and their validation.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How the dispatcher chooses among eligible agents (SPEC §2 rule 1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStrategy {
    #[default]
    Balanced,
    RoundRobin,
    Broadcast,
}

impl AssignmentStrategy {
    pub const ALL: [AssignmentStrategy; 3] = [
        AssignmentStrategy::Balanced,
        AssignmentStrategy::RoundRobin,
        AssignmentStrategy::Broadcast,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentStrategy::Balanced => "balanced",
            AssignmentStrategy::RoundRobin => "round_robin",
            AssignmentStrategy::Broadcast => "broadcast",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                format!("`{raw}` is not an assignment strategy (balanced, round_robin, broadcast)")
            })
    }
}

/// An account's settings, always within their valid ranges (changes go through [`Settings::patched`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Settings {
    pub response_sla_seconds: i32,
    pub assignment_strategy: AssignmentStrategy,
    pub rebalance_threshold: i32,
    pub offline_grace_seconds: i32,
    /// An IANA time zone name such as `Europe/Lisbon`.
    #[schema(value_type = String, example = "Europe/Lisbon")]
    pub timezone: Tz,
    /// An assigned ticket its agent has not opened within this many seconds moves on;
    /// `null`: never (the default).
    pub return_after_seconds: Option<i32>,
    /// Where alerts are POSTed as Slack-compatible JSON; `null`: nowhere.
    pub notification_webhook_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            response_sla_seconds: 360,
            assignment_strategy: AssignmentStrategy::Balanced,
            rebalance_threshold: 2,
            offline_grace_seconds: 60,
            timezone: Tz::UTC,
            return_after_seconds: None,
            notification_webhook_url: None,
        }
    }
}

/// A partial update of the settings (`PATCH /account`); absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub name: Option<String>,
    pub response_sla_seconds: Option<i32>,
    #[schema(value_type = Option<AssignmentStrategy>)]
    pub assignment_strategy: Option<String>,
    pub rebalance_threshold: Option<i32>,
    pub offline_grace_seconds: Option<i32>,
    pub timezone: Option<String>,
    /// A number of seconds, or `null` to turn the return timer off; absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, nullable)]
    pub return_after_seconds: Option<Option<i32>>,
    /// An http(s) URL, or `null` to stop sending alerts; absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub notification_webhook_url: Option<Option<String>>,
}

/// A field that is present (possibly `null`), as opposed to absent (`None` by default).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl Settings {
    /// Applies `patch`, refusing the whole patch if any field is out of range.
    pub fn patched(&self, patch: &SettingsPatch) -> Result<Settings, String> {
        let mut next = self.clone();
        if let Some(v) = patch.response_sla_seconds {
            if !(1..=7 * 24 * 3600).contains(&v) {
                return Err("response_sla_seconds must be between 1 and 604800".into());
            }
            next.response_sla_seconds = v;
        }
        if let Some(v) = &patch.assignment_strategy {
            next.assignment_strategy = AssignmentStrategy::parse(v)?;
        }
        if let Some(v) = patch.rebalance_threshold {
            if !(1..=1000).contains(&v) {
                return Err("rebalance_threshold must be between 1 and 1000".into());
            }
            next.rebalance_threshold = v;
        }
        if let Some(v) = patch.offline_grace_seconds {
            if !(0..=24 * 3600).contains(&v) {
                return Err("offline_grace_seconds must be between 0 and 86400".into());
            }
            next.offline_grace_seconds = v;
        }
        if let Some(v) = &patch.timezone {
            next.timezone = parse_timezone(v)?;
        }
        if let Some(v) = patch.return_after_seconds {
            if v.is_some_and(|v| !(1..=7 * 24 * 3600).contains(&v)) {
                return Err("return_after_seconds must be between 1 and 604800, or null".into());
            }
            next.return_after_seconds = v;
        }
        if let Some(v) = &patch.notification_webhook_url {
            next.notification_webhook_url = v.as_deref().map(webhook_url).transpose()?;
        }
        Ok(next)
    }
}

/// An http(s) URL of at most 2,048 characters. Whether its address may be reached is judged
/// when an alert is sent, as for every outbound delivery.
fn webhook_url(raw: &str) -> Result<String, String> {
    let refused = || "notification_webhook_url must be an http(s) URL".to_string();
    let url = url::Url::parse(raw).map_err(|_| refused())?;
    if raw.len() > 2048 || !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(refused());
    }
    Ok(url.to_string())
}

/// Parses an IANA timezone name such as `Europe/Lisbon`.
pub fn parse_timezone(raw: &str) -> Result<Tz, String> {
    raw.parse::<Tz>()
        .map_err(|_| format!("`{raw}` is not an IANA timezone name (e.g. Europe/Lisbon)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_is_all_or_nothing() {
        let base = Settings::default();
        let ok = base
            .patched(&SettingsPatch {
                response_sla_seconds: Some(120),
                timezone: Some("Europe/Lisbon".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(ok.response_sla_seconds, 120);
        assert_eq!(ok.timezone, chrono_tz::Europe::Lisbon);
        for bad in [
            SettingsPatch {
                response_sla_seconds: Some(0),
                ..Default::default()
            },
            SettingsPatch {
                rebalance_threshold: Some(0),
                ..Default::default()
            },
            SettingsPatch {
                offline_grace_seconds: Some(-1),
                ..Default::default()
            },
            SettingsPatch {
                timezone: Some("Mars/Olympus".into()),
                ..Default::default()
            },
            SettingsPatch {
                assignment_strategy: Some("random".into()),
                ..Default::default()
            },
            SettingsPatch {
                return_after_seconds: Some(Some(0)),
                ..Default::default()
            },
            SettingsPatch {
                notification_webhook_url: Some(Some("ftp://example.com/hook".into())),
                ..Default::default()
            },
        ] {
            assert!(base.patched(&bad).is_err(), "{bad:?}");
        }
    }
}
