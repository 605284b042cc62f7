//! Time inside intervals: work time is the union of timer-running intervals inside a period;
//! invisible time is intake-paused time inside that work time.

use chrono::{DateTime, Utc};

/// A span of time; `end` is `None` while it is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// The intervals clipped to [from, to) (running ones end at `now`), merged where they overlap,
/// in order.
pub fn union_within(
    intervals: &[Interval],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut clipped: Vec<(DateTime<Utc>, DateTime<Utc>)> = intervals
        .iter()
        .map(|i| (i.start.max(from), i.end.unwrap_or(now).min(to)))
        .filter(|(s, e)| s < e)
        .collect();
    clipped.sort();
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(clipped.len());
    for (s, e) in clipped {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Total seconds of merged spans.
pub fn seconds(spans: &[(DateTime<Utc>, DateTime<Utc>)]) -> f64 {
    spans
        .iter()
        .map(|(s, e)| (*e - *s).num_milliseconds() as f64 / 1000.0)
        .sum()
}

/// Seconds where two sets of merged spans overlap.
pub fn overlap_seconds(
    a: &[(DateTime<Utc>, DateTime<Utc>)],
    b: &[(DateTime<Utc>, DateTime<Utc>)],
) -> f64 {
    let (mut i, mut j, mut total) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        let start = a[i].0.max(b[j].0);
        let end = a[i].1.min(b[j].1);
        if start < end {
            total += (end - start).num_milliseconds() as f64 / 1000.0;
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    total
}

/// Work and invisible seconds of one agent in [from, to).
pub fn work_and_invisible(
    work: &[Interval],
    paused: &[Interval],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (f64, f64) {
    let working = union_within(work, from, to, now);
    let pausing = union_within(paused, from, to, now);
    (seconds(&working), overlap_seconds(&working, &pausing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
    }

    fn iv(s: i64, e: Option<i64>) -> Interval {
        Interval {
            start: t(s),
            end: e.map(t),
        }
    }

    #[test]
    fn work_is_clipped_to_the_period_and_pauses_count_only_inside_work() {
        let work = [iv(-30, Some(60)), iv(120, Some(180)), iv(170, None)];
        let paused = [iv(30, Some(150)), iv(200, Some(260))];
        let (work_s, invisible_s) = work_and_invisible(&work, &paused, t(0), t(240), t(250));
        // Work: 0–60 and 120–240 (the running interval ends at the period's end) = 180 min.
        assert_eq!(work_s, 180.0 * 60.0);
        // Paused inside work: 30–60 and 120–150 and 200–240 = 100 min.
        assert_eq!(invisible_s, 100.0 * 60.0);
    }

    proptest! {
        #[test]
        fn invisible_never_exceeds_work_nor_work_the_period(
            raw in proptest::collection::vec((0i64..500, 0i64..200, any::<bool>()), 0..12),
            pauses in proptest::collection::vec((0i64..500, 0i64..200), 0..12),
        ) {
            let work: Vec<Interval> = raw.iter().map(|(s, len, open)| iv(*s, (!open).then_some(s + len))).collect();
            let paused: Vec<Interval> = pauses.iter().map(|(s, len)| iv(*s, Some(s + len))).collect();
            let (w, i) = work_and_invisible(&work, &paused, t(100), t(400), t(450));
            prop_assert!(i <= w + 1e-9);
            prop_assert!(w <= 300.0 * 60.0 + 1e-9);
            let parts: f64 = work.iter().map(|x| seconds(&union_within(&[*x], t(100), t(400), t(450)))).sum();
            prop_assert!(w <= parts + 1e-9);
        }
    }
}
