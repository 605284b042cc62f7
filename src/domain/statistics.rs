//! When a table's planner statistics are stale, for the databases whose autovacuum is off
//! (see `app::planner_statistics`): once it holds `autovacuum_analyze_threshold` rows, and then
//! each time it has grown tenfold. Autovacuum's own rule (a tenth of the table changed) keeps
//! estimates fine; ours only keeps the shapes of plans right (which index finds a row), which
//! change with a table's order of magnitude, not with updates to its rows. Each analysis costs
//! a sample of the table and makes every connection plan again every statement that reads it
//! (under `target`, counting updates as autovacuum does analyzed `tickets` every five seconds,
//! and the delivery claim was planned again on each of forty connections each time; analyzing
//! each time a table doubled still made a dozen waves of planning in the first minute of a
//! fresh database, and the slowest tickets of a run came in the second after each), so it
//! runs a few times over a table's growth, not dozens.

/// The rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalyzeRule {
    /// Rows a table holds before even a small one is analyzed (PostgreSQL's default: 50).
    pub threshold: f64,
}

impl AnalyzeRule {
    /// Whether a table of `rows` rows (as last counted; negative when never counted) that now
    /// holds `live` rows is due an analysis.
    pub fn is_due(&self, rows: f64, live: i64) -> bool {
        live as f64 > self.threshold + GROWTH * rows.max(0.0)
    }
}

/// How many times its size at the last analysis a table holds before it is analyzed again.
const GROWTH: f64 = 10.0;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEFAULT: AnalyzeRule = AnalyzeRule { threshold: 50.0 };

    #[test]
    fn a_table_never_counted_is_due_after_the_threshold() {
        assert!(!DEFAULT.is_due(-1.0, 50));
        assert!(DEFAULT.is_due(-1.0, 51));
    }

    #[test]
    fn a_counted_table_waits_until_it_has_grown_tenfold() {
        assert!(!DEFAULT.is_due(10_000.0, 20_051));
        assert!(!DEFAULT.is_due(10_000.0, 100_050));
        assert!(DEFAULT.is_due(10_000.0, 100_051));
    }

    proptest! {
        #[test]
        fn a_table_is_due_exactly_past_ten_times_its_size(rows in -1.0f64..1e7, extra in 0i64..1_000) {
            // `rows` is an estimate and may have a fraction: the last size not yet due is the
            // whole part of the bound.
            let last_not_due = (50.0 + 10.0 * rows.max(0.0)).floor() as i64;
            prop_assert!(!DEFAULT.is_due(rows, last_not_due - extra));
            prop_assert!(DEFAULT.is_due(rows, last_not_due + 1 + extra));
        }
    }
}
