//! Alerts for managers (SPEC §9): what can go wrong with a ticket that a lead must hear about,
//! when each becomes due, and the Slack-compatible text a notification webhook receives. Pure:
//! the store finds the tickets these rules pick, with the thresholds computed here.

use crate::domain::ids::{AccountId, TicketId};
use serde::{Deserialize, Serialize};

/// What an alert is about. Each is raised at most once per ticket.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The guest has waited 80 % of the response SLA.
    SlaWarning,
    /// The guest has waited the whole response SLA.
    SlaBreach,
    /// The ticket has waited in the queue for half the response SLA, or the return timer
    /// queued it because nobody else may take it.
    QueueWait,
    /// The ticket's agent opened it and then left (stopped the timer or was deactivated).
    AgentLeft,
    /// The agent flagged the ticket for a manager.
    PendingWaiting,
}

impl AlertKind {
    pub const ALL: [AlertKind; 5] = [
        AlertKind::SlaWarning,
        AlertKind::SlaBreach,
        AlertKind::QueueWait,
        AlertKind::AgentLeft,
        AlertKind::PendingWaiting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::SlaWarning => "sla_warning",
            AlertKind::SlaBreach => "sla_breach",
            AlertKind::QueueWait => "queue_wait",
            AlertKind::AgentLeft => "agent_left",
            AlertKind::PendingWaiting => "pending_waiting",
        }
    }

    pub fn parse(raw: &str) -> Result<AlertKind, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not an alert kind"))
    }

    /// One line a person reads in a chat channel.
    pub fn headline(self) -> &'static str {
        match self {
            AlertKind::SlaWarning => "A guest has waited 80% of the response SLA",
            AlertKind::SlaBreach => "A guest has waited longer than the response SLA",
            AlertKind::QueueWait => "A ticket is waiting in the queue with nobody to take it",
            AlertKind::AgentLeft => "An agent left with an opened ticket",
            AlertKind::PendingWaiting => "A ticket is waiting for a manager",
        }
    }
}

/// The share of the response SLA a guest may wait before the SLA warning.
pub const SLA_WARNING_SHARE: f64 = 0.8;
/// The share of the response SLA a ticket may wait in the queue before `queue_wait`: half,
/// so a queued ticket is flagged while it can still be answered in time.
pub const QUEUE_WAIT_SHARE: f64 = 0.5;

/// The body a notification webhook receives: Slack's incoming-webhook `text`, plus the alert
/// itself for receivers that read JSON.
pub fn webhook_body(
    account_id: AccountId,
    kind: AlertKind,
    ticket_id: Option<TicketId>,
    alert: &serde_json::Value,
) -> serde_json::Value {
    let text = match ticket_id {
        Some(t) => format!("{} (ticket {t}).", kind.headline()),
        None => format!("{}.", kind.headline()),
    };
    serde_json::json!({
        "text": text,
        "account_id": account_id,
        "alert": alert,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_wire_names() {
        for kind in AlertKind::ALL {
            assert_eq!(AlertKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        assert!(AlertKind::parse("fire").is_err());
    }

    #[test]
    fn the_webhook_body_speaks_slack() {
        let body = webhook_body(
            AccountId(1),
            AlertKind::SlaBreach,
            Some(TicketId(7)),
            &serde_json::json!({"id": "3"}),
        );
        assert_eq!(
            body["text"],
            "A guest has waited longer than the response SLA (ticket 7)."
        );
        assert_eq!(body["alert"]["id"], "3");
    }
}
