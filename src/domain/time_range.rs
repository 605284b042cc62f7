//! The times and dates the API accepts. PostgreSQL stores 4713 BC to 294276 AD and chrono
//! parses far beyond either end, so a year the database cannot hold would fail deep inside a
//! statement; and nothing a guest desk deals with (a message, a stay, a report period) lies
//! before 1970 or after 9999. Every time or date taken from a client passes through here, so a
//! sender's mistake is refused at the edge with the field named.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// The first year accepted.
pub const EARLIEST_YEAR: i32 = 1970;
/// The last year accepted.
pub const LATEST_YEAR: i32 = 9999;

fn year_in_range(field: &str, year: i32) -> Result<(), String> {
    if (EARLIEST_YEAR..=LATEST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(format!(
            "`{field}` must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}"
        ))
    }
}

/// The date, when its year is in the accepted range.
pub fn date(field: &str, value: NaiveDate) -> Result<NaiveDate, String> {
    year_in_range(field, value.year()).map(|()| value)
}

/// The time, when its (UTC) year is in the accepted range.
pub fn time(field: &str, value: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    year_in_range(field, value.year()).map(|()| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_ends_of_the_range_are_accepted_and_beyond_them_refused() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(date("check_in", d(1970, 1, 1)).is_ok());
        assert!(date("check_in", d(9999, 12, 31)).is_ok());
        let err = date("check_in", d(1969, 12, 31)).unwrap_err();
        assert!(err.contains("check_in"), "{err}");
        assert!(date("check_in", d(-5000, 1, 1)).is_err());
        assert!(date("check_in", d(10000, 1, 1)).is_err());
    }

    proptest! {
        #[test]
        fn a_time_is_accepted_exactly_when_its_year_is_in_range(secs in -300_000_000_000i64..300_000_000_000i64) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let inside = (EARLIEST_YEAR..=LATEST_YEAR).contains(&t.year());
            prop_assert_eq!(time("sent_at", t).is_ok(), inside);
        }
    }
}
