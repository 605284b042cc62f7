//! Response-time distributions that add up: a log-bucketed histogram (DDSketch's mapping) whose
//! quantiles are within [`RELATIVE_ERROR`] of the true nearest-rank value. Daily sketches of
//! each agent are merged into any period's median and p90 without reading its replies.

use std::collections::BTreeMap;

/// The largest relative error of a quantile read from a sketch (1 %).
pub const RELATIVE_ERROR: f64 = 0.01;

/// Values at or below this many seconds share the lowest bucket (an absolute error of at most
/// a millisecond, invisible once figures are rounded to tenths of a second).
pub const MIN_SECONDS: f64 = 0.001;

/// γ = (1 + α) / (1 − α): each bucket covers (γ^(i−1), γ^i].
fn gamma() -> f64 {
    (1.0 + RELATIVE_ERROR) / (1.0 - RELATIVE_ERROR)
}

/// ln γ, which the SQL that buckets stored replies divides by (so SQL and Rust agree).
pub fn ln_gamma() -> f64 {
    gamma().ln()
}

/// The bucket of a value, as the SQL computes it: ⌈ln(max(x, MIN)) / ln γ⌉.
pub fn bucket_of(seconds: f64) -> i32 {
    (seconds.max(MIN_SECONDS).ln() / ln_gamma()).ceil() as i32
}

/// The value a bucket stands for: within `RELATIVE_ERROR` of every value in it.
fn representative(bucket: i32) -> f64 {
    let g = gamma();
    2.0 * g.powi(bucket) / (g + 1.0)
}

/// Counts per bucket; merging two sketches adds their counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sketch {
    counts: BTreeMap<i32, i64>,
}

impl Sketch {
    /// Adds `count` values that fell in `bucket`.
    pub fn add_bucket(&mut self, bucket: i32, count: i64) {
        if count > 0 {
            *self.counts.entry(bucket).or_default() += count;
        }
    }

    /// Adds one value.
    pub fn add(&mut self, seconds: f64) {
        self.add_bucket(bucket_of(seconds), 1);
    }

    /// Adds another sketch's counts.
    pub fn merge(&mut self, other: &Sketch) {
        for (b, c) in &other.counts {
            self.add_bucket(*b, *c);
        }
    }

    /// The buckets and their counts, lowest first (how rollups store a sketch).
    pub fn buckets(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.counts.iter().map(|(b, c)| (*b, *c))
    }

    /// The nearest-rank quantile (as `percentile_disc`: the smallest value with at least
    /// `q` of the values at or below it), within `RELATIVE_ERROR`; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total: i64 = self.counts.values().sum();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
        let mut seen = 0;
        for (bucket, count) in &self.counts {
            seen += count;
            if seen >= rank {
                return Some(representative(*bucket));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact(values: &[f64], q: f64) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    #[test]
    fn an_empty_sketch_has_no_quantile_and_tiny_values_share_a_bucket() {
        assert_eq!(Sketch::default().quantile(0.5), None);
        assert_eq!(bucket_of(0.0), bucket_of(MIN_SECONDS));
        let mut s = Sketch::default();
        s.add(120.0);
        let median = s.quantile(0.5).unwrap();
        assert!((median - 120.0).abs() <= 1.2, "{median}");
    }

    proptest! {
        #[test]
        fn quantiles_are_within_the_stated_error_and_merging_is_adding(
            a in proptest::collection::vec(0.01f64..200_000.0, 1..300),
            b in proptest::collection::vec(0.01f64..200_000.0, 0..300),
            q in 0.01f64..1.0,
        ) {
            let (mut sa, mut sb, mut all) = (Sketch::default(), Sketch::default(), Sketch::default());
            a.iter().for_each(|x| { sa.add(*x); all.add(*x) });
            b.iter().for_each(|x| { sb.add(*x); all.add(*x) });
            sa.merge(&sb);
            prop_assert_eq!(&sa, &all);
            let values: Vec<f64> = a.iter().chain(&b).copied().collect();
            let truth = exact(&values, q);
            let got = all.quantile(q).unwrap();
            prop_assert!((got - truth).abs() <= truth * RELATIVE_ERROR + 1e-9, "{} vs {}", got, truth);
        }
    }
}
