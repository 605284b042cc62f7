//! The node's three background loops for dispatcher leases (issue 12):
//! - **keep**: renews this node's leases at half their TTL (forgetting any another node took
//!   over), takes over lapsed ones (every second, or at once when a node says it let go of
//!   its own), and forgets a lease a dispatcher found gone at commit;
//! - **listen**: one PostgreSQL connection listening to [`remote`]'s channels, handing
//!   forwarded events and asks to this node's dispatchers and answers to this node's askers;
//! - **forward**: sends what this node tells other nodes' dispatchers, in order, many per
//!   statement.

use super::remote::{self, Answered, Forwarded};
use super::{lock, Dispatchers};
use crate::domain::ids::AccountId;
use crate::store::leases::{self, Held};
use sqlx::postgres::{PgListener, PgNotification};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

/// The longest between two looks for lapsed leases.
const SCAN_AT_LEAST_EVERY: Duration = Duration::from_secs(1);
/// The most lapsed leases one look takes, so a node that comes back does not take every
/// account of a dead node before the others look.
const TAKE_AT_ONCE: i64 = 16;
/// The most events one statement forwards.
const FORWARD_AT_ONCE: usize = 256;
/// How long a failed listener connection waits before connecting again.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

/// The loops of one node; stopping aborts them.
pub(super) struct Running {
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

pub(super) fn start(
    dispatchers: &Arc<Dispatchers>,
    lost: mpsc::UnboundedReceiver<Held>,
    forwarding: mpsc::UnboundedReceiver<(AccountId, super::remote::Event)>,
) -> Running {
    let wake = Arc::new(Notify::new());
    let weak = Arc::downgrade(dispatchers);
    Running {
        tasks: vec![
            tokio::spawn(keep(weak.clone(), lost, wake.clone())),
            tokio::spawn(listen(weak.clone(), wake)),
            tokio::spawn(forward(weak, forwarding)),
        ],
    }
}

async fn keep(
    dispatchers: Weak<Dispatchers>,
    mut lost: mpsc::UnboundedReceiver<Held>,
    wake: Arc<Notify>,
) {
    let Some(ttl) = dispatchers.upgrade().map(|d| d.leases.ttl) else {
        return;
    };
    let scan_every = SCAN_AT_LEAST_EVERY.min(ttl / 4);
    let mut renewed = Instant::now();
    loop {
        tokio::select! {
            () = tokio::time::sleep(scan_every) => {}
            () = wake.notified() => {}
            Some(held) = lost.recv() => {
                if let Some(d) = dispatchers.upgrade() {
                    d.lost(held);
                }
                continue;
            }
        }
        let Some(d) = dispatchers.upgrade() else {
            return;
        };
        if renewed.elapsed() >= ttl / 2 {
            renewed = Instant::now();
            renew(&d).await;
        }
        take_lapsed(&d).await;
    }
}

async fn renew(d: &Dispatchers) {
    let held = d.held();
    if held.is_empty() {
        return;
    }
    match leases::renew(&d.pool, &d.leases.node, &held, d.leases.ttl).await {
        Ok(gone) => {
            for held in held.iter().filter(|h| gone.contains(&h.account_id)) {
                d.lost(*held);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not renew the dispatcher leases; they lapse unless the next renewal succeeds")
        }
    }
}

async fn take_lapsed(d: &Dispatchers) {
    match leases::take_lapsed(&d.pool, &d.leases.node, d.leases.ttl, TAKE_AT_ONCE).await {
        Ok(taken) => {
            for held in taken {
                tracing::info!(account_id = %held.account_id, epoch = held.epoch, "took over the account's dispatcher");
                d.shared.metrics.lease_taken_over();
                d.run_here(held);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not look for lapsed dispatcher leases"),
    }
}

async fn listen(dispatchers: Weak<Dispatchers>, wake: Arc<Notify>) {
    loop {
        let Some(pool) = dispatchers.upgrade().map(|d| d.pool.clone()) else {
            return;
        };
        let listener = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener
                .listen_all([remote::EVENTS, remote::ANSWERS, remote::RELEASED])
                .await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = match listener.await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "could not listen for other nodes' dispatch events");
                tokio::time::sleep(RELISTEN_AFTER).await;
                continue;
            }
        };
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    let Some(d) = dispatchers.upgrade() else {
                        return;
                    };
                    heard(&d, &notification, &wake);
                }
                Ok(None) => {
                    // The connection dropped and is made again on the next call: whatever
                    // was sent meanwhile is lost, so this node's dispatchers rebuild.
                    let Some(d) = dispatchers.upgrade() else {
                        return;
                    };
                    tracing::warn!(
                        "lost the dispatch listener's connection; this node's dispatchers rebuild"
                    );
                    // (A settings reload is a rebuild from the database.)
                    for (dispatcher, _) in d.running_here() {
                        dispatcher.do_send(super::messages::SettingsChanged);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the dispatch listener failed");
                    tokio::time::sleep(RELISTEN_AFTER).await;
                }
            }
        }
    }
}

