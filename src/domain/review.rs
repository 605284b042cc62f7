//! A guest's review of a stay as a channel delivers it (SPEC §9 `POST /ingest/reviews`),
//! parsed once at the edge: every score is a whole number from 1 to 5, the text is bounded,
//! the time is not in the future. Anything else is refused with a reason a bridge can act on.

use super::channel::Channel;
use super::ingest::{text, MAX_ID};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The longest review text accepted, in characters (channels allow about 1,000 words).
pub const MAX_TEXT: usize = 10_000;

/// `POST /ingest/reviews` as sent. Scores stay raw JSON here so that a missing, fractional or
/// quoted score is refused as a bad score rather than as malformed JSON.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,32}$", example = "airbnb")]
    pub channel: String,
    pub external_id: String,
    pub reservation_external_id: String,
    /// A whole number from 1 to 5 (required).
    #[serde(default)]
    #[schema(value_type = Option<u8>, minimum = 1, maximum = 5)]
    pub overall: Option<Value>,
    /// `communication`, `cleanliness`, `accuracy`, `location`, `value`: each 1 to 5.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, u8>>)]
    pub categories: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    pub text: Option<String>,
    pub submitted_at: DateTime<Utc>,
}

/// A score from 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Score(u8);

impl Score {
    /// The score as a number.
    pub fn get(self) -> i16 {
        i16::from(self.0)
    }

    /// A JSON integer from 1 to 5; anything else (a fraction, a string, 0, 6) is refused.
    pub fn parse(field: &str, raw: &Value) -> Result<Score, ReviewError> {
        match raw.as_u64() {
            Some(n @ 1..=5) => Ok(Score(n as u8)),
            _ => Err(ReviewError::InvalidScore(format!(
                "`{field}` must be a whole number from 1 to 5, not {raw}"
            ))),
        }
    }
}

/// The category scores a review may carry; each is optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Categories {
    pub communication: Option<Score>,
    pub cleanliness: Option<Score>,
    pub accuracy: Option<Score>,
    pub location: Option<Score>,
    pub value: Option<Score>,
}

/// The category names, in the order documented.
pub const CATEGORY_NAMES: [&str; 5] = [
    "communication",
    "cleanliness",
    "accuracy",
    "location",
    "value",
];

impl Categories {
    fn parse(raw: &BTreeMap<String, Value>) -> Result<Categories, ReviewError> {
        let mut out = Categories::default();
        for (name, value) in raw.iter().filter(|(_, v)| !v.is_null()) {
            let field = format!("categories.{name}");
            let slot = match name.as_str() {
                "communication" => &mut out.communication,
                "cleanliness" => &mut out.cleanliness,
                "accuracy" => &mut out.accuracy,
                "location" => &mut out.location,
                "value" => &mut out.value,
                _ => {
                    return Err(ReviewError::Invalid(format!(
                        "unknown category `{name}`; known: {}",
                        CATEGORY_NAMES.join(", ")
                    )))
                }
            };
            *slot = Some(Score::parse(&field, value)?);
        }
        Ok(out)
    }
}

/// A validated review.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub channel: Channel,
    pub external_id: String,
    pub reservation_external_id: String,
    pub overall: Score,
    pub categories: Categories,
    /// The guest's words, if any (blank text counts as none).
    pub text: Option<String>,
    pub submitted_at: DateTime<Utc>,
}

/// Why a review was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// A score is missing, not a whole number, or outside 1–5.
    #[error("{0}")]
    InvalidScore(String),
    /// The text is longer than [`MAX_TEXT`].
    #[error("`text` must have at most {} characters", MAX_TEXT)]
    TextTooLong,
    /// Any other field is wrong.
    #[error("{0}")]
    Invalid(String),
}

