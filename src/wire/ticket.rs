//! A ticket and its messages as clients see them.

use crate::domain::channel::Channel;
use crate::domain::ids::{
    GuestId, ListingId, MessageId, ReservationId, ThreadId, TicketId, UserId,
};
use crate::domain::inbox::{Placement, View, Viewer};
use crate::domain::stage::{ReservationStatus, Stage};
use crate::domain::ticket::{Direction, TicketState};
use crate::store::tickets::{MessageRecord, TicketRecord};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// The wire shape of a ticket, with the inbox views it belongs to for the user receiving it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: TicketId,
    pub thread_id: ThreadId,
    pub state: TicketState,
    pub stage: Stage,
    pub channel: Channel,
    pub assignee_id: Option<UserId>,
    /// Who has it, by name (null while queued).
    pub assignee_name: Option<String>,
    pub unanswered: bool,
    pub created_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub awaiting_reply_since: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// A manager gave it to its assignee: it stays there until opened or moved by a manager.
    pub pinned: bool,
    pub guest: GuestView,
    pub reservation: Option<ReservationView>,
    /// The newest message, cut to 140 characters: the list's one-line preview.
    pub last_message: Option<MessagePreview>,
    /// When its newest message was sent (guest's or agent's), or its creation if later: the
    /// key of `sort=activity`.
    pub last_activity_at: DateTime<Utc>,
    /// The inbox views this ticket shows in for the receiving user (`domain::inbox`): the
    /// working tabs, then the guest views (`overbooking`, `waiting_refunds`, …).
    pub views: Vec<View>,
    /// The guest's mood on this ticket, 1–5 (the latest set wins), or null.
    #[schema(minimum = 1, maximum = 5)]
    pub mood: Option<i16>,
    /// Who set the mood: a user, or null when the bridge delivered it (or none is set).
    pub mood_set_by: Option<UserId>,
    pub mood_set_at: Option<DateTime<Utc>>,
    /// Parked until this time (`POST /tickets/{id}/follow-up`): out of the working tabs
    /// until then; null when not parked.
    pub follow_up_at: Option<DateTime<Utc>>,
    pub follow_up_note: Option<String>,
    /// In the `recently_confirmed` view only: the agents who replied to the guest before the
    /// reservation was confirmed, first replier first (absent elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replied_before_booking: Option<Vec<Replier>>,
}

/// An agent who replied.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Replier {
    pub id: UserId,
    pub name: String,
}

/// The start of a ticket's newest message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessagePreview {
    pub direction: Direction,
    pub body: String,
}

/// The guest of a ticket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GuestView {
    pub id: GuestId,
    pub name: String,
    pub language: Option<String>,
}

/// The reservation of a ticket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReservationView {
    pub id: ReservationId,
    pub external_id: String,
    pub status: ReservationStatus,
    pub listing_id: Option<ListingId>,
    pub listing: Option<String>,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
    /// In currency units (stored in cents).
    pub total_price: Option<f64>,
    pub currency: Option<String>,
    pub payment_status: Option<String>,
}

impl TicketView {
    /// The ticket as `viewer` receives it.
    pub fn new(t: TicketRecord, viewer: Viewer) -> TicketView {
        let placement = Placement {
            state: t.state,
            unanswered: t.unanswered,
            assignee: t.assignee_id,
            parked: t.follow_up_at.is_some(),
        };
        TicketView {
            id: t.id,
            thread_id: t.thread_id,
            state: t.state,
            stage: t.stage,
            channel: t.channel,
            assignee_id: t.assignee_id,
            assignee_name: t.assignee_name,
            unanswered: t.unanswered,
            created_at: t.created_at,
            assigned_at: t.assigned_at,
            opened_at: t.opened_at,
            first_response_at: t.first_response_at,
            awaiting_reply_since: t.awaiting_reply_since,
            closed_at: t.closed_at,
            pinned: t.pinned,
            guest: GuestView {
                id: t.guest.id,
                name: t.guest.name,
                language: t.guest.language,
            },
            reservation: t.reservation.map(|r| ReservationView {
                id: r.id,
                external_id: r.external_id,
                status: r.status,
                listing_id: r.listing_id,
                listing: r.listing,
                check_in: r.check_in,
                check_out: r.check_out,
                total_price: r.total_price_cents.map(|c| c as f64 / 100.0),
                currency: r.currency,
                payment_status: r.payment_status,
            }),
            last_message: t
                .last_message
                .map(|(direction, body)| MessagePreview { direction, body }),
            last_activity_at: t.last_activity_at,
            views: View::all_showing(placement, &t.guest_flags, viewer),
            mood: t.mood,
            mood_set_by: t.mood_set_by,
            mood_set_at: t.mood_set_at,
            follow_up_at: t.follow_up_at,
            follow_up_note: t.follow_up_note,
            replied_before_booking: None,
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: MessageId,
    /// Null for a backfilled (history) message, which belongs to its thread only.
    pub ticket_id: Option<TicketId>,
    pub direction: Direction,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    pub author_id: Option<UserId>,
    /// A reply's delivery to the guest's channel; absent on guest messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<super::outbound::MessageDeliveryView>,
}

impl From<MessageRecord> for MessageView {
    fn from(m: MessageRecord) -> MessageView {
        MessageView {
            id: m.id,
            ticket_id: m.ticket_id,
            direction: m.direction,
            body: m.body,
            sent_at: m.sent_at,
            author_id: m.author_id,
            delivery: m.delivery.map(Into::into),
        }
    }
}

/// One entry of a ticket's activity log (`GET /tickets/{id}/activity`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityEntry {
    pub at: DateTime<Utc>,
    /// `ticket.created`, `ticket.assigned` (with `reason`: new, rebalanced, agent_left,
    /// manager, follow_up, …), `ticket.unassigned`, `ticket.opened`, `ticket.replied`,
    /// `ticket.pending`, `ticket.done` or `ticket.follow_up` (parked until a follow-up).
    pub kind: String,
    pub reason: Option<String>,
    /// Whom it is about (the new assignee, the agent who replied…).
    pub agent_id: Option<UserId>,
    pub agent_name: Option<String>,
    /// Who did it; null for the system (dispatcher, ingest).
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
}

/// A ticket's activity log, oldest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityLog {
    pub items: Vec<ActivityEntry>,
}

impl From<crate::store::events::TicketEvent> for ActivityEntry {
    fn from(e: crate::store::events::TicketEvent) -> ActivityEntry {
        ActivityEntry {
            at: e.at,
            kind: e.kind,
            reason: e.reason,
            agent_id: e.agent_id,
            agent_name: e.agent_name,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
        }
    }
}
