//! The countable figures of SPEC §4 as sums that add across agents and days: counts, totals
//! of response times (averages are total ÷ count), the response-time sketch and the set of
//! pre-booking tickets replied to (sets add by union, so a ticket answered on several days
//! counts once in the period). A daily rollup
//! row and a stretch of raw rows both come as `Sums`, so a period's figures are the same
//! whichever way each of its days was counted.

use super::row::Figures;
use super::sketch::Sketch;
use std::collections::{BTreeMap, HashSet};

/// A count of values and their total, so an average adds up exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Total {
    pub count: i64,
    pub sum: f64,
}

impl Total {
    fn add(&mut self, other: Total) {
        self.count += other.count;
        self.sum += other.sum;
    }

    fn average(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// One agent's additive figures over some stretch of time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sums {
    pub incoming: i64,
    pub reassigned_away: BTreeMap<String, i64>,
    pub closed: i64,
    pub replies: i64,
    /// Timed replies (those that answered something) and their response times.
    pub response: Total,
    pub within_sla: i64,
    pub response_pre_booking: Total,
    pub response_post_booking: Total,
    pub first_response: Total,
    pub work_seconds: f64,
    pub invisible_seconds: f64,
    pub sketch: Sketch,
    /// The distinct pre-booking tickets replied to (conversion's denominator).
    pub pre_booking_tickets: HashSet<i64>,
}

impl Sums {
    /// Adds another stretch (another day, or another agent for the team).
    pub fn add(&mut self, o: &Sums) {
        self.incoming += o.incoming;
        for (reason, n) in &o.reassigned_away {
            *self.reassigned_away.entry(reason.clone()).or_default() += n;
        }
        self.closed += o.closed;
        self.replies += o.replies;
        self.response.add(o.response);
        self.within_sla += o.within_sla;
        self.response_pre_booking.add(o.response_pre_booking);
        self.response_post_booking.add(o.response_post_booking);
        self.first_response.add(o.first_response);
        self.work_seconds += o.work_seconds;
        self.invisible_seconds += o.invisible_seconds;
        self.sketch.merge(&o.sketch);
        self.pre_booking_tickets.extend(&o.pre_booking_tickets);
    }

    /// The figures these sums give; median and p90 come from the sketch (callers with exact
    /// values for a short period put those in instead). Pending, converted tickets, sales and
    /// reviews are not sums and stay at zero here.
    pub fn figures(&self) -> Figures {
        Figures {
            incoming: self.incoming,
            reassigned_away: self.reassigned_away.clone(),
            closed: self.closed,
            replies: self.replies,
            timed_replies: self.response.count,
            within_sla: self.within_sla,
            avg_response: self.response.average(),
            median_response: self.sketch.quantile(0.5),
            p90_response: self.sketch.quantile(0.9),
            avg_response_pre_booking: self.response_pre_booking.average(),
            avg_response_post_booking: self.response_post_booking.average(),
            first_response_avg: self.first_response.average(),
            work_seconds: self.work_seconds,
            invisible_seconds: self.invisible_seconds,
            replied_pre_booking: self.pre_booking_tickets.len() as i64,
            ..Figures::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_add_up_as_totals_not_as_averages() {
        let mut a = Sums {
            response: Total {
                count: 1,
                sum: 10.0,
            },
            reassigned_away: [("manager".to_string(), 1)].into(),
            ..Default::default()
        };
        let b = Sums {
            response: Total {
                count: 3,
                sum: 90.0,
            },
            reassigned_away: [("manager".to_string(), 2), ("rebalanced".to_string(), 1)].into(),
            ..Default::default()
        };
        a.add(&b);
        let f = a.figures();
        assert_eq!(f.avg_response, Some(25.0));
        assert_eq!(f.timed_replies, 4);
        assert_eq!(f.reassigned_away.get("manager"), Some(&3));
        assert_eq!(Sums::default().figures().avg_response, None);
    }

    #[test]
    fn a_ticket_replied_to_on_two_days_counts_once() {
        let day = |tickets: &[i64]| Sums {
            pre_booking_tickets: tickets.iter().copied().collect(),
            ..Default::default()
        };
        let mut period = day(&[1, 2]);
        period.add(&day(&[2, 3]));
        assert_eq!(period.figures().replied_pre_booking, 3);
    }
}
