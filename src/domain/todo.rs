//! To-dos on a ticket and the ticket's mood (issue 14): what a to-do's title and kind may be,
//! what a mood is, and which tickets the guest views (`todos`, `waiting_refunds`,
//! `awaiting_payment`, `staying_unhappy`) hold. The store turns the same rules into SQL; the
//! functions here say them once in Rust so they can be tested without a database.

use super::ids::UserId;
use super::stage::ReservationStatus;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest to-do title accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// What a to-do is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TodoKind {
    /// Money to give back: the ticket shows in `waiting_refunds` while it is open.
    Refund,
    FollowUp,
    Task,
}

impl TodoKind {
    pub const ALL: [TodoKind; 3] = [TodoKind::Refund, TodoKind::FollowUp, TodoKind::Task];

    pub fn as_str(self) -> &'static str {
        match self {
            TodoKind::Refund => "refund",
            TodoKind::FollowUp => "follow_up",
            TodoKind::Task => "task",
        }
    }

    pub fn parse(raw: &str) -> Result<TodoKind, TodoError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or(TodoError::UnknownKind)
    }
}

/// Why a to-do or a mood was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TodoError {
    #[error("the title must not be empty")]
    EmptyTitle,
    #[error("the title must have at most {} characters", MAX_TITLE_CHARS)]
    TitleTooLong,
    #[error("the title must not contain the character U+0000")]
    NulInTitle,
    #[error("`kind` must be refund, follow_up or task")]
    UnknownKind,
    #[error("`due_at` must lie between the years 1970 and 9999")]
    DueAtOutOfRange,
    #[error("`mood` must be a whole number from 1 to 5")]
    InvalidMood,
}

/// The to-do's title, trimmed: 1–[`MAX_TITLE_CHARS`] characters, no U+0000.
pub fn todo_title(raw: &str) -> Result<&str, TodoError> {
    if raw.contains('\0') {
        return Err(TodoError::NulInTitle);
    }
    let title = raw.trim();
    if title.is_empty() {
        return Err(TodoError::EmptyTitle);
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(TodoError::TitleTooLong);
    }
    Ok(title)
}

/// A ticket's mood, the guest's "fun level": 1 (furious) to 5 (delighted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Mood(u8);

/// A mood of this value or lower, while the guest is staying, puts the ticket in
/// `staying_unhappy`.
pub const UNHAPPY_AT_MOST: Mood = Mood(3);

impl Mood {
    /// A mood as sent: a whole number from 1 to 5.
    pub fn parse(raw: i64) -> Result<Mood, TodoError> {
        match raw {
            1..=5 => Ok(Mood(raw as u8)),
            _ => Err(TodoError::InvalidMood),
        }
    }

    pub fn value(self) -> i16 {
        i16::from(self.0)
    }
}

/// The payment statuses SPEC §9 names that are "not complete".
pub const UNPAID: [&str; 2] = ["pending", "partial"];

/// What decides whether a ticket is in a guest view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuestFacts {
    pub assignee: Option<UserId>,
    /// Kinds and authors of the ticket's open (not done) to-dos.
    pub open_todos: Vec<(TodoKind, UserId)>,
    pub reservation_status: Option<ReservationStatus>,
    pub payment_status: Option<String>,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
    pub mood: Option<Mood>,
}

/// "My to-dos": an open to-do on a ticket assigned to `me`, or an open to-do `me` created.
pub fn in_my_todos(t: &GuestFacts, me: UserId) -> bool {
    !t.open_todos.is_empty()
        && (t.assignee == Some(me) || t.open_todos.iter().any(|(_, by)| *by == me))
}

/// An open to-do whose due time has passed: the agent's to-do list draws it red.
pub fn is_overdue(
    done: bool,
    due_at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    !done && due_at.is_some_and(|due| due < now)
}

/// `waiting_refunds`: an open to-do of kind refund.
pub fn waiting_refund(t: &GuestFacts) -> bool {
    t.open_todos.iter().any(|(k, _)| *k == TodoKind::Refund)
}

/// `awaiting_payment`: a confirmed reservation whose payment is pending or partial.
pub fn awaiting_payment(t: &GuestFacts) -> bool {
    t.reservation_status == Some(ReservationStatus::Confirmed)
        && t.payment_status
            .as_deref()
            .is_some_and(|p| UNPAID.contains(&p.to_ascii_lowercase().as_str()))
}

/// `recently_confirmed`: the reservation is confirmed, was an inquiry or a request before
/// (`asked_first`), and was confirmed no more than `days` days before `now`.
pub fn recently_confirmed(
    status: Option<ReservationStatus>,
    confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
    asked_first: bool,
    now: chrono::DateTime<chrono::Utc>,
    days: i32,
) -> bool {
    status == Some(ReservationStatus::Confirmed)
        && asked_first
        && confirmed_at.is_some_and(|at| at >= now - chrono::Duration::days(i64::from(days)))
}

