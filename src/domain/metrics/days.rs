//! Which parts of a period the daily rollups answer: the account's timezone's whole days that
//! lie inside the period and are already rolled up; everything else (a partial first or last
//! day, days after the watermark) is counted from the raw rows.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// When a local day starts: its midnight, or the first instant after a DST gap swallowed it.
pub fn day_start(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    (0..=3)
        .filter_map(|h| day.and_hms_opt(h, 0, 0))
        .find_map(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// The local day an instant falls in.
pub fn day_of(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// How a period [from, to) is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Whole local days read from the rollups: [first, last] inclusive.
    pub rolled: Option<(NaiveDate, NaiveDate)>,
    /// Stretches counted from raw rows, in order.
    pub raw: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Splits [from, to) into the rolled-up whole days (up to and including `rolled_through`) and
/// the raw rest.
pub fn plan(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    tz: Tz,
    rolled_through: Option<NaiveDate>,
) -> Plan {
    let all_raw = Plan {
        rolled: None,
        raw: vec![(from, to)],
    };
    let Some(through) = rolled_through else {
        return all_raw;
    };
    // The first day that starts at or after `from`.
    let mut first = day_of(from, tz);
    if day_start(first, tz) < from {
        first += Duration::days(1);
    }
    // The last day that ends at or before `to`, and not after the watermark.
    let last = (day_of(to, tz) - Duration::days(1)).min(through);
    if last < first || day_start(last + Duration::days(1), tz) > to {
        return all_raw;
    }
    let (start, end) = (
        day_start(first, tz),
        day_start(last + Duration::days(1), tz),
    );
    Plan {
        rolled: Some((first, last)),
        raw: [(from, start), (end, to)]
            .into_iter()
            .filter(|(a, b)| a < b)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lisbon() -> Tz {
        "Europe/Lisbon".parse().unwrap()
    }

    #[test]
    fn partial_days_and_days_past_the_watermark_are_raw() {
        let tz = lisbon();
        let from: DateTime<Utc> = "2026-03-01T10:00:00Z".parse().unwrap();
        let to: DateTime<Utc> = "2026-04-01T00:00:00Z".parse().unwrap();
        let through = NaiveDate::from_ymd_opt(2026, 3, 30).unwrap();
        let p = plan(from, to, tz, Some(through));
        assert_eq!(
            p.rolled,
            Some((NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), through))
        );
        // March 31st in Lisbon starts at 23:00 UTC on the 30th (summer time since the 29th).
        assert_eq!(
            p.raw,
            vec![
                (from, "2026-03-02T00:00:00Z".parse().unwrap()),
                ("2026-03-30T23:00:00Z".parse().unwrap(), to)
            ]
        );
        assert_eq!(plan(from, to, tz, None).raw, vec![(from, to)]);
    }

    proptest! {
        #[test]
        fn the_parts_tile_the_period_exactly(
            start in 0i64..400 * 24,
            hours in 1i64..90 * 24,
            through in 0i64..400,
            zone in prop::sample::select(vec!["Europe/Lisbon", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe", "UTC"]),
        ) {
            let tz: Tz = zone.parse().unwrap();
            let base: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
            let from = base + Duration::minutes(start * 60 + 17);
            let to = from + Duration::hours(hours);
            let p = plan(from, to, tz, Some(base.date_naive() + Duration::days(through)));
            let mut pieces = p.raw.clone();
            if let Some((a, b)) = p.rolled {
                prop_assert!(b <= base.date_naive() + Duration::days(through));
                pieces.push((day_start(a, tz), day_start(b + Duration::days(1), tz)));
            }
            pieces.sort();
            prop_assert_eq!(pieces.first().map(|x| x.0), Some(from));
            prop_assert_eq!(pieces.last().map(|x| x.1), Some(to));
            for w in pieces.windows(2) {
                prop_assert_eq!(w[0].1, w[1].0);
            }
        }
    }
}
