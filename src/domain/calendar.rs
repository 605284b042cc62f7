//! A listing's booking calendar and overbookings (issue 14): when two stays overlap, and which
//! span of days a calendar may show. Stays are half-open night ranges [check-in, check-out):
//! one guest leaving on the day the next arrives is no overlap. No clock, no SQL; the store
//! says the same overlap rule in SQL for the `overbooking` view.

use chrono::NaiveDate;

/// The longest span a calendar shows, in days.
pub const MAX_SPAN_DAYS: i64 = 366;

/// The nights a reservation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stay {
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
}

impl Stay {
    /// Whether the two stays share a night.
    pub fn overlaps(&self, other: &Stay) -> bool {
        self.check_in < other.check_out && other.check_in < self.check_out
    }
}

/// For each stay, whether it shares a night with another of the list (an overbooking).
pub fn overlapping(stays: &[Stay]) -> Vec<bool> {
    stays
        .iter()
        .enumerate()
        .map(|(i, a)| {
            stays
                .iter()
                .enumerate()
                .any(|(j, b)| i != j && a.overlaps(b))
        })
        .collect()
}

/// Why a calendar's range was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("`{0}` must be a date, YYYY-MM-DD")]
    NotADate(&'static str),
    #[error("`to` must come after `from`")]
    Backwards,
    #[error("a calendar shows at most {} days", MAX_SPAN_DAYS)]
    TooLong,
}

/// The days [from, to) a calendar shows, as sent: two dates, `to` after `from`, at most
/// [`MAX_SPAN_DAYS`] apart.
pub fn range(from: &str, to: &str) -> Result<(NaiveDate, NaiveDate), RangeError> {
    let date = |raw: &str, name| {
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| RangeError::NotADate(name))
    };
    let (from, to) = (date(from, "from")?, date(to, "to")?);
    if to <= from {
        return Err(RangeError::Backwards);
    }
    if (to - from).num_days() > MAX_SPAN_DAYS {
        return Err(RangeError::TooLong);
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, day).unwrap()
    }

    fn stay(a: u32, b: u32) -> Stay {
        Stay {
            check_in: d(a),
            check_out: d(b),
        }
    }

    #[test]
    fn stays_overlap_when_they_share_a_night_not_a_changeover_day() {
        assert!(stay(10, 14).overlaps(&stay(13, 16)));
        assert!(stay(10, 14).overlaps(&stay(11, 12)), "inside");
        assert!(!stay(10, 14).overlaps(&stay(14, 16)), "changeover day");
        assert!(!stay(10, 14).overlaps(&stay(1, 10)));
        assert_eq!(
            overlapping(&[stay(1, 5), stay(5, 8), stay(7, 9), stay(20, 22)]),
            vec![false, true, true, false]
        );
    }

    #[test]
    fn a_range_is_two_dates_in_order_and_not_too_long() {
        assert_eq!(range("2026-06-01", "2026-06-29"), Ok((d(1), d(29))));
        assert_eq!(
            range("2026-06-01", "2026-06-01"),
            Err(RangeError::Backwards)
        );
        assert_eq!(
            range("June", "2026-06-01"),
            Err(RangeError::NotADate("from"))
        );
        assert_eq!(range("2026-06-01", ""), Err(RangeError::NotADate("to")));
        assert_eq!(range("2026-01-01", "2027-06-01"), Err(RangeError::TooLong));
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric(a in 1u32..28, la in 1u32..3, b in 1u32..28, lb in 1u32..3) {
            let (x, y) = (stay(a, a + la), stay(b, b + lb));
            prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
        }
    }
}