/// `staying_unhappy`: check-in ≤ `today` < check-out (today in the account's timezone) and a
/// mood of 3 or lower. A cancelled reservation is no stay.
pub fn staying_unhappy(t: &GuestFacts, today: NaiveDate) -> bool {
    let staying = matches!((t.check_in, t.check_out), (Some(i), Some(o)) if i <= today && today < o)
        && t.reservation_status != Some(ReservationStatus::Cancelled);
    staying && t.mood.is_some_and(|m| m <= UNHAPPY_AT_MOST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, day).unwrap()
    }

    #[test]
    fn titles_are_trimmed_bounded_and_without_nul() {
        assert_eq!(
            todo_title("  refund the deposit "),
            Ok("refund the deposit")
        );
        assert_eq!(todo_title("   "), Err(TodoError::EmptyTitle));
        assert_eq!(todo_title("a\0b"), Err(TodoError::NulInTitle));
        assert!(todo_title(&"é".repeat(MAX_TITLE_CHARS)).is_ok());
        assert_eq!(
            todo_title(&"é".repeat(MAX_TITLE_CHARS + 1)),
            Err(TodoError::TitleTooLong)
        );
    }

    #[test]
    fn kinds_parse_by_their_wire_names_only() {
        for k in TodoKind::ALL {
            assert_eq!(TodoKind::parse(k.as_str()), Ok(k));
        }
        assert_eq!(TodoKind::parse("Refund"), Err(TodoError::UnknownKind));
        assert_eq!(TodoKind::parse("chore"), Err(TodoError::UnknownKind));
    }

    #[test]
    fn moods_are_one_to_five() {
        assert_eq!(Mood::parse(0), Err(TodoError::InvalidMood));
        assert_eq!(Mood::parse(6), Err(TodoError::InvalidMood));
        assert_eq!(Mood::parse(3).map(Mood::value), Ok(3));
    }

    #[test]
    fn my_todos_are_on_my_tickets_or_written_by_me() {
        let me = UserId(7);
        let mut t = GuestFacts {
            assignee: Some(me),
            ..Default::default()
        };
        assert!(!in_my_todos(&t, me), "no open to-do, not in the view");
        t.open_todos = vec![(TodoKind::Task, UserId(9))];
        assert!(in_my_todos(&t, me));
        t.assignee = Some(UserId(9));
        assert!(!in_my_todos(&t, me));
        t.open_todos.push((TodoKind::Task, me));
        assert!(in_my_todos(&t, me));
    }

    #[test]
    fn only_an_open_to_do_past_its_due_time_is_overdue() {
        let now = chrono::Utc::now();
        let past = Some(now - chrono::TimeDelta::minutes(1));
        let future = Some(now + chrono::TimeDelta::minutes(1));
        assert!(is_overdue(false, past, now));
        assert!(!is_overdue(true, past, now));
        assert!(!is_overdue(false, future, now));
        assert!(!is_overdue(false, Some(now), now));
        assert!(!is_overdue(false, None, now));
    }

    #[test]
    fn refunds_and_payments() {
        let mut t = GuestFacts {
            open_todos: vec![(TodoKind::Task, UserId(1))],
            ..Default::default()
        };
        assert!(!waiting_refund(&t));
        t.open_todos.push((TodoKind::Refund, UserId(1)));
        assert!(waiting_refund(&t));

        t.reservation_status = Some(ReservationStatus::Confirmed);
        for (paid, waiting) in [
            (None, false),
            (Some("pending"), true),
            (Some("Partial"), true),
            (Some("paid"), false),
            (Some("refunded"), false),
        ] {
            t.payment_status = paid.map(str::to_string);
            assert_eq!(awaiting_payment(&t), waiting, "{paid:?}");
        }
        t.payment_status = Some("pending".into());
        t.reservation_status = Some(ReservationStatus::Inquiry);
        assert!(!awaiting_payment(&t), "an inquiry owes nothing yet");
    }

    #[test]
    fn recently_confirmed_means_asked_first_and_confirmed_within_the_window() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ago = |d: i64| Some(now - chrono::Duration::days(d));
        let confirmed = Some(ReservationStatus::Confirmed);
        assert!(recently_confirmed(confirmed, ago(7), true, now, 7));
        assert!(!recently_confirmed(confirmed, ago(8), true, now, 7));
        assert!(recently_confirmed(confirmed, ago(8), true, now, 10));
        assert!(
            !recently_confirmed(confirmed, ago(1), false, now, 7),
            "booked outright"
        );
        let cancelled = Some(ReservationStatus::Cancelled);
        assert!(!recently_confirmed(cancelled, ago(1), true, now, 7));
        assert!(!recently_confirmed(confirmed, None, true, now, 7));
    }

    #[test]
    fn unhappy_while_staying_from_check_in_to_the_day_before_check_out() {
        let mut t = GuestFacts {
            reservation_status: Some(ReservationStatus::Confirmed),
            check_in: Some(d(10)),
            check_out: Some(d(12)),
            mood: Some(Mood(3)),
            ..Default::default()
        };
        assert!(!staying_unhappy(&t, d(9)));
        assert!(staying_unhappy(&t, d(10)));
        assert!(staying_unhappy(&t, d(11)));
        assert!(!staying_unhappy(&t, d(12)), "gone on the check-out day");
        t.mood = Some(Mood(4));
        assert!(!staying_unhappy(&t, d(11)));
        t.mood = None;
        assert!(!staying_unhappy(&t, d(11)));
    }

    proptest! {
        #[test]
        fn any_title_is_refused_or_kept_trimmed_and_bounded(raw in "\\PC{0,250}") {
            match todo_title(&raw) {
                Ok(t) => {
                    prop_assert_eq!(t, raw.trim());
                    prop_assert!(!t.is_empty() && t.chars().count() <= MAX_TITLE_CHARS);
                }
                Err(_) => prop_assert!(raw.trim().is_empty() || raw.trim().chars().count() > MAX_TITLE_CHARS || raw.contains('\0')),
            }
        }
    }
}
