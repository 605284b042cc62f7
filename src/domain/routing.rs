//! Routing groups (issue 13): an account's desks ("Resorts", "Spanish line"), each with rules
//! on a ticket's channel, listing group, language and entry point (the channel's inbound
//! address), a coverage floor and an optional overflow group. A ticket belongs to the first
//! group, by id, whose rules all match; it is dispatched to that group's agents only, and
//! after the overflow delay in the queue also to the overflow group's. Pure: no I/O, no clock.

use super::card::{normalize_language, TicketTraits};
use super::channel::Channel;
use super::ids::GroupId;
use super::ingest::normalize_entry_point;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The longest overflow delay: a week.
pub const MAX_OVERFLOW_SECONDS: i32 = 604_800;
/// The highest coverage floor.
pub const MAX_MIN_AGENTS: i32 = 10_000;
/// At most this many groups per account: the dispatcher checks them on every new ticket.
pub const MAX_GROUPS: usize = 200;

/// What a ticket must have to belong to a group. An empty list matches anything; a list that
/// is not empty matches only a ticket whose value is known and listed (a guest whose language
/// is unknown is not routed to the Spanish line).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRules {
    #[serde(default)]
    pub channels: BTreeSet<Channel>,
    #[serde(default)]
    pub listing_groups: BTreeSet<String>,
    #[serde(default)]
    pub languages: BTreeSet<String>,
    /// Inbound addresses (the number dialled, the mailbox written to), as ingest messages
    /// name them in `entry_point`.
    #[serde(default)]
    pub entry_points: BTreeSet<String>,
}

impl GroupRules {
    /// Whether a ticket with these traits matches every rule.
    pub fn matches(&self, t: &TicketTraits) -> bool {
        fn listed<T: Ord>(set: &BTreeSet<T>, v: Option<&T>) -> bool {
            set.is_empty() || v.is_some_and(|v| set.contains(v))
        }
        listed(&self.channels, Some(&t.channel))
            && listed(&self.listing_groups, t.listing_group.as_ref())
            && listed(&self.languages, t.language.as_ref())
            && listed(&self.entry_points, t.entry_point.as_ref())
    }

    /// Normalises and checks rules from the API.
    pub fn validated(self) -> Result<GroupRules, String> {
        if self.channels.len()
            + self.listing_groups.len()
            + self.languages.len()
            + self.entry_points.len()
            > 500
        {
            return Err("a group has at most 500 rule values".into());
        }
        Ok(GroupRules {
            channels: self.channels,
            listing_groups: self
                .listing_groups
                .into_iter()
                .map(|g| {
                    let g = g.trim().to_string();
                    if g.is_empty() || g.len() > 64 {
                        Err("listing group names are 1-64 characters".to_string())
                    } else {
                        Ok(g)
                    }
                })
                .collect::<Result<_, _>>()?,
            languages: self
                .languages
                .iter()
                .map(|l| normalize_language(l))
                .collect::<Result<_, _>>()?,
            entry_points: self
                .entry_points
                .iter()
                .map(|e| normalize_entry_point(e))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Where a group's tickets may also go once they have waited long enough in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    pub group: GroupId,
    pub after: Duration,
}

/// A routing group as dispatching needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingGroup {
    pub id: GroupId,
    pub rules: GroupRules,
    /// Working agents the group must keep (the coverage floor); 0 is none.
    pub min_agents: i32,
    pub overflow: Option<Overflow>,
}

/// The group a ticket with these traits belongs to: the first, by id, whose rules all match;
/// `None` when none does (it is dispatched to any agent, as without groups).
pub fn group_for<'a>(
    groups: impl IntoIterator<Item = &'a RoutingGroup>,
    traits: &TicketTraits,
) -> Option<GroupId> {
    groups
        .into_iter()
        .filter(|g| g.rules.matches(traits))
        .map(|g| g.id)
        .min()
}

/// Whether a ticket of a group with this overflow, queued since `since`, may go to the
/// overflow group's agents at `now`.
pub fn overflow_open(
    overflow: Option<&Overflow>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<GroupId> {
    overflow.filter(|o| since + o.after <= now).map(|o| o.group)
}

/// A group that a pause or a stop would leave below its floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Uncovered {
    pub group_id: GroupId,
    pub name: String,
    pub min_agents: i32,
    /// Working agents the group would have left.
    pub working_after: i64,
}

/// A group's floor and how many of its agents work now besides the one asking to leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub group_id: GroupId,
    pub name: String,
    pub min_agents: i32,
    pub others_working: i64,
}

