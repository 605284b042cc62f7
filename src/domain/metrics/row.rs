//! The report row of SPEC §5, built from raw figures by one definition of every derived
//! metric (shares, rates, rounding), for agents and the team alike, as JSON and as CSV.

use super::reviews::ReviewFigures;
use crate::domain::dispatch::Reason;
use crate::domain::ids::UserId;
use serde::Serialize;
use std::collections::BTreeMap;

/// Raw figures of one agent (or the whole team) over a period, as counted from the database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub incoming: i64,
    pub reassigned_away: BTreeMap<String, i64>,
    pub pending: i64,
    pub closed: i64,
    pub replies: i64,
    /// Replies that answered something (the timed ones) and, of those, within the SLA.
    pub timed_replies: i64,
    pub within_sla: i64,
    pub avg_response: Option<f64>,
    pub median_response: Option<f64>,
    pub p90_response: Option<f64>,
    pub avg_response_pre_booking: Option<f64>,
    pub avg_response_post_booking: Option<f64>,
    pub first_response_avg: Option<f64>,
    pub work_seconds: f64,
    pub invisible_seconds: f64,
    /// Pre-booking tickets replied to, and of those converted within 30 days.
    pub replied_pre_booking: i64,
    pub converted: i64,
    pub sales_cents: i64,
    /// Guest reviews credited to the agent (the team: every review), by submission time.
    pub reviews: ReviewFigures,
    /// Remarketing tries sent in the period (`remarketing::is_try`), and the distinct
    /// reservations of those tries' guests that were booked afterwards.
    pub remarketing_tries: i64,
    pub remarketing_booked: i64,
}

/// One line of a report. Field order is the CSV column order.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ReportRow {
    pub agent_id: Option<UserId>,
    pub agent_name: Option<String>,
    pub incoming: i64,
    pub reassigned_away: i64,
    pub pending: i64,
    pub closed: i64,
    pub replies: i64,
    pub avg_response_seconds: Option<f64>,
    pub median_response_seconds: Option<f64>,
    pub p90_response_seconds: Option<f64>,
    pub avg_response_seconds_pre_booking: Option<f64>,
    pub avg_response_seconds_post_booking: Option<f64>,
    pub first_response_seconds_avg: Option<f64>,
    pub sla_percent: Option<f64>,
    pub work_seconds: f64,
    pub invisible_seconds: f64,
    pub conversion_percent: Option<f64>,
    pub sales: f64,
    pub tickets_per_work_hour: Option<f64>,
    pub reviews: i64,
    pub communication_score_avg: Option<f64>,
    /// Tickets the return timer took from the agent (unopened too long); part of
    /// `reassigned_away`, shown on its own because leads coach on it.
    pub returned: i64,
    /// `reassigned_away` split by reason (JSON only).
    pub reassigned_away_by_reason: BTreeMap<String, i64>,
    /// Messages to guests whose inquiry did not book, sent more than 24 h after the guest's
    /// last message (`domain::metrics::remarketing`).
    pub remarketing_tries: i64,
    /// Guests (their reservations, each once) of those tries who booked afterwards.
    pub remarketing_booked: i64,
}

/// The CSV columns, in SPEC §5 order, then the review columns of SPEC §9, then `returned`,
/// then the remarketing KPIs (issue 14).
pub const CSV_HEADER: [&str; 24] = [
    "agent_id",
    "agent_name",
    "incoming",
    "reassigned_away",
    "pending",
    "closed",
    "replies",
    "avg_response_seconds",
    "median_response_seconds",
    "p90_response_seconds",
    "avg_response_seconds_pre_booking",
    "avg_response_seconds_post_booking",
    "first_response_seconds_avg",
    "sla_percent",
    "work_seconds",
    "invisible_seconds",
    "conversion_percent",
    "sales",
    "tickets_per_work_hour",
    "reviews",
    "communication_score_avg",
    "returned",
    "remarketing_tries",
    "remarketing_booked",
];

/// `v` to `places` decimals; a negative zero (a clipped interval, say) comes out as `0`.
fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f + 0.0
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 * 100.0 / whole as f64, 1))
}

impl ReportRow {
    /// The row of `figures`; `agent` is (id, name), or `None` for the team.
    pub fn new(agent: Option<(UserId, String)>, f: &Figures) -> ReportRow {
        let secs = |v: Option<f64>| v.map(|s| round(s, 1));
        ReportRow {
            agent_id: agent.as_ref().map(|(id, _)| *id),
            agent_name: agent.map(|(_, name)| name),
            incoming: f.incoming,
            reassigned_away: f.reassigned_away.values().sum(),
            pending: f.pending,
            closed: f.closed,
            replies: f.replies,
            avg_response_seconds: secs(f.avg_response),
            median_response_seconds: secs(f.median_response),
            p90_response_seconds: secs(f.p90_response),
            avg_response_seconds_pre_booking: secs(f.avg_response_pre_booking),
            avg_response_seconds_post_booking: secs(f.avg_response_post_booking),
            first_response_seconds_avg: secs(f.first_response_avg),
            sla_percent: share(f.within_sla, f.timed_replies),
            work_seconds: round(f.work_seconds, 0),
            invisible_seconds: round(f.invisible_seconds, 0),
            conversion_percent: share(f.converted, f.replied_pre_booking),
            sales: f.sales_cents as f64 / 100.0,
            tickets_per_work_hour: (f.work_seconds > 0.0)
                .then(|| round(f.closed as f64 / (f.work_seconds / 3600.0), 2)),
            reviews: f.reviews.reviews,
            communication_score_avg: (f.reviews.communication_scored > 0).then(|| {
                round(
                    f.reviews.communication_sum as f64 / f.reviews.communication_scored as f64,
                    2,
                )
            }),
            returned: f
                .reassigned_away
                .get(Reason::ReturnTimer.as_str())
                .copied()
                .unwrap_or_default(),
            reassigned_away_by_reason: f.reassigned_away.clone(),
            remarketing_tries: f.remarketing_tries,
            remarketing_booked: f.remarketing_booked,
        }
    }

