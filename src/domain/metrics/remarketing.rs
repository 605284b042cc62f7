//! Remarketing, as the CRM counts it (issue 14's sales KPIs): an agent writing again to a
//! guest whose inquiry did not book, after the guest has gone quiet for more than a day, and
//! whether that guest booked afterwards. `store::reports::remarketing` says the same rule in
//! SQL over a period; this is the one statement of it, tested without a database.

use chrono::{DateTime, TimeDelta, Utc};

/// How long the guest must have been silent before an agent's message is a new try.
pub const QUIET_FOR: TimeDelta = TimeDelta::hours(24);

/// What decides whether an agent's message to a guest is a remarketing try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryFacts {
    /// When the agent's message was sent.
    pub sent_at: DateTime<Utc>,
    /// The guest's newest message on the conversation at or before it (`None`: none).
    pub guest_last_wrote: Option<DateTime<Utc>>,
    /// The conversation's reservation was an inquiry or a request at or before it.
    pub asked: bool,
    /// When that reservation was confirmed, if ever.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// A remarketing try: a message from an agent to a guest who asked (an inquiry or request)
/// and had not booked when it was sent, more than [`QUIET_FOR`] after the guest's last
/// message. A guest who never wrote is no one to win back; a booked one is no longer asking.
pub fn is_try(t: &TryFacts) -> bool {
    let not_booked_yet = t.confirmed_at.is_none_or(|c| c > t.sent_at);
    let quiet = t
        .guest_last_wrote
        .is_some_and(|g| t.sent_at - g > QUIET_FOR);
    t.asked && not_booked_yet && quiet
}

/// The try's guest booked afterwards: the reservation was confirmed after the try (by the
/// time the report is made). A try is never one whose guest had booked, so any confirmation
/// of a try's reservation is after it.
pub fn booked_after(t: &TryFacts) -> bool {
    is_try(t) && t.confirmed_at.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::hours(hours)
    }

    fn reply_after(quiet_hours: i64) -> TryFacts {
        TryFacts {
            sent_at: at(quiet_hours),
            guest_last_wrote: Some(at(0)),
            asked: true,
            confirmed_at: None,
        }
    }

    #[test]
    fn a_message_after_more_than_a_day_of_silence_to_an_unbooked_inquiry_is_a_try() {
        assert!(is_try(&reply_after(25)));
        assert!(!is_try(&reply_after(24)), "exactly a day is not more");
        assert!(!is_try(&reply_after(2)), "answering a guest is no try");
        let quiet = TryFacts {
            sent_at: at(24) + TimeDelta::seconds(1),
            ..reply_after(0)
        };
        assert!(is_try(&quiet));
    }

    #[test]
    fn booked_guests_guests_who_never_asked_or_never_wrote_are_not_tried() {
        let booked_before = TryFacts {
            confirmed_at: Some(at(10)),
            ..reply_after(30)
        };
        assert!(!is_try(&booked_before));
        let booked_same_moment = TryFacts {
            confirmed_at: Some(at(30)),
            ..reply_after(30)
        };
        assert!(!is_try(&booked_same_moment));
        assert!(!is_try(&TryFacts {
            asked: false,
            ..reply_after(30)
        }));
        assert!(!is_try(&TryFacts {
            guest_last_wrote: None,
            ..reply_after(30)
        }));
    }

    #[test]
    fn a_try_counts_as_booked_when_the_reservation_is_confirmed_after_it() {
        assert!(!booked_after(&reply_after(30)));
        assert!(booked_after(&TryFacts {
            confirmed_at: Some(at(31)),
            ..reply_after(30)
        }));
        // No try, no booking credited to one.
        assert!(!booked_after(&TryFacts {
            confirmed_at: Some(at(31)),
            ..reply_after(3)
        }));
    }
}
