//! When a table's planner statistics are stale, for the databases whose autovacuum is off
//! (see `app::planner_statistics`): after `autovacuum_analyze_threshold` changed rows, and
//! then each time the table doubles. Autovacuum's own rule (a tenth of the table) keeps
//! estimates fine; ours only keeps the shapes of plans right (which index finds a row), and
//! each analysis costs a sample of the table and makes every connection plan again, so it
//! runs a few times over a table's growth, not dozens.

/// The rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalyzeRule {
    /// Rows changed before even a small table is analyzed (PostgreSQL's default: 50).
    pub threshold: f64,
}

impl AnalyzeRule {
    /// Whether a table of `rows` rows (as last counted; negative when never counted) with
    /// `changed` rows inserted, updated or deleted since its last analysis is due one.
    pub fn is_due(&self, rows: f64, changed: i64) -> bool {
        changed as f64 > self.threshold + rows.max(0.0)
    }
}

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
    fn a_counted_table_waits_until_it_doubles() {
        assert!(!DEFAULT.is_due(10_000.0, 10_050));
        assert!(DEFAULT.is_due(10_000.0, 10_051));
    }

    proptest! {
        #[test]
        fn a_table_is_due_exactly_past_its_own_size(rows in -1.0f64..1e7, extra in 0i64..1_000) {
            let size = 50 + rows.max(0.0).ceil() as i64;
            prop_assert!(!DEFAULT.is_due(rows, size - 1 - extra));
            prop_assert!(DEFAULT.is_due(rows, size + 1 + extra));
        }
    }
}