    /// The CSV record, in [`CSV_HEADER`] order; no value is an empty field. Text a
    /// spreadsheet would run as a formula is written as text, and no number is `-0`.
    pub fn csv_record(&self) -> Vec<String> {
        let num = |x: f64| {
            if x == 0.0 {
                "0".to_string()
            } else {
                x.to_string()
            }
        };
        let opt = |v: Option<f64>| v.map(num).unwrap_or_default();
        vec![
            self.agent_id.map(|id| id.to_string()).unwrap_or_default(),
            spreadsheet_text(self.agent_name.as_deref().unwrap_or("Team")),
            self.incoming.to_string(),
            self.reassigned_away.to_string(),
            self.pending.to_string(),
            self.closed.to_string(),
            self.replies.to_string(),
            opt(self.avg_response_seconds),
            opt(self.median_response_seconds),
            opt(self.p90_response_seconds),
            opt(self.avg_response_seconds_pre_booking),
            opt(self.avg_response_seconds_post_booking),
            opt(self.first_response_seconds_avg),
            opt(self.sla_percent),
            num(self.work_seconds),
            num(self.invisible_seconds),
            opt(self.conversion_percent),
            num(self.sales),
            opt(self.tickets_per_work_hour),
            self.reviews.to_string(),
            opt(self.communication_score_avg),
            self.returned.to_string(),
            self.remarketing_tries.to_string(),
            self.remarketing_booked.to_string(),
        ]
    }
}

/// A cell a spreadsheet shows as text: one that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'` (OWASP's advice against CSV injection).
pub fn spreadsheet_text(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text_and_zero_has_no_sign() {
        for risky in ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(spreadsheet_text(risky).starts_with('\''), "{risky}");
        }
        assert_eq!(spreadsheet_text("Ana"), "Ana");
        let f = Figures {
            work_seconds: -0.0,
            ..Default::default()
        };
        let row = ReportRow::new(Some((UserId(7), "=cmd".into())), &f);
        let record = row.csv_record();
        assert_eq!(record[1], "'=cmd");
        assert!(record.iter().all(|cell| cell != "-0"), "{record:?}");
    }

    #[test]
    fn derived_metrics_follow_one_definition() {
        let f = Figures {
            closed: 6,
            timed_replies: 8,
            within_sla: 6,
            work_seconds: 7200.0,
            replied_pre_booking: 4,
            converted: 1,
            sales_cents: 45050,
            avg_response: Some(123.456),
            reassigned_away: [
                ("rebalanced".to_string(), 2),
                ("manager".to_string(), 1),
                ("return_timer".to_string(), 2),
            ]
            .into(),
            reviews: ReviewFigures {
                reviews: 4,
                communication_sum: 14,
                communication_scored: 3,
            },
            remarketing_tries: 9,
            remarketing_booked: 3,
            ..Default::default()
        };
        let row = ReportRow::new(Some((UserId(7), "Ana".into())), &f);
        assert_eq!(row.sla_percent, Some(75.0));
        assert_eq!(row.conversion_percent, Some(25.0));
        assert_eq!(row.tickets_per_work_hour, Some(3.0));
        assert_eq!(row.sales, 450.5);
        assert_eq!(row.avg_response_seconds, Some(123.5));
        assert_eq!(row.reassigned_away, 5);
        assert_eq!(
            row.returned, 2,
            "the return timer's part of reassigned_away"
        );
        assert_eq!(row.reviews, 4);
        assert_eq!(row.communication_score_avg, Some(4.67));
        let empty = ReportRow::new(None, &Figures::default());
        assert_eq!(
            (
                empty.sla_percent,
                empty.conversion_percent,
                empty.tickets_per_work_hour,
                empty.communication_score_avg
            ),
            (None, None, None, None)
        );
        assert_eq!(row.csv_record().len(), CSV_HEADER.len());
        assert_eq!(
            row.csv_record()[CSV_HEADER.len() - 5..],
            ["4", "4.67", "2", "9", "3"].map(String::from),
            "the review columns, then returned, then the remarketing ones come last"
        );
        assert_eq!(empty.csv_record()[1], "Team");
    }
}
