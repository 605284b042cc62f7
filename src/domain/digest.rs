//! The daily digest (issue 13): once a day, the account's notification webhook hears which of
//! the previous day's tickets were not answered within the response SLA, so a lead sees what
//! slipped through even on a day nobody watched the alerts. Pure: the store picks the tickets
//! (created that local day, first reply later than the SLA or none yet; a ticket closed
//! without a reply inside the SLA is not missed), this module says it in words.

use crate::domain::ids::{AccountId, TicketId};
use chrono::NaiveDate;
use serde::Serialize;

/// The most tickets a digest names; the count covers them all.
pub const NAMED: usize = 10;

/// A ticket the digest names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissedTicket {
    pub ticket_id: TicketId,
    pub guest_name: Option<String>,
    /// From the ticket's creation to its first reply, or to its closing without one, or to
    /// now.
    pub waited_seconds: i64,
    /// Whether it has had a reply (late) by now.
    pub answered: bool,
    /// Whether it was closed without a reply.
    pub closed: bool,
}

/// One day's digest of one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    pub day: NaiveDate,
    pub sla_seconds: i32,
    /// Every ticket of the day that missed the SLA.
    pub missed: i64,
    /// The longest waits first, at most [`NAMED`].
    pub tickets: Vec<MissedTicket>,
}

/// A wait as a person reads it: "45 s", "12 min", "1 h 4 min".
pub fn wait(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match (seconds / 3600, (seconds % 3600) / 60) {
        (0, 0) => format!("{seconds} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The body the webhook receives: Slack's incoming-webhook `text`, plus the digest itself
/// for receivers that read JSON.
pub fn webhook_body(account_id: AccountId, digest: &Digest) -> serde_json::Value {
    let headline = match digest.missed {
        0 => format!(
            "Daily digest for {}: every ticket was answered within the SLA ({}).",
            digest.day,
            wait(i64::from(digest.sla_seconds))
        ),
        n => format!(
            "Daily digest for {}: {n} {} not answered within the SLA ({}).",
            digest.day,
            if n == 1 { "ticket was" } else { "tickets were" },
            wait(i64::from(digest.sla_seconds))
        ),
    };
    let lines = digest.tickets.iter().map(|t| {
        let guest = t.guest_name.as_deref().unwrap_or("a guest");
        let waited = wait(t.waited_seconds);
        let how = match (t.answered, t.closed) {
            (true, _) => format!("first reply after {waited}"),
            (false, true) => format!("closed without a reply after {waited}"),
            (false, false) => format!("no reply yet, waiting {waited}"),
        };
        format!("\n• ticket {} ({guest}): {how}", t.ticket_id)
    });
    let more = (digest.missed > digest.tickets.len() as i64).then(|| {
        format!(
            "\n… and {} more.",
            digest.missed - digest.tickets.len() as i64
        )
    });
    serde_json::json!({
        "text": std::iter::once(headline).chain(lines).chain(more).collect::<String>(),
        "account_id": account_id,
        "digest": digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_a_person_says_them() {
        assert_eq!(wait(45), "45 s");
        assert_eq!(wait(720), "12 min");
        assert_eq!(wait(3600), "1 h");
        assert_eq!(wait(3840), "1 h 4 min");
        assert_eq!(wait(-3), "0 s");
    }

    #[test]
    fn the_text_names_the_longest_waits_and_counts_the_rest() {
        let digest = Digest {
            day: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            sla_seconds: 360,
            missed: 12,
            tickets: vec![
                MissedTicket {
                    ticket_id: TicketId(19),
                    guest_name: Some("Zoë".into()),
                    waited_seconds: 3840,
                    answered: false,
                    closed: false,
                },
                MissedTicket {
                    ticket_id: TicketId(17),
                    guest_name: None,
                    waited_seconds: 720,
                    answered: true,
                    closed: false,
                },
            ],
        };
        let body = webhook_body(AccountId(1), &digest);
        assert_eq!(
            body["text"],
            "Daily digest for 2026-12-02: 12 tickets were not answered within the SLA (6 min).\n\
             • ticket 19 (Zoë): no reply yet, waiting 1 h 4 min\n\
             • ticket 17 (a guest): first reply after 12 min\n… and 10 more."
        );
        assert_eq!(body["digest"]["missed"], 12);
        let quiet = Digest {
            missed: 0,
            tickets: vec![],
            ..digest
        };
        assert_eq!(
            webhook_body(AccountId(1), &quiet)["text"],
            "Daily digest for 2026-12-02: every ticket was answered within the SLA (6 min)."
        );
    }
}
