//! Replies reach the guest (issue 17, SPEC §9): channel connections (where a bridge wants our
//! replies, and the secret we sign them with), the delivery worker that sends the outbox, the
//! bridges' reports (`/ingest/deliveries`), the pull feed for bridges that cannot receive
//! webhooks, and a manual retry of a failed reply. A reply's deliveries are queued by the
//! ticket actions in the reply's own statement ([`crate::store::ticket_actions`]);
//! nothing here sends anything that was not stored first.

mod outcomes;
mod receipts;
mod sender;
mod worker;

use outcomes::{Outcome, Outcomes};
pub use receipts::{Receipt, Receipts};
pub use sender::Sender;
pub use worker::DeliveryWorker;

use super::auth::KeyHolder;
use super::failure::{failure_from, Failure};
use crate::domain::channel::Channel;
use crate::domain::delivery::{
    judge, Answer, DeliveryPolicy, DeliveryStatus, SigningSecret, UrlRefusal, Verdict,
};
use crate::domain::ids::{AccountId, ConnectionId, MessageId, TicketId, UserId};
use crate::domain::user::Role;
use crate::metrics::Metrics;
use crate::session::frames::{EventFrame, ServerEvent};
use crate::session::hub::Hub;
use crate::store::{self, held::HeldConnection, sessions::Identity, tickets::MessageRecord};
use crate::wire::outbound::{
    ConnectionView, CreatedConnection, DeliveryView, FeedItem, WebhookBody,
};
use crate::wire::{Code, ErrorCode, MessageView};
use chrono::Utc;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::Notify;

/// The longest connection name, delivery URL and reported error accepted.
const MAX_NAME_CHARS: usize = 100;
const MAX_URL_CHARS: usize = 2_000;
const MAX_ERROR_CHARS: usize = 1_000;
/// The most deliveries `GET /connections/{id}/deliveries` lists.
const RECENT_DELIVERIES: i64 = 50;

/// Why an outbound operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    UrlRefused(#[from] UrlRefusal),
    #[error("the cursor is not one this API gave out")]
    InvalidCursor,
    #[error("only a manager, the reply's author or the ticket's assignee may retry it")]
    NotYours,
    #[error("only a failed reply can be retried")]
    NotFailed,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(OutboundError);

impl ErrorCode for OutboundError {
    fn code(&self) -> Code {
        match self {
            OutboundError::NotFound => Code::NotFound,
            OutboundError::Invalid(_) => Code::InvalidInput,
            OutboundError::UrlRefused(_) => Code::DeliveryUrlRefused,
            OutboundError::InvalidCursor => Code::InvalidCursor,
            OutboundError::NotYours => Code::Forbidden,
            OutboundError::NotFailed => Code::InvalidState,
            OutboundError::Failure(f) => f.code(),
        }
    }
}

/// Wakes this node's delivery worker when a reply was queued, so the first attempt does not
/// wait for the next poll.
#[derive(Clone, Default)]
pub struct DeliveryBell(Arc<Notify>);

impl DeliveryBell {
    pub fn ring(&self) {
        self.0.notify_one();
    }
}

/// `POST /connections`, as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    pub name: String,
    #[serde(default)]
    pub channels: Vec<String>,
    pub url: String,
}

/// `PATCH /connections/{id}`, as sent: only what is given changes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    pub name: Option<String>,
    pub channels: Option<Vec<String>>,
    pub url: Option<String>,
}

/// `POST /ingest/deliveries`, as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryReport {
    pub message_id: MessageId,
    pub status: String,
    pub error: Option<String>,
}

/// A page of the pull feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Feed {
    pub items: Vec<FeedItem>,
    /// Pass as `after` next time; null when this page is empty (keep the cursor you have).
    pub next_cursor: Option<String>,
}

/// A list of connections or deliveries, in the SPEC's list shape (these lists are short and
/// never continue, so `next_cursor` is always null).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Items<T> {
    fn all(items: Vec<T>) -> Items<T> {
        Items {
            items,
            next_cursor: None,
        }
    }
}