/// The coverage floor: an agent who works now (timer running, intake open) may stop or pause
/// unless one of their groups would be left with fewer working agents than its `min_agents`.
/// Answers the first such group (by id), or `None` when leaving is fine.
pub fn left_uncovered(groups: &[Coverage]) -> Option<Uncovered> {
    groups
        .iter()
        .filter(|g| g.others_working < i64::from(g.min_agents))
        .min_by_key(|g| g.group_id)
        .map(|g| Uncovered {
            group_id: g.group_id,
            name: g.name.clone(),
            min_agents: g.min_agents,
            working_after: g.others_working,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ingest::MAX_ENTRY_POINT;
    use crate::domain::stage::Stage;

    fn traits(channel: &str, language: Option<&str>, entry: Option<&str>) -> TicketTraits {
        TicketTraits {
            stage: Stage::PreBooking,
            channel: Channel::parse(channel).unwrap(),
            language: language.map(str::to_string),
            listing_group: None,
            entry_point: entry.map(str::to_string),
            group: None,
        }
    }

    fn group(id: i64, rules: GroupRules) -> RoutingGroup {
        RoutingGroup {
            id: GroupId(id),
            rules,
            min_agents: 0,
            overflow: None,
        }
    }

    #[test]
    fn empty_rules_match_anything_and_listed_rules_need_a_known_value() {
        let any = GroupRules::default();
        assert!(any.matches(&traits("sms", None, None)));
        let spanish = GroupRules {
            languages: ["es".to_string()].into(),
            ..Default::default()
        };
        assert!(spanish.matches(&traits("sms", Some("es"), None)));
        assert!(!spanish.matches(&traits("sms", Some("en"), None)));
        assert!(!spanish.matches(&traits("sms", None, None)));
        let line = GroupRules {
            channels: [Channel::parse("sms").unwrap()].into(),
            entry_points: ["+34600000000".to_string()].into(),
            ..Default::default()
        };
        assert!(line.matches(&traits("sms", None, Some("+34600000000"))));
        assert!(!line.matches(&traits("sms", None, Some("+34600000001"))));
        assert!(!line.matches(&traits("email", None, Some("+34600000000"))));
    }

    #[test]
    fn the_first_matching_group_by_id_wins() {
        let spanish = GroupRules {
            languages: ["es".to_string()].into(),
            ..Default::default()
        };
        let groups = [group(7, GroupRules::default()), group(3, spanish)];
        assert_eq!(
            group_for(&groups, &traits("sms", Some("es"), None)),
            Some(GroupId(3))
        );
        assert_eq!(
            group_for(&groups, &traits("sms", Some("en"), None)),
            Some(GroupId(7))
        );
        assert_eq!(
            group_for(&groups[1..], &traits("sms", Some("en"), None)),
            None
        );
        assert_eq!(group_for(&[], &traits("sms", None, None)), None);
    }

    #[test]
    fn entry_points_and_rules_are_normalised() {
        assert_eq!(
            normalize_entry_point(" +34 600 000 000 ").unwrap(),
            "+34600000000"
        );
        assert_eq!(
            normalize_entry_point("Resorts@Example.COM").unwrap(),
            "resorts@example.com"
        );
        assert!(normalize_entry_point("  ").is_err());
        assert!(normalize_entry_point(&"x".repeat(MAX_ENTRY_POINT + 1)).is_err());
        let rules = GroupRules {
            languages: ["ES".to_string()].into(),
            entry_points: ["Desk@Example.com".to_string()].into(),
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert!(rules.languages.contains("es"));
        assert!(rules.entry_points.contains("desk@example.com"));
        assert!(GroupRules {
            listing_groups: ["".to_string()].into(),
            ..Default::default()
        }
        .validated()
        .is_err());
    }

    #[test]
    fn overflow_opens_after_its_delay() {
        let t0: DateTime<Utc> = "2026-05-01T09:00:00Z".parse().unwrap();
        let o = Overflow {
            group: GroupId(2),
            after: Duration::seconds(30),
        };
        assert_eq!(
            overflow_open(Some(&o), t0, t0 + Duration::seconds(29)),
            None
        );
        assert_eq!(
            overflow_open(Some(&o), t0, t0 + Duration::seconds(30)),
            Some(GroupId(2))
        );
        assert_eq!(overflow_open(None, t0, t0 + Duration::days(9)), None);
    }

    #[test]
    fn a_floor_is_kept_by_the_others_working() {
        let cov = |id: i64, min: i32, others: i64| Coverage {
            group_id: GroupId(id),
            name: format!("g{id}"),
            min_agents: min,
            others_working: others,
        };
        assert_eq!(left_uncovered(&[cov(1, 1, 1), cov(2, 0, 0)]), None);
        let refused = left_uncovered(&[cov(5, 2, 1), cov(4, 1, 0)]).unwrap();
        assert_eq!(refused.group_id, GroupId(4));
        assert_eq!(refused.working_after, 0);
    }
}