impl Review {
    /// Validates a review received at `now` (a `submitted_at` more than five minutes ahead is
    /// a clock error on the sender's side).
    pub fn parse(raw: &ReviewBody, now: DateTime<Utc>) -> Result<Review, ReviewError> {
        let overall = match &raw.overall {
            Some(v) if !v.is_null() => Score::parse("overall", v)?,
            _ => return Err(ReviewError::InvalidScore("`overall` is required".into())),
        };
        let categories = raw
            .categories
            .as_ref()
            .map(Categories::parse)
            .transpose()?
            .unwrap_or_default();
        let text_given = raw.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if text_given.is_some_and(|t| t.chars().count() > MAX_TEXT) {
            return Err(ReviewError::TextTooLong);
        }
        if raw.submitted_at > now + Duration::minutes(5) {
            return Err(ReviewError::Invalid(
                "`submitted_at` is in the future".into(),
            ));
        }
        Ok(Review {
            channel: Channel::parse(&raw.channel).map_err(ReviewError::Invalid)?,
            external_id: text("external_id", &raw.external_id, MAX_ID)
                .map_err(ReviewError::Invalid)?,
            reservation_external_id: text(
                "reservation_external_id",
                &raw.reservation_external_id,
                MAX_ID,
            )
            .map_err(ReviewError::Invalid)?,
            overall,
            categories,
            text: text_given.map(str::to_string),
            submitted_at: raw.submitted_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-05-01T10:00:00Z".parse().unwrap()
    }

    fn body(extra: Value) -> ReviewBody {
        let mut base = json!({
            "channel": "Airbnb", "external_id": "rev-1", "reservation_external_id": "r-1",
            "overall": 5, "categories": {"communication": 4, "value": null},
            "text": "  Lovely stay  ", "submitted_at": "2026-05-01T09:00:00Z"
        });
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn a_good_review_is_normalised() {
        let r = Review::parse(&body(json!({})), now()).unwrap();
        assert_eq!(r.channel.as_str(), "airbnb");
        assert_eq!(r.overall.get(), 5);
        assert_eq!(r.categories.communication.map(Score::get), Some(4));
        assert_eq!(r.categories.value, None, "null is the same as absent");
        assert_eq!(r.text.as_deref(), Some("Lovely stay"));
        let blank = Review::parse(&body(json!({"text": "   "})), now()).unwrap();
        assert_eq!(blank.text, None);
    }

    #[test]
    fn bad_reviews_are_refused_with_their_reason() {
        let score = |m: &str| ReviewError::InvalidScore(m.into());
        for (extra, expected) in [
            (json!({"overall": null}), score("`overall` is required")),
            (
                json!({"overall": 0}),
                score("`overall` must be a whole number from 1 to 5, not 0"),
            ),
            (
                json!({"overall": 4.5}),
                score("`overall` must be a whole number from 1 to 5, not 4.5"),
            ),
            (
                json!({"overall": "5"}),
                score("`overall` must be a whole number from 1 to 5, not \"5\""),
            ),
            (
                json!({"categories": {"cleanliness": 6}}),
                score("`categories.cleanliness` must be a whole number from 1 to 5, not 6"),
            ),
            (
                json!({"text": "x".repeat(MAX_TEXT + 1)}),
                ReviewError::TextTooLong,
            ),
        ] {
            assert_eq!(
                Review::parse(&body(extra.clone()), now()).unwrap_err(),
                expected,
                "{extra}"
            );
        }
        for (extra, needle) in [
            (json!({"categories": {"check_in": 5}}), "unknown category"),
            (json!({"channel": "pigeon post"}), "channel"),
            (json!({"external_id": " "}), "external_id"),
            (json!({"submitted_at": "2026-05-01T11:00:00Z"}), "future"),
        ] {
            let err = Review::parse(&body(extra.clone()), now()).unwrap_err();
            assert!(
                matches!(&err, ReviewError::Invalid(m) if m.contains(needle)),
                "{extra}: {err:?}"
            );
        }
        let missing: ReviewBody = serde_json::from_value(json!({
            "channel": "airbnb", "external_id": "x", "reservation_external_id": "r",
            "submitted_at": "2026-05-01T09:00:00Z"
        }))
        .unwrap();
        assert!(matches!(
            Review::parse(&missing, now()),
            Err(ReviewError::InvalidScore(_))
        ));
    }

    proptest! {
        #[test]
        fn only_whole_numbers_from_one_to_five_are_scores(n in -20i64..20) {
            let parsed = Score::parse("overall", &json!(n));
            prop_assert_eq!(parsed.is_ok(), (1..=5).contains(&n));
            if let Ok(score) = parsed {
                prop_assert_eq!(i64::from(score.get()), n);
            }
        }

        #[test]
        fn text_up_to_the_limit_is_kept_and_longer_is_refused(len in 1usize..(MAX_TEXT + 50)) {
            let parsed = Review::parse(&body(json!({"text": "é".repeat(len)})), now());
            prop_assert_eq!(parsed.is_ok(), len <= MAX_TEXT);
        }
    }
}
