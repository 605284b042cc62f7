//! One dispatcher actor per account (SPEC §2). It owns the account's live intake state (the
//! `domain::dispatch::Board`), asks it what to do on each event, commits every decision to
//! PostgreSQL (ticket rows and events, batched into one transaction while a commit is in
//! flight), and only then pushes frames to the sessions.
//!
//! Dispatchers start on first use and rebuild their state from the database, so a restarted
//! server continues exactly where the database says. A dispatcher that panics is restarted
//! by its supervisor and rebuilds the same way.

mod actor;
pub mod messages;
mod persist;
mod rebuild;
mod rechecks;

pub use actor::Dispatcher;

use crate::domain::ids::AccountId;
use crate::metrics::Metrics;
use crate::presence::PresenceStore;
use crate::session::hub::Hub;
use actix::prelude::*;
use futures_util::future::BoxFuture;
use serde_json::value::RawValue;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where a dispatcher gets the wallboard it pushes to managers (the application computes
/// it; the dispatcher only decides when).
pub trait WallboardSource: Send + Sync + 'static {
    /// The account's wallboard now, serialised.
    fn serialised(
        &self,
        account_id: AccountId,
    ) -> BoxFuture<'static, Result<Arc<RawValue>, String>>;
}

/// What every dispatcher of a node shares.
#[derive(Clone)]
pub(crate) struct Shared {
    pub pool: PgPool,
    pub hub: Arc<Hub>,
    pub presence: Arc<dyn PresenceStore>,
    pub wallboards: Arc<dyn WallboardSource>,
    pub metrics: Arc<Metrics>,
}

/// The dispatchers of this node, by account.
pub struct Dispatchers {
    shared: Shared,
    /// One thread hosts every dispatcher of the node: decisions take microseconds, and the
    /// database work they wait on is asynchronous.
    arbiter: Arbiter,
    running: Mutex<HashMap<AccountId, Addr<Dispatcher>>>,
}

impl Dispatchers {
    pub fn new(
        pool: PgPool,
        hub: Arc<Hub>,
        presence: Arc<dyn PresenceStore>,
        wallboards: Arc<dyn WallboardSource>,
    ) -> Dispatchers {
        Dispatchers {
            shared: Shared {
                pool,
                metrics: hub.metrics().clone(),
                hub,
                presence,
                wallboards,
            },
            arbiter: Arbiter::new(),
            running: Mutex::new(HashMap::new()),
        }
    }

    /// The account's dispatcher, started (supervised) if needed.
    pub fn get(&self, account_id: AccountId) -> Addr<Dispatcher> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(addr) = running.get(&account_id).filter(|a| a.connected()) {
            return addr.clone();
        }
        let shared = self.shared.clone();
        let addr = Supervisor::start_in_arbiter(&self.arbiter.handle(), move |_| {
            Dispatcher::new(account_id, shared)
        });
        running.insert(account_id, addr.clone());
        addr
    }

    /// Waits until every running dispatcher has committed what it decided (shutdown).
    pub async fn drain(&self) {
        let running: Vec<Addr<Dispatcher>> = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        futures_util::future::join_all(running.iter().map(|d| d.send(messages::Drain))).await;
    }
}

impl Drop for Dispatchers {
    fn drop(&mut self) {
        self.arbiter.stop();
    }
}
