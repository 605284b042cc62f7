//! The agent card (SPEC §1): which tickets an agent takes. An empty set means "any".

use super::channel::Channel;
use super::ids::GroupId;
use super::stage::Stage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What the dispatcher needs to know of a ticket to match it against cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketTraits {
    pub stage: Stage,
    pub channel: Channel,
    /// The guest's language, when known (lowercase ISO 639-1 such as `en`).
    pub language: Option<String>,
    /// The listing's group, when the ticket has a listing in a group.
    pub listing_group: Option<String>,
    /// The channel's inbound address the guest wrote to, when the bridge says it.
    #[serde(default)]
    pub entry_point: Option<String>,
    /// The routing group the ticket was routed to when it was opened (`domain::routing`):
    /// only agents whose card lists it take the ticket.
    #[serde(default)]
    pub group: Option<GroupId>,
}

/// A trait of a ticket that an agent's card does not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mismatch {
    Stage,
    Channel,
    Language,
    ListingGroup,
    /// The ticket is in a routing group the card does not list.
    Group,
}

impl Mismatch {
    /// Every trait a card filters on, cheapest test first.
    pub const ALL: [Mismatch; 5] = [
        Mismatch::Stage,
        Mismatch::Channel,
        Mismatch::Group,
        Mismatch::Language,
        Mismatch::ListingGroup,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mismatch::Stage => "stage",
            Mismatch::Channel => "channel",
            Mismatch::Language => "language",
            Mismatch::ListingGroup => "listing_group",
            Mismatch::Group => "group",
        }
    }
}

/// The stages, channels, languages and listing groups an agent takes, and their cap.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentCard {
    #[serde(default)]
    pub stages: BTreeSet<Stage>,
    #[serde(default)]
    pub channels: BTreeSet<Channel>,
    #[serde(default)]
    pub languages: BTreeSet<String>,
    #[serde(default)]
    pub listing_groups: BTreeSet<String>,
    /// At most this many active (assigned + opened + pending) tickets; `None` is no cap.
    #[serde(default)]
    pub max_active: Option<i32>,
    /// The routing groups the agent belongs to. Unlike the other sets, empty is not "any":
    /// a ticket in a group goes only to agents who list it (an account without groups has
    /// no such tickets).
    #[serde(default)]
    pub groups: BTreeSet<GroupId>,
}

impl AgentCard {
    /// Whether the card takes a ticket with these traits (the cap is checked by the dispatcher).
    ///
    /// A language or listing-group filter only excludes a ticket whose value is known and
    /// different: a guest whose language we do not know still needs an answer.
    pub fn matches(&self, t: &TicketTraits) -> bool {
        Mismatch::ALL.iter().all(|&trait_| self.takes(trait_, t))
    }

    /// Whether the card takes the ticket as a member of `group` instead of the ticket's own
    /// group (a ticket that overflowed to another group's agents).
    pub fn matches_in(&self, t: &TicketTraits, group: GroupId) -> bool {
        self.groups.contains(&group)
            && Mismatch::ALL
                .iter()
                .filter(|&&trait_| trait_ != Mismatch::Group)
                .all(|&trait_| self.takes(trait_, t))
    }

    /// What the card does not take of a ticket with these traits (empty when it matches): a
    /// manager's assignment against the card is refused with these.
    pub fn mismatches(&self, t: &TicketTraits) -> Vec<Mismatch> {
        Mismatch::ALL
            .iter()
            .copied()
            .filter(|&trait_| !self.takes(trait_, t))
            .collect()
    }