/// Acts on one notification.
fn heard(d: &Dispatchers, notification: &PgNotification, wake: &Notify) {
    let payload = notification.payload();
    match notification.channel() {
        remote::EVENTS => {
            let Some((account_id, rest)) = remote::addressee(payload) else {
                return;
            };
            let Some(dispatcher) = d.here(account_id) else {
                return;
            };
            match serde_json::from_str::<Forwarded>(rest) {
                Ok(Forwarded::Event(event)) => event.deliver(&dispatcher),
                Ok(Forwarded::Ask { ask, from, id }) => {
                    let pool = d.pool.clone();
                    tokio::spawn(async move {
                        let answered = Answered::new(from, id, ask.put_to(&dispatcher).await);
                        let sent = match serde_json::to_string(&answered) {
                            Ok(payload) => leases::notify(&pool, remote::ANSWERS, &[payload])
                                .await
                                .map_err(|e| e.to_string()),
                            Err(e) => Err(e.to_string()),
                        };
                        if let Err(e) = sent {
                            tracing::warn!(error = %e, "could not answer another node's ask");
                        }
                    });
                }
                Err(e) => tracing::warn!(error = %e, "a forwarded dispatch event did not parse"),
            }
        }
        remote::ANSWERS => match serde_json::from_str::<Answered>(payload) {
            Ok(answered) if *answered.to == *d.leases.node => {
                if let Some(waiting) = lock(&d.asks).remove(&answered.id) {
                    let _ = waiting.send(answered.answer);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "a dispatch answer did not parse"),
        },
        remote::RELEASED if payload != &*d.leases.node => wake.notify_one(),
        _ => {}
    }
}

async fn forward(
    dispatchers: Weak<Dispatchers>,
    mut forwarding: mpsc::UnboundedReceiver<(AccountId, super::remote::Event)>,
) {
    while let Some(first) = forwarding.recv().await {
        let mut batch = vec![first];
        while batch.len() < FORWARD_AT_ONCE {
            match forwarding.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let Some(d) = dispatchers.upgrade() else {
            return;
        };
        let mut payloads = Vec::new();
        for (account_id, event) in batch {
            match d.resolve(account_id).await {
                Ok(Some(here)) => event.deliver(&here),
                Ok(None) => match Forwarded::Event(event).payload(account_id) {
                    Ok(payload) => payloads.push(payload),
                    Err(e) => tracing::error!(error = %e, "a dispatch event did not serialise"),
                },
                Err(_) => {
                    tracing::warn!(%account_id, "a dispatch event was dropped: the database is unreachable")
                }
            }
        }
        if let Err(e) = leases::notify(&d.pool, remote::EVENTS, &payloads).await {
            tracing::warn!(error = %e, events = payloads.len(), "could not forward dispatch events to other nodes");
        }
    }
}
