//! The live service level of the wallboard: today's reply SLA counts only replies sent, so a
//! desk with fifty guests waiting past the SLA and one quick reply showed 100 %. Here every
//! guest waiting past the SLA right now counts as a miss beside today's replies.

/// Percent of today's timed replies within the SLA, out of those replies plus the tickets
/// waiting past the SLA now; `None` when there is nothing to measure.
pub fn live_service_level(
    within_sla: i64,
    timed_replies: i64,
    waiting_past_sla: i64,
) -> Option<f64> {
    let whole = timed_replies + waiting_past_sla;
    (whole > 0).then(|| (within_sla as f64 * 1000.0 / whole as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn guests_waiting_past_the_sla_count_against_it() {
        assert_eq!(live_service_level(1, 1, 0), Some(100.0));
        assert_eq!(live_service_level(1, 1, 51), Some(1.9));
        assert_eq!(live_service_level(0, 0, 3), Some(0.0));
        assert_eq!(live_service_level(0, 0, 0), None);
    }

    proptest! {
        /// Never above today's reply SLA, never outside 0–100.
        #[test]
        fn bounded_by_the_reply_sla(timed in 0i64..1000, met_share in 0.0f64..=1.0, waiting in 0i64..1000) {
            let met = (timed as f64 * met_share).floor() as i64;
            if let Some(level) = live_service_level(met, timed, waiting) {
                prop_assert!((0.0..=100.0).contains(&level));
                if timed > 0 {
                    prop_assert!(level <= (met as f64 * 1000.0 / timed as f64).round() / 10.0);
                }
            }
        }
    }
}
