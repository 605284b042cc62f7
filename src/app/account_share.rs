//! Each account's share of the database pool. Every account's operations draw on one pool;
//! without a share, one account's burst (a tab flooding `open`, a manager clicking through
//! reports, a thousand agents reconnecting at once) could hold every connection and make
//! another account's ingest wait. Reads and socket operations first take a permit from their
//! account's gate, which admits at most three quarters of the pool at once; the rest of the
//! pool stays free for everyone else. Waiting happens in the gate (a fair queue), never on the
//! pool, so another account's request finds a connection at once.

use crate::domain::ids::AccountId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Gates kept before idle ones are forgotten.
const GATES_KEPT: usize = 1024;

/// Per-account gates in front of the pool.
pub struct AccountShare {
    per_account: usize,
    gates: Mutex<HashMap<AccountId, Arc<Semaphore>>>,
}

impl AccountShare {
    /// Shares for a pool of `pool_size` connections: each account may use three quarters of it
    /// (at least one).
    pub fn new(pool_size: u32) -> AccountShare {
        AccountShare {
            per_account: (pool_size as usize * 3 / 4).max(1),
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// How many operations of one account may hold connections at once.
    pub fn per_account(&self) -> usize {
        self.per_account
    }

    /// Waits for a place among the account's operations; the place is held until the permit
    /// is dropped.
    pub async fn enter(&self, account_id: AccountId) -> OwnedSemaphorePermit {
        let gate = self.gate(account_id);
        match gate.acquire_owned().await {
            Ok(permit) => permit,
            // Gates are never closed; a fresh one stands in should that ever change.
            Err(_) => Arc::new(Semaphore::new(1))
                .acquire_owned()
                .await
                .unwrap_or_else(|_| unreachable!("a new semaphore is open")),
        }
    }

    fn gate(&self, account_id: AccountId) -> Arc<Semaphore> {
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        if gates.len() >= GATES_KEPT && !gates.contains_key(&account_id) {
            let full = self.per_account;
            gates.retain(|_, g| Arc::strong_count(g) > 1 || g.available_permits() < full);
        }
        gates
            .entry(account_id)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_account)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[tokio::test]
    async fn one_account_cannot_hold_more_than_its_share_and_others_still_get_in() {
        let share = AccountShare::new(20);
        assert_eq!(share.per_account(), 15);
        let busy = AccountId(1);
        let mut held = Vec::new();
        for _ in 0..15 {
            held.push(share.enter(busy).await);
        }
        assert!(
            share.enter(busy).now_or_never().is_none(),
            "the busy account waits in its gate"
        );
        assert!(
            share.enter(AccountId(2)).now_or_never().is_some(),
            "another account gets in at once"
        );
        held.pop();
        assert!(
            share.enter(busy).now_or_never().is_some(),
            "a freed place is taken"
        );
    }

    #[tokio::test]
    async fn idle_gates_are_forgotten_once_there_are_many() {
        let share = AccountShare::new(4);
        for id in 0..GATES_KEPT as i64 + 10 {
            drop(share.enter(AccountId(id)).await);
        }
        let kept = share.gates.lock().unwrap().len();
        assert!(kept <= GATES_KEPT, "{kept} gates kept");
    }
}
