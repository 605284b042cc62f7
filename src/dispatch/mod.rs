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

pub use actor::Dispatcher;

use crate::presence::PresenceStore;
use crate::session::hub::Hub;
use actix::prelude::*;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The dispatchers of this node, by account.
pub struct Dispatchers {
    pool: PgPool,
    hub: Arc<Hub>,
    presence: Arc<dyn PresenceStore>,
    /// One thread hosts every dispatcher of the node: decisions take microseconds, and the
    /// database work they wait on is asynchronous.
    arbiter: Arbiter,
    running: Mutex<HashMap<i64, Addr<Dispatcher>>>,
}

impl Dispatchers {
    pub fn new(pool: PgPool, hub: Arc<Hub>, presence: Arc<dyn PresenceStore>) -> Dispatchers {
        Dispatchers {
            pool,
            hub,
            presence,
            arbiter: Arbiter::new(),
            running: Mutex::new(HashMap::new()),
        }
    }

    /// The account's dispatcher, started (supervised) if needed.
    pub fn get(&self, account_id: i64) -> Addr<Dispatcher> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(addr) = running.get(&account_id).filter(|a| a.connected()) {
            return addr.clone();
        }
        let (pool, hub, presence) = (self.pool.clone(), self.hub.clone(), self.presence.clone());
        let addr = Supervisor::start_in_arbiter(&self.arbiter.handle(), move |_| {
            Dispatcher::new(account_id, pool, hub, presence)
        });
        running.insert(account_id, addr.clone());
        addr
    }
}

impl Drop for Dispatchers {
    fn drop(&mut self) {
        self.arbiter.stop();
    }
}
