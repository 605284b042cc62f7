//! Matching a guest across channels (issue 14's guest panel): the same person writes on
//! Airbnb, by e-mail and by SMS under three guest records; an e-mail address or a phone
//! number they share says it is one guest. This module says how an address and a number
//! are compared; no SQL.

/// Fewer digits than this are no phone number to match on (an extension, a typo).
pub const MIN_PHONE_DIGITS: usize = 6;

/// An e-mail address as compared: trimmed, lower case; `None` without an `@` in the middle.
pub fn email_key(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    match e.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Some(e),
        _ => None,
    }
}

/// A phone number as compared: its digits only (`+351 912-345 678` is `351912345678`);
/// `None` with fewer than [`MIN_PHONE_DIGITS`].
pub fn phone_key(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= MIN_PHONE_DIGITS).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_match_without_case_or_spaces() {
        assert_eq!(email_key(" Ana@Mail.PT "), Some("ana@mail.pt".into()));
        assert_eq!(email_key("ana"), None);
        assert_eq!(email_key("@mail.pt"), None);
        assert_eq!(email_key(""), None);
    }

    #[test]
    fn phones_match_by_their_digits() {
        assert_eq!(phone_key("+351 912-345 678"), Some("351912345678".into()));
        assert_eq!(phone_key("(351) 912345678"), phone_key("+351912345678"));
        assert_eq!(phone_key("12-34"), None);
    }

    proptest! {
        #[test]
        fn a_phone_key_is_digits_only(raw in "\\PC{0,30}") {
            if let Some(k) = phone_key(&raw) {
                prop_assert!(k.chars().all(|c| c.is_ascii_digit()) && k.len() >= MIN_PHONE_DIGITS);
            }
        }
    }
}
