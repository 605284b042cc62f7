//! What bridges and managers see of outbound delivery (SPEC §9): connections (the secret only
//! in the answer that creates one), deliveries, a reply's delivery status, and the
//! `message.created` webhook body that the push and the pull feed share.

use crate::domain::channel::Channel;
use crate::domain::delivery::DeliveryStatus;
use crate::domain::ids::{ConnectionId, DeliveryId, MessageId, ThreadId, TicketId, UserId};
use crate::store::outbound::{ConnectionRecord, DeliveryRecord, ReplyEventRecord};
use crate::store::tickets::MessageDelivery;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A channel connection (`GET /connections`): never its secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub id: ConnectionId,
    pub name: String,
    /// Empty: every channel.
    pub channels: Vec<Channel>,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

impl From<ConnectionRecord> for ConnectionView {
    fn from(c: ConnectionRecord) -> ConnectionView {
        ConnectionView {
            id: c.id,
            name: c.name,
            channels: c.channels,
            url: c.url,
            created_at: c.created_at,
        }
    }
}

/// A connection just created, with its signing secret (shown this once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedConnection {
    #[serde(flatten)]
    pub connection: ConnectionView,
    pub secret: String,
}

/// One delivery to a connection (`GET /connections/{id}/deliveries`, and the answer of
/// `POST /connections/{id}/test`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: DeliveryId,
    /// `message.created` or `connection.test`.
    pub event: String,
    pub message_id: Option<MessageId>,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    /// The receiver's last HTTP status, if it answered at all.
    pub status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(d: DeliveryRecord) -> DeliveryView {
        DeliveryView {
            id: d.id,
            event: d.event,
            message_id: d.message_id,
            status: d.status,
            attempts: d.attempts,
            status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at,
            updated_at: d.updated_at,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

/// A reply's delivery, on its message: `queued → sent → delivered | failed`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageDeliveryView {
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
}

impl From<MessageDelivery> for MessageDeliveryView {
    fn from(d: MessageDelivery) -> MessageDeliveryView {
        MessageDeliveryView {
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
        }
    }
}

/// The event type of a reply.
pub const MESSAGE_CREATED: &str = "message.created";

/// The facts of a reply that a bridge needs to send it on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplyData {
    pub message_id: MessageId,
    pub ticket_id: TicketId,
    pub thread_id: ThreadId,
    pub channel: Channel,
    pub thread_external_id: String,
    pub guest_external_id: String,
    pub reservation_external_id: Option<String>,
    pub body: String,
    pub author_id: Option<UserId>,
    pub sent_at: DateTime<Utc>,
}

impl From<ReplyEventRecord> for ReplyData {
    fn from(r: ReplyEventRecord) -> ReplyData {
        ReplyData {
            message_id: r.message_id,
            ticket_id: r.ticket_id,
            thread_id: r.thread_id,
            channel: r.channel,
            thread_external_id: r.thread_external_id,
            guest_external_id: r.guest_external_id,
            reservation_external_id: r.reservation_external_id,
            body: r.body,
            author_id: r.author_id,
            sent_at: r.sent_at,
        }
    }
}

/// A webhook body (Standard Webhooks): `{type, timestamp, data}`.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookBody<T: Serialize> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub timestamp: DateTime<Utc>,
    pub data: T,
}

impl WebhookBody<ReplyData> {
    /// The `message.created` body of a reply; its timestamp is when the reply was sent, so
    /// every retry carries the same bytes.
    pub fn reply(record: ReplyEventRecord) -> WebhookBody<ReplyData> {
        WebhookBody {
            kind: MESSAGE_CREATED,
            timestamp: record.sent_at,
            data: ReplyData::from(record),
        }
    }
}

/// The `webhook-id` of a reply: the same on every retry, and the same in the pull feed, so a
/// bridge that sees it twice knows it is one reply.
pub fn reply_webhook_id(message_id: MessageId) -> String {
    format!("msg_{message_id}")
}

/// One item of the pull feed (`GET /outbound`): the push's id, type and data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedItem {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub data: ReplyData,
}

impl From<ReplyEventRecord> for FeedItem {
    fn from(r: ReplyEventRecord) -> FeedItem {
        FeedItem {
            id: reply_webhook_id(r.message_id),
            kind: MESSAGE_CREATED,
            data: ReplyData::from(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::SigningSecret;

    /// The worked example of the README's "Building a channel bridge": these exact bytes and
    /// this signature.
    #[test]
    fn the_readme_example_is_what_the_server_sends() {
        let sent_at: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().unwrap();
        let record = ReplyEventRecord {
            message_id: MessageId(1042),
            ticket_id: TicketId(311),
            thread_id: ThreadId(97),
            channel: Channel::parse("airbnb").unwrap(),
            thread_external_id: "t-1".into(),
            guest_external_id: "g-1".into(),
            reservation_external_id: Some("r-1".into()),
            body: "Yes, it is!".into(),
            author_id: Some(UserId(5)),
            sent_at,
        };
        let body = serde_json::to_string(&WebhookBody::reply(record)).unwrap();
        assert_eq!(
            body,
            r#"{"type":"message.created","timestamp":"2026-12-02T10:00:00Z","data":{"message_id":"1042","ticket_id":"311","thread_id":"97","channel":"airbnb","thread_external_id":"t-1","guest_external_id":"g-1","reservation_external_id":"r-1","body":"Yes, it is!","author_id":"5","sent_at":"2026-12-02T10:00:00Z"}}"#
        );
        let secret =
            SigningSecret::parse("whsec_c3dpdGNoYm9hcmQtZXhhbXBsZS1zaWduaW5nLWtleSE=").unwrap();
        let id = reply_webhook_id(MessageId(1042));
        assert_eq!(id, "msg_1042");
        assert_eq!(
            secret.sign(&id, 1_796_205_600, &body),
            "v1,mx8OrL8k1z8ovqYBobbtCFJZkUqwplz+o578ZyqPNqk="
        );
    }
}
