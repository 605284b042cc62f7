//! Alerts for managers (SPEC §9): a watcher on every node raises what has come due (each kind
//! once per ticket, whichever node gets there first), pushes each new alert to the account's
//! managers as an `alert` frame, and POSTs it to the account's notification webhook when one
//! is set; managers list them and acknowledge them. The same watcher sends each account's
//! daily digest of missed tickets to that webhook, once a day. The rules of when an alert is due are in
//! `domain::alert`; nothing here moves a ticket.

use super::failure::{failure_from, Failure};
use super::outbound::Sender;
use crate::domain::alert::webhook_body;
use crate::domain::delivery::{Answer, DeliveryPolicy};
use crate::domain::digest;
use crate::domain::ids::{AccountId, AlertId};
use crate::session::frames::{EventFrame, ServerEvent};
use crate::session::hub::Hub;
use crate::store::{self, alerts::Alert, sessions::Identity};
use crate::wire::{Code, ErrorCode};
use serde::Serialize;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the watcher looks for alerts that have come due.
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// The most alerts one list answers (the newest).
const LIST_LIMIT: i64 = 200;

/// Why an alert operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("alert not found")]
    NotFound,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(AlertError);

impl ErrorCode for AlertError {
    fn code(&self) -> Code {
        match self {
            AlertError::NotFound => Code::NotFound,
            AlertError::Failure(f) => f.code(),
        }
    }
}

/// A list of alerts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertList {
    pub items: Vec<Alert>,
    /// Always `null`: the newest 200 are listed.
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<String>,
}

/// Lists, acknowledges and raises alerts.
#[derive(Clone)]
pub struct Alerts {
    pool: PgPool,
    hub: Arc<Hub>,
    sender: Arc<Sender>,
}

impl Alerts {
    pub fn new(
        pool: PgPool,
        hub: Arc<Hub>,
        policy: &DeliveryPolicy,
    ) -> Result<Alerts, reqwest::Error> {
        Ok(Alerts {
            pool,
            hub,
            sender: Arc::new(Sender::new(policy)?),
        })
    }

    /// The account's alerts, newest first; only unacknowledged ones when `open_only`.
    pub async fn list(&self, who: &Identity, open_only: bool) -> Result<AlertList, AlertError> {
        let items = store::alerts::list(&self.pool, who.account_id, open_only, LIST_LIMIT).await?;
        Ok(AlertList {
            items,
            next_cursor: None,
        })
    }

    /// Acknowledges one of the account's alerts; acknowledging twice keeps the first time.
    pub async fn ack(&self, who: &Identity, id: AlertId) -> Result<Alert, AlertError> {
        store::alerts::ack(&self.pool, who.account_id, id, who.user_id)
            .await?
            .ok_or(AlertError::NotFound)
    }

    /// Starts this node's watcher; [`AlertWatcher::stop`] ends it.
    pub fn start_watcher(&self) -> AlertWatcher {
        let (stop, mut stopped) = watch::channel(false);
        let alerts = self.clone();
        let task = tokio::spawn(async move {
            while !*stopped.borrow() {
                if let Err(e) = alerts.raise_due().await {
                    tracing::warn!(error = %e, "could not look for due alerts");
                }
                if let Err(e) = alerts.send_digests().await {
                    tracing::warn!(error = %e, "could not look for due digests");
                }
                tokio::select! {
                    () = tokio::time::sleep(WATCH_EVERY) => {}
                    changed = stopped.changed() => if changed.is_err() { break },
                }
            }
        });
        AlertWatcher { stop, task }
    }

    /// Raises what has come due, pushes each new alert to the account's managers and sends it
    /// to the account's webhook, if any.
    async fn raise_due(&self) -> Result<(), sqlx::Error> {
        for (account_id, alert) in store::alerts::raise_due(&self.pool).await? {
            tracing::info!(%account_id, kind = alert.kind.as_str(), ticket_id = ?alert.ticket_id, "alert raised");
            match EventFrame::new(&ServerEvent::Alert {
                alert: alert.clone(),
            }) {
                Ok(frame) => self.hub.push_to_managers(account_id, &frame),
                Err(e) => tracing::error!(error = %e, "an alert frame did not serialise"),
            }
            self.notify(account_id, alert).await?;
        }
        Ok(())
    }

    /// Sends yesterday's digest (`domain::digest`) to every account's webhook that has not had
    /// it, once across nodes.
    async fn send_digests(&self) -> Result<(), sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        for (account_id, url, digest) in store::digests::claim_due(&mut conn).await? {
            tracing::info!(%account_id, day = %digest.day, missed = digest.missed, "daily digest");
            self.post(
                account_id,
                url,
                digest::webhook_body(account_id, &digest),
                "a digest",
            );
        }
        Ok(())
    }

    /// POSTs the alert to the account's notification webhook, if it has one.
    async fn notify(&self, account_id: AccountId, alert: Alert) -> Result<(), sqlx::Error> {
        let Some(account) = store::accounts::get(&self.pool, account_id).await? else {
            return Ok(());
        };
        let Some(url) = account.settings.notification_webhook_url else {
            return Ok(());
        };
        let body = webhook_body(
            account_id,
            alert.kind,
            alert.ticket_id,
            &serde_json::to_value(&alert).unwrap_or_default(),
        );
        self.post(account_id, url, body, "an alert");
        Ok(())
    }

    /// POSTs `body` to a notification webhook, once, in the background: a chat webhook that
    /// is down must not hold up the next alerts.
    fn post(
        &self,
        account_id: AccountId,
        url: String,
        body: serde_json::Value,
        what: &'static str,
    ) {
        let sender = self.sender.clone();
        tokio::spawn(async move {
            match sender.notify(&url, &body.to_string()).await {
                Answer::Status { code, .. } if (200..300).contains(&code) => {}
                other => {
                    tracing::warn!(%account_id, answer = ?other, "the notification webhook did not take {what}")
                }
            }
        });
    }
}

/// A node's running alert watcher.
pub struct AlertWatcher {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AlertWatcher {
    /// Stops looking for alerts, waiting at most `limit` for a pass in progress.
    pub async fn stop(self, limit: Duration) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(limit, self.task).await;
    }
}