/// The outbound capability.
#[derive(Clone)]
pub struct Outbound {
    pool: PgPool,
    hub: Arc<Hub>,
    sender: Arc<Sender>,
    policy: DeliveryPolicy,
    bell: DeliveryBell,
    receipts: Receipts,
    outcomes: Outcomes,
}

fn name_of(raw: &str) -> Result<String, OutboundError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.contains('\0') {
        return Err(OutboundError::Invalid(format!(
            "the name must have 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_string())
}

fn channels_of(raw: &[String]) -> Result<Vec<Channel>, OutboundError> {
    if raw.len() > 50 {
        return Err(OutboundError::Invalid("at most 50 channels".into()));
    }
    let mut channels = raw
        .iter()
        .map(|c| Channel::parse(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(OutboundError::Invalid)?;
    channels.sort();
    channels.dedup();
    Ok(channels)
}

/// A reply as a delivery's outcome or a bridge's report left it, its ticket, and who hears
/// of it (the ticket's assignee and the reply's author): what [`announce`] sends.
pub type Announced = (MessageRecord, TicketId, Vec<UserId>);

/// Sends `message.updated` to everyone in `to`, on whichever node they are connected.
pub(crate) fn announce(
    hub: &Hub,
    account_id: AccountId,
    ticket_id: TicketId,
    to: &[UserId],
    message: MessageRecord,
) {
    let event = ServerEvent::MessageUpdated {
        ticket_id,
        message: MessageView::from(message),
    };
    match EventFrame::new(&event) {
        Ok(frame) => to
            .iter()
            .for_each(|user| hub.push(account_id, *user, &frame)),
        Err(e) => tracing::warn!(error = %e, "message.updated could not be encoded"),
    }
}

impl Outbound {
    /// Builds the capability and its HTTP client (which fails only if TLS cannot start).
    pub fn new(
        pool: PgPool,
        hub: Arc<Hub>,
        policy: DeliveryPolicy,
        metrics: Arc<Metrics>,
    ) -> Result<Outbound, reqwest::Error> {
        Ok(Outbound {
            receipts: Receipts::start(pool.clone(), metrics.clone()),
            outcomes: Outcomes::start(pool.clone(), metrics),
            pool,
            hub,
            sender: Arc::new(Sender::new(&policy)?),
            policy,
            bell: DeliveryBell::default(),
        })
    }

    /// What ticket actions ring after committing a reply.
    pub fn bell(&self) -> DeliveryBell {
        self.bell.clone()
    }

    /// Starts this node's delivery worker.
    pub fn start_worker(&self) -> DeliveryWorker {
        DeliveryWorker::start(worker::Courier {
            claims: tokio::sync::Mutex::new(HeldConnection::with_session(
                self.pool.clone(),
                store::UNFLUSHED_PROBING_SESSION,
            )),
            hub: self.hub.clone(),
            sender: self.sender.clone(),
            policy: self.policy,
            bell: self.bell.clone(),
            outcomes: self.outcomes.clone(),
        })
    }

    async fn url_of(&self, raw: &str) -> Result<String, OutboundError> {
        if raw.chars().count() > MAX_URL_CHARS {
            return Err(OutboundError::Invalid(format!(
                "the URL must have at most {MAX_URL_CHARS} characters"
            )));
        }
        Ok(self.sender.check_url(raw).await?.as_str().to_string())
    }

    /// A new connection, with a fresh signing secret shown only in this answer.
    #[tracing::instrument(skip(self, who, input), fields(account_id = %who.account_id))]
    pub async fn create(
        &self,
        who: &Identity,
        input: &NewConnection,
    ) -> Result<CreatedConnection, OutboundError> {
        let name = name_of(&input.name)?;
        let channels = channels_of(&input.channels)?;
        let url = self.url_of(&input.url).await?;
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let secret = SigningSecret::from_key(&key);
        let record = store::outbound::insert_connection(
            &self.pool,
            who.account_id,
            &name,
            &channels,
            &url,
            secret.as_str(),
        )
        .await?;
        Ok(CreatedConnection {
            connection: record.into(),
            secret: secret.as_str().to_string(),
        })
    }

    /// The account's connections (never their secrets).
    pub async fn list(&self, who: &Identity) -> Result<Items<ConnectionView>, OutboundError> {
        let records = store::outbound::connections(&self.pool, who.account_id).await?;
        Ok(Items::all(records.into_iter().map(Into::into).collect()))
    }

    /// Changes a connection's name, channels or URL.
    #[tracing::instrument(skip(self, who, patch), fields(account_id = %who.account_id))]
    pub async fn update(
        &self,
        who: &Identity,
        id: ConnectionId,
        patch: &ConnectionPatch,
    ) -> Result<ConnectionView, OutboundError> {
        let name = patch.name.as_deref().map(name_of).transpose()?;
        let channels = patch.channels.as_deref().map(channels_of).transpose()?;
        let url = match &patch.url {
            Some(raw) => Some(self.url_of(raw).await?),
            None => None,
        };
        store::outbound::update_connection(
            &self.pool,
            who.account_id,
            id,
            name.as_deref(),
            channels.as_deref(),
            url.as_deref(),
        )
        .await?
        .map(Into::into)
        .ok_or(OutboundError::NotFound)
    }

    /// Deletes a connection; replies that were waiting only for it are marked failed.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id))]
    pub async fn delete(&self, who: &Identity, id: ConnectionId) -> Result<(), OutboundError> {
        let mut tx = self.pool.begin().await?;
        if !store::outbound::delete_connection(&mut tx, who.account_id, id).await? {
            return Err(OutboundError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sends a signed `connection.test` event now (no retries) and answers how it went.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id))]
    pub async fn test(
        &self,
        who: &Identity,
        id: ConnectionId,
    ) -> Result<DeliveryView, OutboundError> {
        let connection = store::outbound::connection(&self.pool, who.account_id, id)
            .await?
            .ok_or(OutboundError::NotFound)?;
        let body = WebhookBody {
            kind: "connection.test",
            timestamp: Utc::now(),
            data: json!({
                "connection_id": connection.id,
                "message": "A test event from Switchboard: your bridge receives and verifies our webhooks.",
            }),
        };
        let answer = match (
            serde_json::to_string(&body),
            SigningSecret::parse(&connection.secret),
        ) {
            (Ok(body), Ok(secret)) => {
                let webhook_id = format!("test_{}", hex::encode(rand::random::<[u8; 12]>()));
                self.sender
                    .send(&connection.url, &secret, &webhook_id, &body)
                    .await
            }
            (Err(e), _) => Answer::Refused(format!("the test event could not be encoded: {e}")),
            (_, Err(e)) => Answer::Refused(format!("the connection's secret is unusable: {e}")),
        };
        let code = match answer {
            Answer::Status { code, .. } => Some(code),
            _ => None,
        };
        let (sent, error) = match judge(&answer) {
            Verdict::Accepted => (true, None),
            Verdict::Retry { reason, .. } | Verdict::Fail { reason } => (false, Some(reason)),
        };
        let record = store::outbound::insert_test_delivery(
            &self.pool,
            who.account_id,
            id,
            sent,
            code,
            error.as_deref(),
        )
        .await?;
        Ok(record.into())
    }

    /// A connection's latest deliveries, newest first.
    pub async fn deliveries(
        &self,
        who: &Identity,
        id: ConnectionId,
    ) -> Result<Items<DeliveryView>, OutboundError> {
        store::outbound::connection(&self.pool, who.account_id, id)
            .await?
            .ok_or(OutboundError::NotFound)?;
        let records =
            store::outbound::recent_deliveries(&self.pool, who.account_id, id, RECENT_DELIVERIES)
                .await?;
        Ok(Items::all(records.into_iter().map(Into::into).collect()))
    }

    /// A bridge says a reply reached the guest (`delivered`) or could not (`failed`).
    #[tracing::instrument(skip(self, key, report), fields(account_id = %key.account_id))]
    pub async fn report(
        &self,
        key: &KeyHolder,
        report: &DeliveryReport,
    ) -> Result<MessageView, OutboundError> {
        let status = match report.status.as_str() {
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            _ => {
                return Err(OutboundError::Invalid(
                    "`status` must be delivered or failed".into(),
                ))
            }
        };
        let error = report
            .error
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        if error.is_some_and(|e| e.chars().count() > MAX_ERROR_CHARS || e.contains('\0')) {
            return Err(OutboundError::Invalid(format!(
                "`error` must have at most {MAX_ERROR_CHARS} characters"
            )));
        }
        let receipt = Receipt {
            account_id: key.account_id,
            message_id: report.message_id,
            status,
            error: error.map(str::to_string),
        };
        let (message, ticket_id, to) = self
            .receipts
            .store(receipt)
            .await?
            .ok_or(OutboundError::NotFound)?;
        announce(&self.hub, key.account_id, ticket_id, &to, message.clone());
        Ok(MessageView::from(message))
    }

    /// The account's replies after `after` (a cursor from an earlier page; none: from the
    /// first), oldest first, in the webhook's shape.
    pub async fn feed(
        &self,
        account_id: AccountId,
        after: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Feed, OutboundError> {
        let after = match after.map(str::trim).filter(|a| !a.is_empty()) {
            Some(raw) => raw.parse().map_err(|_| OutboundError::InvalidCursor)?,
            None => MessageId(0),
        };
        let limit = match limit {
            None => 100,
            Some(n @ 1..=500) => n,
            Some(_) => {
                return Err(OutboundError::Invalid(
                    "`limit` must be between 1 and 500".into(),
                ))
            }
        };
        let records =
            store::outbound::reply_events_after(&self.pool, account_id, after, limit).await?;
        let next_cursor = records.last().map(|r| r.message_id.to_string());
        Ok(Feed {
            items: records.into_iter().map(FeedItem::from).collect(),
            next_cursor,
        })
    }

    /// Sends a failed reply again (a manager, its author or the ticket's assignee).
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn retry(
        &self,
        who: &Identity,
        message_id: MessageId,
    ) -> Result<MessageView, OutboundError> {
        let current = store::tickets::messages(&self.pool, who.account_id, &[message_id])
            .await?
            .pop()
            .filter(|m| m.delivery.is_some())
            .ok_or(OutboundError::NotFound)?;
        let (_, audience) = store::outbound::audience(&self.pool, current.id)
            .await?
            .ok_or(OutboundError::NotFound)?;
        if who.role != Role::Manager && !audience.contains(&who.user_id) {
            return Err(OutboundError::NotYours);
        }
        let mut tx = self.pool.begin().await?;
        if !store::outbound::requeue_failed(&mut tx, who.account_id, message_id).await? {
            return Err(OutboundError::NotFailed);
        }
        tx.commit().await?;
        // Read (and announce) the requeued reply before waking the worker: woken first, it
        // could send the reply before the read, and the retry would answer `sent`.
        let requeued = self.announce_current(who.account_id, message_id).await;
        self.bell.ring();
        requeued
    }

    /// Reads a reply as it is now, pushes it as `message.updated`, and answers it.
    async fn announce_current(
        &self,
        account_id: AccountId,
        message_id: MessageId,
    ) -> Result<MessageView, OutboundError> {
        let message = store::tickets::messages(&self.pool, account_id, &[message_id])
            .await?
            .pop()
            .ok_or(OutboundError::NotFound)?;
        if let Some((ticket_id, to)) = store::outbound::audience(&self.pool, message_id).await? {
            announce(&self.hub, account_id, ticket_id, &to, message.clone());
        }
        Ok(MessageView::from(message))
    }
}
