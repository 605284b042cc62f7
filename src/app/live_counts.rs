//! Guest-view counts pushed by the server (issue 14): `views.counts {items: [{view, count,
//! capped}], capped_at}`, the shape of `GET /tickets/counts`, for the views whose tickets are
//! the same for everyone of the account (`View::ACCOUNT_WIDE`).
//!
//! The places that change what those views hold (ingest of messages and reservations,
//! to-dos, moods) only mark the account ([`LiveCounts::touch`]: a set insert, no query), so
//! the ingest and dispatch hot paths never count. Once a second this node counts each marked
//! account that has someone online here (one capped `count` per view) and pushes one frame
//! to those users and the account's managers. Counting never takes more than a twentieth of
//! the time ([`pause_after`]): under `target`, a busy account marked every second kept a
//! count running three quarters of the time and doubled PostgreSQL's busy backends, so a
//! busy desk's counts follow every few seconds instead of every second. A marked account's
//! frame is pushed only when its counts differ from the last ones pushed: every user's
//! history keeps the frames sent to them (up to 64 KB each), and a frame every second to
//! 10,000 users with the same counts filled those histories to over 500 MB under
//! `loadtest/scenario sessions`. Every 30 seconds each account online here is counted, marked
//! or not, and pushed if its counts changed, so a change made through another node (which marks
//! its own set only) arrives within that time. Unchanged counts are not pushed then either: the
//! frame goes to every user online, and under `target` that push to 5,000 users held Redis
//! for 170 ms while it numbered each user's copy, stalling every other frame behind it. A
//! client that had to start over from a snapshot asks for the counts again. The per-user views
//! (`todos`, `follow_ups`) are not in the frame: their changes come with frames to the users
//! concerned, after which the inbox asks `GET /tickets/counts`.

use crate::domain::ids::{AccountId, UserId};
use crate::domain::inbox::View;
use crate::session::frames::{EventFrame, ServerEvent};
use crate::session::hub::Hub;
use crate::store;
use crate::wire::view_counts::{ViewCount, COUNT_CAP};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::time::Instant;

/// How often marked accounts are counted: at most one frame a second per account.
pub const COUNT_EVERY: Duration = Duration::from_secs(1);
/// How often every account online here is counted, marked or not.
pub const RECOUNT_EVERY: Duration = Duration::from_secs(30);
/// The pause after counting is at least this many times the counting took.
const PAUSE_PER_COUNTING: u32 = 19;

/// How long to wait before counting again after counting took `spent`: [`COUNT_EVERY`], or
/// longer when counting is slow, so it takes at most a twentieth of the time.
fn pause_after(spent: Duration) -> Duration {
    COUNT_EVERY.max(spent * PAUSE_PER_COUNTING)
}

/// This node's marks and the task that turns them into frames.
pub struct LiveCounts {
    pool: PgPool,
    hub: Arc<Hub>,
    marked: Mutex<HashSet<AccountId>>,
    /// The counts last pushed to each account.
    pushed: Mutex<HashMap<AccountId, Vec<ViewCount>>>,
}

impl LiveCounts {
    /// Starts counting for `hub`'s sessions, for as long as the value lives.
    pub fn start(pool: PgPool, hub: Arc<Hub>) -> Arc<LiveCounts> {
        let counts = Arc::new(LiveCounts {
            pool,
            hub,
            marked: Mutex::default(),
            pushed: Mutex::default(),
        });
        tokio::spawn(run(Arc::downgrade(&counts)));
        counts
    }

    /// What the account's guest views hold may have changed.
    pub fn touch(&self, account_id: AccountId) {
        self.with_marked(|m| {
            m.insert(account_id);
        });
    }

    fn with_marked<T>(&self, f: impl FnOnce(&mut HashSet<AccountId>) -> T) -> T {
        // A panic while holding the lock left a set, not a broken invariant.
        let mut guard = self.marked.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Counts the marked accounts (every account online here when `all`) that have someone
    /// online here and pushes the frames of those whose counts changed.
    async fn flush(&self, all: bool) {
        let marked = self.with_marked(std::mem::take);
        if marked.is_empty() && !all {
            return;
        }
        let mut online: HashMap<AccountId, Vec<UserId>> = HashMap::new();
        for (account_id, user_id, is_manager) in self.hub.live_users() {
            let users = online.entry(account_id).or_default();
            if !is_manager {
                users.push(user_id);
            }
        }
        for (account_id, agents) in online {
            if !all && !marked.contains(&account_id) {
                continue;
            }
            let items = match self.counts(account_id).await {
                Ok(items) => items,
                Err(e) => {
                    tracing::warn!(error = %e, %account_id, "guest-view counts not counted");
                    continue;
                }
            };
            if !self.changed(account_id, &items) {
                continue;
            }
            match EventFrame::new(&ServerEvent::ViewsCounts {
                items,
                capped_at: COUNT_CAP,
            }) {
                Ok(frame) => self
                    .hub
                    .push_to_users_and_managers(account_id, &agents, &frame),
                Err(e) => tracing::warn!(error = %e, %account_id, "guest-view counts not pushed"),
            }
        }
    }

    /// Whether `items` differ from the account's counts pushed last, which they replace.
    fn changed(&self, account_id: AccountId, items: &[ViewCount]) -> bool {
        // A panic while holding the lock left a map of counts, not a broken invariant.
        let mut pushed = self.pushed.lock().unwrap_or_else(|e| e.into_inner());
        if pushed.get(&account_id).map(Vec::as_slice) == Some(items) {
            return false;
        }
        pushed.insert(account_id, items.to_vec());
        true
    }

    async fn counts(&self, account_id: AccountId) -> Result<Vec<ViewCount>, sqlx::Error> {
        let mut items = Vec::with_capacity(View::ACCOUNT_WIDE.len());
        for view in View::ACCOUNT_WIDE {
            if let Some(rule) = view.account_wide_rule() {
                let count =
                    store::guest_views::count(&self.pool, account_id, rule, COUNT_CAP).await?;
                items.push(ViewCount::new(view, count));
            }
        }
        Ok(items)
    }
}

async fn run(counts: Weak<LiveCounts>) {
    let mut recounted = Instant::now();
    loop {
        let started = Instant::now();
        let all = started.duration_since(recounted) >= RECOUNT_EVERY;
        if all {
            recounted = started;
        }
        match counts.upgrade() {
            Some(counts) => counts.flush(all).await,
            None => return,
        }
        tokio::time::sleep(pause_after(started.elapsed())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_takes_at_most_a_twentieth_of_the_time() {
        assert_eq!(pause_after(Duration::from_millis(5)), COUNT_EVERY);
        assert_eq!(
            pause_after(Duration::from_millis(200)),
            Duration::from_millis(3_800)
        );
    }
}