    /// Whether the card takes the ticket's value of one trait.
    fn takes(&self, trait_: Mismatch, t: &TicketTraits) -> bool {
        fn any_or<T: Ord>(set: &BTreeSet<T>, v: &T) -> bool {
            set.is_empty() || set.contains(v)
        }
        fn any_or_unknown(set: &BTreeSet<String>, v: &Option<String>) -> bool {
            match v {
                Some(v) => set.is_empty() || set.contains(v),
                None => true,
            }
        }
        match trait_ {
            Mismatch::Stage => any_or(&self.stages, &t.stage),
            Mismatch::Channel => any_or(&self.channels, &t.channel),
            Mismatch::Language => any_or_unknown(&self.languages, &t.language),
            Mismatch::ListingGroup => any_or_unknown(&self.listing_groups, &t.listing_group),
            Mismatch::Group => t.group.is_none_or(|g| self.groups.contains(&g)),
        }
    }

    /// Normalises and checks a card from the API: languages lowercase 2–8 letters, groups
    /// non-empty and short, a positive cap.
    pub fn validated(mut self) -> Result<AgentCard, String> {
        self.languages = self
            .languages
            .into_iter()
            .map(|l| normalize_language(&l))
            .collect::<Result<_, _>>()?;
        self.listing_groups = self
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
            .collect::<Result<_, _>>()?;
        if let Some(cap) = self.max_active {
            if !(1..=10_000).contains(&cap) {
                return Err("max_active must be between 1 and 10000, or null for no cap".into());
            }
        }
        Ok(self)
    }
}

/// Lowercases a language tag and checks it is 2–8 ASCII letters (`en`, `pt`, `fil`).
pub fn normalize_language(raw: &str) -> Result<String, String> {
    let tag = raw.trim().to_ascii_lowercase();
    if (2..=8).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(tag)
    } else {
        Err(format!(
            "`{raw}` is not a language code such as `en` or `pt`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traits(stage: Stage, channel: &str, language: Option<&str>) -> TicketTraits {
        TicketTraits {
            stage,
            channel: Channel::parse(channel).unwrap(),
            language: language.map(str::to_string),
            listing_group: None,
            entry_point: None,
            group: None,
        }
    }

    #[test]
    fn empty_sets_mean_any() {
        let card = AgentCard::default();
        assert!(card.matches(&traits(Stage::Staying, "sms", Some("de"))));
    }

    #[test]
    fn every_dimension_filters() {
        let card = AgentCard {
            stages: [Stage::PreBooking].into(),
            channels: [Channel::parse("airbnb").unwrap()].into(),
            languages: ["en".to_string()].into(),
            ..Default::default()
        };
        assert!(card.matches(&traits(Stage::PreBooking, "airbnb", Some("en"))));
        assert!(card.matches(&traits(Stage::PreBooking, "airbnb", None)));
        assert!(!card.matches(&traits(Stage::Booked, "airbnb", Some("en"))));
        assert!(!card.matches(&traits(Stage::PreBooking, "vrbo", Some("en"))));
        assert!(!card.matches(&traits(Stage::PreBooking, "airbnb", Some("fr"))));
    }

    #[test]
    fn a_ticket_in_a_group_needs_a_card_that_lists_it() {
        let grouped = TicketTraits {
            group: Some(GroupId(3)),
            ..traits(Stage::Booked, "sms", None)
        };
        let anyone = AgentCard::default();
        assert!(anyone.matches(&traits(Stage::Booked, "sms", None)));
        assert_eq!(anyone.mismatches(&grouped), vec![Mismatch::Group]);
        let member = AgentCard {
            groups: [GroupId(3)].into(),
            ..Default::default()
        };
        assert!(member.matches(&grouped));
        assert!(member.matches(&traits(Stage::Booked, "sms", None)));
    }

    #[test]
    fn validation_normalises_and_refuses() {
        let card = AgentCard {
            languages: ["EN".to_string()].into(),
            ..Default::default()
        };
        assert_eq!(
            card.validated().unwrap().languages,
            ["en".to_string()].into()
        );
        assert!(AgentCard {
            max_active: Some(0),
            ..Default::default()
        }
        .validated()
        .is_err());
        assert!(AgentCard {
            languages: ["e1".to_string()].into(),
            ..Default::default()
        }
        .validated()
        .is_err());
    }
}
