//! The filters the CRM names on the All view (issue 14): stay dates, reservation status, price
//! range and time since created, beside the list's older ones. Each is parsed here once from
//! the query's text, so the store only ever sees a valid range; a bad value is refused with
//! the parameter named and nothing is read.

use super::ingest::price_to_cents;
use super::stage::ReservationStatus;
use super::time_range;
use chrono::{NaiveDate, TimeDelta};

/// The longest "time since created" a filter takes, in hours (ten years).
pub const MAX_AGE_HOURS: i64 = 87_600;

/// The CRM filters of a ticket list, validated; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrmFilter {
    /// The stay has a night on or after this date (its check-out is later).
    pub stay_from: Option<NaiveDate>,
    /// The stay has a night before this date (its check-in is earlier).
    pub stay_to: Option<NaiveDate>,
    pub reservation_status: Option<ReservationStatus>,
    /// The reservation's total price, in cents, at least this.
    pub price_min_cents: Option<i64>,
    /// The reservation's total price, in cents, at most this.
    pub price_max_cents: Option<i64>,
    /// Created at least this many hours ago.
    pub min_age_hours: Option<i64>,
    /// Created at most this many hours ago.
    pub max_age_hours: Option<i64>,
}

/// The CRM filters as sent: each a trimmed, non-blank query parameter or `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCrmFilter<'a> {
    pub stay_from: Option<&'a str>,
    pub stay_to: Option<&'a str>,
    pub reservation_status: Option<&'a str>,
    pub price_min: Option<&'a str>,
    pub price_max: Option<&'a str>,
    pub min_age_hours: Option<&'a str>,
    pub max_age_hours: Option<&'a str>,
}

fn date(field: &str, raw: &str) -> Result<NaiveDate, String> {
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("`{field}` must be a YYYY-MM-DD date"))?;
    time_range::date(field, d)
}

/// A price in the reservation's currency (`120` or `120.50`), as cents.
fn price(field: &str, raw: &str) -> Result<i64, String> {
    raw.parse::<f64>()
        .ok()
        .filter(|p| p.is_finite())
        .and_then(|p| price_to_cents(p).ok())
        .ok_or_else(|| format!("`{field}` must be a number between 0 and 100000000000"))
}

fn hours(field: &str, raw: &str) -> Result<i64, String> {
    raw.parse::<i64>()
        .ok()
        .filter(|h| (0..=MAX_AGE_HOURS).contains(h))
        .ok_or_else(|| {
            format!("`{field}` must be a whole number of hours from 0 to {MAX_AGE_HOURS}")
        })
}

fn ordered<T: PartialOrd>(low: Option<T>, high: Option<T>, message: &str) -> Result<(), String> {
    match (low, high) {
        (Some(l), Some(h)) if l > h => Err(message.to_string()),
        _ => Ok(()),
    }
}

impl CrmFilter {
    /// Parses the sent filters: dates, a known reservation status, prices of at least 0 and
    /// whole hours, each range's ends in order (`stay_to` after `stay_from`).
    pub fn parse(raw: RawCrmFilter<'_>) -> Result<CrmFilter, String> {
        let f = CrmFilter {
            stay_from: raw.stay_from.map(|v| date("stay_from", v)).transpose()?,
            stay_to: raw.stay_to.map(|v| date("stay_to", v)).transpose()?,
            reservation_status: raw
                .reservation_status
                .map(ReservationStatus::parse)
                .transpose()?,
            price_min_cents: raw.price_min.map(|v| price("price_min", v)).transpose()?,
            price_max_cents: raw.price_max.map(|v| price("price_max", v)).transpose()?,
            min_age_hours: raw
                .min_age_hours
                .map(|v| hours("min_age_hours", v))
                .transpose()?,
            max_age_hours: raw
                .max_age_hours
                .map(|v| hours("max_age_hours", v))
                .transpose()?,
        };
        if let (Some(from), Some(to)) = (f.stay_from, f.stay_to) {
            if to <= from {
                return Err("`stay_to` must be after `stay_from`".into());
            }
        }
        ordered(
            f.price_min_cents,
            f.price_max_cents,
            "`price_min` must not exceed `price_max`",
        )?;
        ordered(
            f.min_age_hours,
            f.max_age_hours,
            "`min_age_hours` must not exceed `max_age_hours`",
        )?;
        Ok(f)
    }
}

/// What the filters look at of one ticket (the rule the store's SQL says too).
#[derive(Debug, Clone, Copy)]
pub struct CrmFacts {
    pub reservation_status: Option<ReservationStatus>,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
    pub total_price_cents: Option<i64>,
    /// Time since the ticket was created.
    pub age: TimeDelta,
}

