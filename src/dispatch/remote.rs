//! What reaches an account's dispatcher from a node that does not hold its lease, and the
//! answers that go back, as PostgreSQL notifications (issue 12).
//!
//! Three channels, each listened to by every node on one connection:
//! - [`EVENTS`]: `"{account_id} {json}"`, a [`Forwarded`] event or ask. The node holding the
//!   account's lease hands it to its dispatcher; the others stop reading at the number.
//! - [`ANSWERS`]: an [`Answered`], for the node that asked.
//! - [`RELEASED`]: a node let go of its leases (a graceful stop); the others take them over now
//!   instead of when they lapse.
//!
//! Why PostgreSQL and not Redis: the facts these events announce are already committed there,
//! a notification sent inside the committing transaction (as ingest does) is delivered exactly
//! when the fact commits, and a node that takes a lease over rebuilds from the same rows. So
//! nothing here needs a replay: a notification nobody heard is covered by that rebuild.

use super::messages::{
    AgentChanged, AssignTicket, ClaimTicket, DispatchRefusal, FollowUpDue, OffersFor,
    RecheckAgentAfter, SettingsChanged, TicketChanged, TicketCreated,
};
use super::Dispatcher;
use crate::domain::ids::{AccountId, TicketId};
use actix::Addr;
use serde::{Deserialize, Serialize};

/// Events and asks for the lease holder.
pub const EVENTS: &str = "switchboard_dispatch";
/// Answers to asks, for the node that asked.
pub const ANSWERS: &str = "switchboard_dispatch_answers";
/// A node let go of its leases.
pub const RELEASED: &str = "switchboard_leases_released";

/// The most ticket ids an `offers_for` answer carries: a notification holds at most 8,000
/// bytes. Broadcast offers are a handful at a time; past this a snapshot shows fewer.
const MAX_OFFERS: usize = 400;

/// Something a dispatcher is told; it answers nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    TicketCreated(TicketCreated),
    TicketChanged(TicketChanged),
    FollowUpDue(FollowUpDue),
    AgentChanged(AgentChanged),
    RecheckAgentAfter(RecheckAgentAfter),
    SettingsChanged,
}

impl Event {
    /// Hands the event to a dispatcher of this node.
    pub fn deliver(self, to: &Addr<Dispatcher>) {
        match self {
            Event::TicketCreated(m) => to.do_send(m),
            Event::TicketChanged(m) => to.do_send(m),
            Event::FollowUpDue(m) => to.do_send(m),
            Event::AgentChanged(m) => to.do_send(m),
            Event::RecheckAgentAfter(m) => to.do_send(m),
            Event::SettingsChanged => to.do_send(SettingsChanged),
        }
    }
}

macro_rules! events_from {
    ($($message:ident),*) => {$(
        impl From<$message> for Event {
            fn from(m: $message) -> Event {
                Event::$message(m)
            }
        }
    )*};
}
events_from!(
    TicketCreated,
    TicketChanged,
    FollowUpDue,
    AgentChanged,
    RecheckAgentAfter
);

impl From<SettingsChanged> for Event {
    fn from(_: SettingsChanged) -> Event {
        Event::SettingsChanged
    }
}

/// Something a dispatcher is asked, whose answer the caller waits for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum Ask {
    Assign(AssignTicket),
    Claim(ClaimTicket),
    OffersFor(OffersFor),
}

/// What a dispatcher answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Done(Result<(), DispatchRefusal>),
    Offers(Vec<TicketId>),
}

impl Ask {
    /// Asks a dispatcher of this node.
    pub async fn put_to(self, dispatcher: &Addr<Dispatcher>) -> Answer {
        let unavailable = |_| Err(DispatchRefusal::Unavailable);
        match self {
            Ask::Assign(m) => Answer::Done(dispatcher.send(m).await.unwrap_or_else(unavailable)),
            Ask::Claim(m) => Answer::Done(dispatcher.send(m).await.unwrap_or_else(unavailable)),
            Ask::OffersFor(m) => Answer::Offers(dispatcher.send(m).await.unwrap_or_default()),
        }
    }
}

/// What goes over [`EVENTS`] after the account id.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forwarded {
    Event(Event),
    /// `id` numbers the asks of node `from`, whose answer it matches.
    Ask {
        ask: Ask,
        from: String,
        id: u64,
    },
}

impl Forwarded {
    /// The notification payload for `account_id`'s dispatcher.
    pub fn payload(&self, account_id: AccountId) -> Result<String, serde_json::Error> {
        Ok(format!("{account_id} {}", serde_json::to_string(self)?))
    }
}

/// The account a payload on [`EVENTS`] is for, and the rest, unparsed.
pub fn addressee(payload: &str) -> Option<(AccountId, &str)> {
    let (account, rest) = payload.split_once(' ')?;
    Some((account.parse().ok()?, rest))
}

/// What goes over [`ANSWERS`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answered {
    /// The node that asked.
    pub to: String,
    pub id: u64,
    pub answer: Answer,
}

impl Answered {
    /// The answer for node `to`'s ask `id`, cut to what one notification holds (only a
    /// node elsewhere sees fewer offers, never this node's own asks).
    pub fn new(to: String, id: u64, mut answer: Answer) -> Answered {
        if let Answer::Offers(offers) = &mut answer {
            offers.truncate(MAX_OFFERS);
        }
        Answered { to, id, answer }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::Mismatch;
    use crate::domain::dispatch::Refusal;
    use crate::domain::ids::UserId;

    #[test]
    fn a_forwarded_ask_reads_back_as_sent_and_names_its_account_first() {
        let sent = Forwarded::Ask {
            ask: Ask::Assign(AssignTicket {
                ticket_id: TicketId(7),
                agent_id: UserId(3),
                manager_id: UserId(1),
                force: false,
            }),
            from: "node a".into(),
            id: 42,
        };
        let payload = sent.payload(AccountId(12)).unwrap();
        let (account, rest) = addressee(&payload).unwrap();
        assert_eq!(account, AccountId(12));
        let read: Forwarded = serde_json::from_str(rest).unwrap();
        assert!(matches!(
            read,
            Forwarded::Ask { ask: Ask::Assign(a), from, id: 42 } if a.ticket_id == TicketId(7) && from == "node a"
        ));
    }

    #[test]
    fn refusals_cross_nodes_with_their_detail() {
        for refusal in [
            DispatchRefusal::Refused(Refusal::CardMismatch(vec![Mismatch::Stage])),
            DispatchRefusal::Refused(Refusal::NotPossible("no longer on offer".into())),
            DispatchRefusal::Unavailable,
        ] {
            let answered = Answered {
                to: "b".into(),
                id: 1,
                answer: Answer::Done(Err(refusal.clone())),
            };
            let read: Answered =
                serde_json::from_str(&serde_json::to_string(&answered).unwrap()).unwrap();
            assert_eq!(read.answer, Answer::Done(Err(refusal)));
        }
    }

    #[test]
    fn only_an_answer_for_another_node_is_cut_to_what_a_notification_holds() {
        let many: Vec<TicketId> = (0..1_000).map(TicketId).collect();
        let answered = Answered::new("b".into(), 1, Answer::Offers(many));
        assert_eq!(
            answered.answer,
            Answer::Offers((0..400).map(TicketId).collect())
        );
        assert!(serde_json::to_string(&answered).unwrap().len() < 8_000);
    }

    #[test]
    fn a_payload_without_an_account_is_nobodys() {
        assert_eq!(addressee("{\"event\":{}}"), None);
        assert_eq!(addressee("x {}"), None);
    }
}
