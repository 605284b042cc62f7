//! Account (tenant) settings of SPEC §1 and their validation.

use super::stage::Stage;
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
    /// A return timer of its own for each stage listed, in place of `return_after_seconds`
    /// (a guest about to book is worth a shorter one than a past stay).
    pub return_after_seconds_by_stage: StageTimers,
    /// Where alerts are POSTed as Slack-compatible JSON; `null`: nowhere.
    pub notification_webhook_url: Option<String>,
    /// How many days back the `recently_confirmed` view looks (1–90, default 7).
    pub recently_confirmed_days: i32,
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
            return_after_seconds_by_stage: StageTimers::default(),
            notification_webhook_url: None,
            recently_confirmed_days: 7,
        }
    }
}

/// Seconds per booking stage; a stage left out has none of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageTimers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_booking: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booked: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staying: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_stay: Option<i32>,
}

impl StageTimers {
    /// The stage's own seconds, if it has them.
    pub fn get(&self, stage: Stage) -> Option<i32> {
        match stage {
            Stage::PreBooking => self.pre_booking,
            Stage::Booked => self.booked,
            Stage::Staying => self.staying,
            Stage::PostStay => self.post_stay,
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
    /// Replaces the per-stage timers whole (`{}` clears them); absent keeps them.
    pub return_after_seconds_by_stage: Option<StageTimers>,
    /// An http(s) URL, or `null` to stop sending alerts; absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub notification_webhook_url: Option<Option<String>>,
    /// Days, 1–90.
    pub recently_confirmed_days: Option<i32>,
}

/// A field that is present (possibly `null`), as opposed to absent (`None` by default).
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl Settings {
    /// How long an agent may hold a ticket of `stage` unopened; `None`: forever.
    pub fn return_after(&self, stage: Stage) -> Option<i32> {
        self.return_after_seconds_by_stage
            .get(stage)
            .or(self.return_after_seconds)
    }

    /// Whether any ticket can ever be returned.
    pub fn has_return_timer(&self) -> bool {
        Stage::ALL
            .into_iter()
            .any(|stage| self.return_after(stage).is_some())
    }

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
        if let Some(timers) = patch.return_after_seconds_by_stage {
            if Stage::ALL
                .into_iter()
                .filter_map(|stage| timers.get(stage))
                .any(|v| !(1..=7 * 24 * 3600).contains(&v))
            {
                return Err(
                    "return_after_seconds_by_stage takes seconds between 1 and 604800".into(),
                );
            }
            next.return_after_seconds_by_stage = timers;
        }
        if let Some(v) = &patch.notification_webhook_url {
            next.notification_webhook_url = v.as_deref().map(webhook_url).transpose()?;
        }
        if let Some(v) = patch.recently_confirmed_days {
            if !(1..=90).contains(&v) {
                return Err("recently_confirmed_days must be between 1 and 90".into());
            }
            next.recently_confirmed_days = v;
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
    fn a_stage_with_a_timer_of_its_own_uses_it_and_the_others_the_account_s() {
        let patch: SettingsPatch = serde_json::from_value(serde_json::json!({
            "return_after_seconds": 600,
            "return_after_seconds_by_stage": {"pre_booking": 120}
        }))
        .unwrap();
        let s = Settings::default().patched(&patch).unwrap();
        assert_eq!(s.return_after(Stage::PreBooking), Some(120));
        assert_eq!(s.return_after(Stage::Staying), Some(600));
        let only_one: SettingsPatch = serde_json::from_value(serde_json::json!({
            "return_after_seconds": null
        }))
        .unwrap();
        let s = s.patched(&only_one).unwrap();
        assert_eq!(s.return_after(Stage::PreBooking), Some(120));
        assert_eq!(s.return_after(Stage::Staying), None);
        assert!(s.has_return_timer());
        let cleared: SettingsPatch =
            serde_json::from_value(serde_json::json!({"return_after_seconds_by_stage": {}}))
                .unwrap();
        assert!(!s.patched(&cleared).unwrap().has_return_timer());
        assert!(serde_json::from_value::<SettingsPatch>(
            serde_json::json!({"return_after_seconds_by_stage": {"checkout": 5}})
        )
        .is_err());
    }

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
                recently_confirmed_days: Some(0),
                ..Default::default()
            },
            SettingsPatch {
                recently_confirmed_days: Some(91),
                ..Default::default()
            },
            SettingsPatch {
                return_after_seconds: Some(Some(0)),
                ..Default::default()
            },
            SettingsPatch {
                return_after_seconds_by_stage: Some(StageTimers {
                    staying: Some(0),
                    ..StageTimers::default()
                }),
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