/// Whether a ticket passes the filters. A stay filter needs both stay dates, a price filter
/// a price: a ticket without them is left out, as SQL's comparisons with NULL leave it out.
pub fn matches(f: &CrmFilter, t: &CrmFacts) -> bool {
    let stay_from = f
        .stay_from
        .is_none_or(|from| t.check_in.is_some() && t.check_out.is_some_and(|out| out > from));
    let stay_to = f
        .stay_to
        .is_none_or(|to| t.check_out.is_some() && t.check_in.is_some_and(|inn| inn < to));
    let status = f
        .reservation_status
        .is_none_or(|s| t.reservation_status == Some(s));
    let price_min = f
        .price_min_cents
        .is_none_or(|m| t.total_price_cents.is_some_and(|p| p >= m));
    let price_max = f
        .price_max_cents
        .is_none_or(|m| t.total_price_cents.is_some_and(|p| p <= m));
    let age = f.min_age_hours.is_none_or(|m| t.age >= TimeDelta::hours(m))
        && f.max_age_hours.is_none_or(|m| t.age <= TimeDelta::hours(m));
    stay_from && stay_to && status && price_min && price_max && age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn facts() -> CrmFacts {
        CrmFacts {
            reservation_status: Some(ReservationStatus::Confirmed),
            check_in: Some(d("2030-03-10")),
            check_out: Some(d("2030-03-14")),
            total_price_cents: Some(48_000),
            age: TimeDelta::hours(30),
        }
    }

    #[test]
    fn nothing_sent_filters_nothing() {
        let f = CrmFilter::parse(RawCrmFilter::default()).unwrap();
        assert_eq!(f, CrmFilter::default());
        assert!(matches(&f, &facts()));
    }

    #[test]
    fn a_stay_matches_when_it_has_a_night_in_the_range() {
        let range = |from, to| {
            CrmFilter::parse(RawCrmFilter {
                stay_from: Some(from),
                stay_to: Some(to),
                ..Default::default()
            })
            .unwrap()
        };
        assert!(matches(&range("2030-03-13", "2030-03-20"), &facts()));
        assert!(matches(&range("2030-03-01", "2030-03-11"), &facts()));
        // Leaving on the 14th: no night on the 14th; arriving on the 10th: none before it.
        assert!(!matches(&range("2030-03-14", "2030-03-20"), &facts()));
        assert!(!matches(&range("2030-03-01", "2030-03-10"), &facts()));
        let undated = CrmFacts {
            check_in: None,
            check_out: None,
            ..facts()
        };
        assert!(!matches(&range("2000-01-01", "2090-01-01"), &undated));
    }

    #[test]
    fn price_status_and_age_bound_the_list() {
        let f = CrmFilter::parse(RawCrmFilter {
            reservation_status: Some("confirmed"),
            price_min: Some("400"),
            price_max: Some("480.00"),
            min_age_hours: Some("24"),
            max_age_hours: Some("48"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(f.price_min_cents, Some(40_000));
        assert!(matches(&f, &facts()));
        assert!(!matches(
            &f,
            &CrmFacts {
                total_price_cents: Some(48_001),
                ..facts()
            }
        ));
        assert!(!matches(
            &f,
            &CrmFacts {
                total_price_cents: None,
                ..facts()
            }
        ));
        assert!(!matches(
            &f,
            &CrmFacts {
                reservation_status: Some(ReservationStatus::Inquiry),
                ..facts()
            }
        ));
        assert!(!matches(
            &f,
            &CrmFacts {
                age: TimeDelta::hours(48) + TimeDelta::seconds(1),
                ..facts()
            }
        ));
    }

    #[test]
    fn bad_values_are_refused_with_the_parameter_named() {
        let refused = |raw: RawCrmFilter<'_>, field: &str| {
            let e = CrmFilter::parse(raw).unwrap_err();
            assert!(e.contains(field), "{e}");
        };
        refused(
            RawCrmFilter {
                stay_from: Some("10/03/2030"),
                ..Default::default()
            },
            "stay_from",
        );
        refused(
            RawCrmFilter {
                stay_from: Some("2030-03-10"),
                stay_to: Some("2030-03-10"),
                ..Default::default()
            },
            "stay_to",
        );
        refused(
            RawCrmFilter {
                reservation_status: Some("booked"),
                ..Default::default()
            },
            "reservation status",
        );
        for bad in ["-1", "NaN", "inf", "abc", "1e12"] {
            refused(
                RawCrmFilter {
                    price_min: Some(bad),
                    ..Default::default()
                },
                "price_min",
            );
        }
        refused(
            RawCrmFilter {
                price_min: Some("500"),
                price_max: Some("100"),
                ..Default::default()
            },
            "price_min",
        );
        for bad in ["-1", "1.5", "87601"] {
            refused(
                RawCrmFilter {
                    max_age_hours: Some(bad),
                    ..Default::default()
                },
                "max_age_hours",
            );
        }
        refused(
            RawCrmFilter {
                min_age_hours: Some("5"),
                max_age_hours: Some("4"),
                ..Default::default()
            },
            "min_age_hours",
        );
    }
}
