//! Follow-ups (issue 14): an agent parks a ticket until a time, with a note; it leaves the
//! working tabs and the dispatcher's board, and comes back at that time to the same agent
//! (or through normal dispatching) with reason `follow_up`. This module says what a valid
//! follow-up is and when a parked ticket comes back; no clock, no SQL.

use chrono::{DateTime, Duration, Utc};

/// The longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// How far ahead a follow-up may be set.
pub const MAX_AHEAD_DAYS: i64 = 366;

/// Why a follow-up was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowUpError {
    #[error("`at` must lie in the future")]
    InPast,
    #[error("`at` must lie at most {} days ahead", MAX_AHEAD_DAYS)]
    TooFarAhead,
    #[error("the note must have at most {} characters", MAX_NOTE_CHARS)]
    NoteTooLong,
    #[error("the note must not contain the character U+0000")]
    NulInNote,
}

/// A follow-up as accepted: a time in the future and a trimmed note (possibly empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp<'a> {
    pub at: DateTime<Utc>,
    pub note: &'a str,
}

impl<'a> FollowUp<'a> {
    /// A follow-up as sent at `now`: `at` strictly after `now` and at most
    /// [`MAX_AHEAD_DAYS`] ahead; the note trimmed, at most [`MAX_NOTE_CHARS`], no U+0000.
    pub fn parse(
        at: DateTime<Utc>,
        note: &'a str,
        now: DateTime<Utc>,
    ) -> Result<FollowUp<'a>, FollowUpError> {
        if at <= now {
            return Err(FollowUpError::InPast);
        }
        if at > now + Duration::days(MAX_AHEAD_DAYS) {
            return Err(FollowUpError::TooFarAhead);
        }
        if note.contains('\0') {
            return Err(FollowUpError::NulInNote);
        }
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(FollowUpError::NoteTooLong);
        }
        Ok(FollowUp { at, note })
    }
}

/// Whether a parked ticket comes back now: its time has come, or the guest wrote after it
/// was parked (a guest who writes again is not left waiting until the follow-up time).
pub fn comes_back(
    at: DateTime<Utc>,
    set_at: DateTime<Utc>,
    awaiting_reply_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    at <= now || awaiting_reply_since.is_some_and(|since| since > set_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap()
    }

    #[test]
    fn a_follow_up_lies_in_the_future_and_not_too_far() {
        assert_eq!(FollowUp::parse(t(0), "x", t(0)), Err(FollowUpError::InPast));
        assert_eq!(
            FollowUp::parse(t(-1), "x", t(0)),
            Err(FollowUpError::InPast)
        );
        assert_eq!(
            FollowUp::parse(t(1), "  call back  ", t(0)),
            Ok(FollowUp {
                at: t(1),
                note: "call back"
            })
        );
        let far = t(0) + Duration::days(MAX_AHEAD_DAYS) + Duration::seconds(1);
        assert_eq!(
            FollowUp::parse(far, "", t(0)),
            Err(FollowUpError::TooFarAhead)
        );
    }

    #[test]
    fn notes_are_bounded_and_without_nul() {
        assert_eq!(
            FollowUp::parse(t(1), "a\0", t(0)),
            Err(FollowUpError::NulInNote)
        );
        assert!(FollowUp::parse(t(1), &"é".repeat(MAX_NOTE_CHARS), t(0)).is_ok());
        assert_eq!(
            FollowUp::parse(t(1), &"é".repeat(MAX_NOTE_CHARS + 1), t(0)),
            Err(FollowUpError::NoteTooLong)
        );
    }

    #[test]
    fn a_parked_ticket_comes_back_at_its_time_or_when_the_guest_writes() {
        assert!(!comes_back(t(10), t(0), None, t(9)));
        assert!(comes_back(t(10), t(0), None, t(10)));
        assert!(
            !comes_back(t(10), t(0), Some(t(-5)), t(5)),
            "waiting since before it was parked"
        );
        assert!(
            comes_back(t(10), t(0), Some(t(3)), t(5)),
            "the guest wrote after"
        );
    }

    proptest! {
        #[test]
        fn an_accepted_follow_up_is_ahead_of_now(offset in -100_000i64..100_000, now in 0i64..1_000) {
            let at = t(now) + Duration::seconds(offset);
            match FollowUp::parse(at, "n", t(now)) {
                Ok(f) => prop_assert!(f.at > t(now)),
                Err(e) => prop_assert_eq!(e, FollowUpError::InPast),
            }
        }
    }
}
