//! Reply templates: bodies with `{{placeholder}}`s, one body per language.
//!
//! Only known placeholders are accepted, so a typo is refused when the template is saved
//! rather than shown to a guest. A placeholder without a value renders as nothing... except
//! the guest's name, which falls back to "there" ("Hi {{guest_name}}" → "Hi there").

use super::card::normalize_language;
use super::guest_dates::long_date;
use std::collections::BTreeMap;

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 6] = [
    "guest_name",
    "check_in",
    "check_out",
    "listing",
    "agent_name",
    "reservation_id",
];

/// The names of the placeholders in `body`, in order; an unknown or unclosed one is an error.
pub fn placeholders(body: &str) -> Result<Vec<&str>, String> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or("a `{{` placeholder is not closed with `}}`")?;
        let name = after[..end].trim();
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "`{{{{{name}}}}}` is not a known placeholder ({})",
                PLACEHOLDERS.join(", ")
            ));
        }
        found.push(name);
        rest = &after[end + 2..];
    }
    Ok(found)
}

/// Fills the placeholders of a body that [`placeholders`] accepted.
pub fn render(body: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        match values.get(name).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(v),
            None if name == "guest_name" => out.push_str("there"),
            None => {}
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The variant for the guest's language, else English, else the first one.
pub fn pick_variant<'a>(
    variants: &'a [(String, String)],
    language: Option<&str>,
) -> Option<&'a (String, String)> {
    let wanted = language.and_then(|l| normalize_language(l).ok());
    wanted
        .and_then(|w| variants.iter().find(|(lang, _)| *lang == w))
        .or_else(|| variants.iter().find(|(lang, _)| lang == "en"))
        .or_else(|| variants.first())
}

/// What a ticket can fill a template with.
#[derive(Debug, Clone, Default)]
pub struct Fill<'a> {
    pub guest_name: &'a str,
    pub check_in: Option<chrono::NaiveDate>,
    pub check_out: Option<chrono::NaiveDate>,
    pub listing: Option<&'a str>,
    pub agent_name: &'a str,
    pub reservation_id: Option<&'a str>,
}

impl Fill<'_> {
    /// The placeholder values for a text in `language` (the variant's): dates are written the
    /// way that language writes them ("12 de março de 2026").
    pub fn values(&self, language: &str) -> BTreeMap<String, String> {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| long_date(d, language));
        [
            ("guest_name", Some(self.guest_name.to_string())),
            ("check_in", date(self.check_in)),
            ("check_out", date(self.check_out)),
            ("listing", self.listing.map(str::to_string)),
            ("agent_name", Some(self.agent_name.to_string())),
            ("reservation_id", self.reservation_id.map(str::to_string)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_placeholders_render_and_unknown_ones_are_refused() {
        let body = "Hi {{guest_name}}, check-in at {{ listing }} on {{check_in}}.";
        assert_eq!(
            placeholders(body).unwrap(),
            vec!["guest_name", "listing", "check_in"]
        );
        let values: BTreeMap<String, String> =
            [("listing".to_string(), "Alfama Loft".to_string())].into();
        assert_eq!(
            render(body, &values),
            "Hi there, check-in at Alfama Loft on ."
        );
        assert!(placeholders("Hello {{guest}}")
            .unwrap_err()
            .contains("guest"));
        assert!(placeholders("Hello {{guest_name").is_err());
    }

    #[test]
    fn variants_follow_the_guest_language() {
        let v = vec![
            ("pt".to_string(), "Olá".to_string()),
            ("en".to_string(), "Hello".to_string()),
        ];
        assert_eq!(pick_variant(&v, Some("PT")).unwrap().1, "Olá");
        assert_eq!(pick_variant(&v, Some("de")).unwrap().1, "Hello");
        assert_eq!(pick_variant(&v, None).unwrap().1, "Hello");
        assert!(pick_variant(&[], Some("en")).is_none());
    }

    proptest! {
        #[test]
        fn a_body_without_placeholders_renders_as_itself(body in "[^{}]*") {
            prop_assert_eq!(render(&body, &BTreeMap::new()), body.clone());
            prop_assert!(placeholders(&body).unwrap().is_empty());
        }
    }

    #[test]
    fn a_ticket_fills_every_placeholder() {
        let fill = Fill {
            guest_name: "Ana",
            check_in: chrono::NaiveDate::from_ymd_opt(2026, 3, 12),
            check_out: None,
            listing: Some("Alfama Loft"),
            agent_name: "Rui",
            reservation_id: Some("r-1"),
        };
        let body = "Olá {{guest_name}}, {{check_in}}–{{check_out}} em {{listing}} ({{reservation_id}}). {{agent_name}}";
        assert_eq!(
            render(body, &fill.values("pt")),
            "Olá Ana, 12 de março de 2026– em Alfama Loft (r-1). Rui"
        );
        for name in PLACEHOLDERS {
            assert!(
                ["check_out"].contains(&name) || fill.values("pt").contains_key(name),
                "{name}"
            );
        }
    }
}
