//! A booking channel (`airbnb`, `booking`, `vrbo`, `direct`, `email`, `sms`, …).
//!
//! Channels are open-ended lowercase slugs rather than a closed enum: operators connect new
//! channels without a release. A `Channel` is always a valid slug once parsed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A validated channel slug: 1–32 characters of `a-z`, `0-9`, `_`, `-`, `.`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(example = "airbnb")]
pub struct Channel(String);

impl Channel {
    /// Parses a channel name, folding it to lowercase (`"Airbnb"` is `airbnb`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let slug = raw.trim().to_ascii_lowercase();
        let valid = !slug.is_empty()
            && slug.len() <= 32
            && slug.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
            });
        if valid {
            Ok(Self(slug))
        } else {
            Err(format!(
                "`{raw}` is not a channel name (1-32 letters, digits, `_`, `-` or `.`)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Channel {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<Channel> for String {
    fn from(c: Channel) -> String {
        c.0
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Channel;
    use proptest::prelude::*;

    #[test]
    fn folds_case_and_refuses_junk() {
        assert_eq!(Channel::parse("Airbnb").unwrap().as_str(), "airbnb");
        assert_eq!(
            Channel::parse("booking.com").unwrap().as_str(),
            "booking.com"
        );
        for bad in ["", " ", "a b", "émail", &"x".repeat(33), "sms;drop"] {
            assert!(Channel::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    proptest! {
        #[test]
        fn a_parsed_channel_parses_again_to_itself(raw in "[A-Za-z0-9_.-]{1,32}") {
            let once = Channel::parse(&raw).unwrap();
            prop_assert_eq!(Channel::parse(once.as_str()).unwrap(), once);
        }
    }
}
