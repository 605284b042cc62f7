//! Report periods: [from, to) in the account's timezone, validated, with the previous period
//! of equal length for comparisons. Dates mean local midnight; the default is the current
//! calendar month so far.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::time_range;

/// The longest period a report covers.
pub const MAX_DAYS: i64 = 366;

/// Periods up to this many days get exact medians; longer ones read the sketches.
pub const EXACT_QUANTILE_DAYS: i64 = 2;

/// A validated reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn local_midnight(date: NaiveDate, tz: Tz) -> Result<DateTime<Utc>, String> {
    let naive = date.and_hms_opt(0, 0, 0).ok_or("invalid date")?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{date} has no midnight in {tz}"))
}

/// Parses a bound: an RFC 3339 time, or a `YYYY-MM-DD` date meaning local midnight.
pub fn parse_bound(field: &str, raw: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return time_range::time(field, t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("`{field}` must be a YYYY-MM-DD date or an RFC 3339 time"))?;
    local_midnight(time_range::date(field, date)?, tz)
}

impl Period {
    /// The period from the query, or the current month so far when both bounds are absent.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Period, String> {
        let period = match (from, to) {
            (None, None) => {
                let today = now.with_timezone(&tz).date_naive();
                let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
                    .ok_or("invalid date")?;
                Period {
                    from: local_midnight(first, tz)?,
                    to: now,
                }
            }
            (Some(f), Some(t)) => Period {
                from: parse_bound("from", f, tz)?,
                to: parse_bound("to", t, tz)?,
            },
            _ => return Err("give both `from` and `to`, or neither for this month so far".into()),
        };
        if period.from >= period.to {
            return Err("`from` must be before `to`".into());
        }
        if period.to - period.from > Duration::days(MAX_DAYS) {
            return Err(format!("a report covers at most {MAX_DAYS} days"));
        }
        Ok(period)
    }

    /// Whether median and p90 are exact (nearest-rank over the period's replies) rather than
    /// read from the daily sketches (within 1 %): the one rule for reports, the wallboard and
    /// CSV. Periods of up to two days (today, yesterday, a shift) are exact; they read few
    /// replies, and a manager comparing a single ticket's wait with the median sees it agree.
    pub fn quantiles_are_exact(&self) -> bool {
        self.to - self.from <= Duration::days(EXACT_QUANTILE_DAYS)
    }

    /// The period of equal length just before this one.
    pub fn previous(&self) -> Period {
        Period {
            from: self.from - (self.to - self.from),
            to: self.from,
        }
    }

    /// Today so far in the timezone.
    pub fn today(tz: Tz, now: DateTime<Utc>) -> Period {
        let midnight = local_midnight(now.with_timezone(&tz).date_naive(), tz)
            .unwrap_or(now - Duration::hours(24));
        Period {
            from: midnight,
            to: now.max(midnight + Duration::seconds(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-24T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn dates_are_local_midnights_and_the_default_is_this_month() {
        let lisbon: Tz = "Europe/Lisbon".parse().unwrap();
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let p = Period::parse(Some("2026-07-01"), Some("2026-08-01"), lisbon, now()).unwrap();
        assert_eq!(
            p.from,
            "2026-06-30T23:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            "Lisbon is UTC+1 in summer"
        );
        let default = Period::parse(None, None, tokyo, now()).unwrap();
        assert_eq!(
            default.from,
            "2026-10-31T15:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(default.to, now());
        assert_eq!(
            p.previous(),
            Period {
                from: "2026-05-30T23:00:00Z".parse().unwrap(),
                to: p.from
            }
        );
    }

    #[test]
    fn nonsense_periods_are_refused() {
        let utc = Tz::UTC;
        for (f, t) in [
            (Some("2026-05-02"), Some("2026-05-01")),
            (Some("2026-05-01"), Some("2026-05-01")),
            (Some("2020-01-01"), Some("2026-01-01")),
            (Some("soon"), Some("2026-01-01")),
            (Some("2026-01-01"), None),
        ] {
            assert!(Period::parse(f, t, utc, now()).is_err(), "{f:?} {t:?}");
        }
    }
}
