//! Daily per-agent rollups of the countable report figures (SPEC §4), maintained from the raw
//! rows by a worker rather than written beside the facts: a day is rolled up once it has
//! settled, by replacing that day's rows and moving a per-account watermark in one
//! transaction, under a per-account lock. A crash, a restart or a second node redoes a day at
//! most, never counts it twice; reports read the rollups for whole days up to the watermark
//! and the raw rows for everything else, so they are exact at every moment.

use crate::domain::metrics::days::{self, day_of, day_start};
use crate::domain::metrics::period::Period;
use crate::domain::metrics::sums::Sums;
use crate::store::{self, accounts::Account, rollups::AgentSums, rollups::Watermark};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;
use std::time::Duration as StdDuration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long after a day ends it is rolled up: facts are stamped with their transaction's start
/// (PostgreSQL's `now()`), so a transaction still committing at midnight must have landed.
pub const SETTLE_MINUTES: i64 = 15;

/// How often the worker looks for settled days.
const PASS_EVERY: StdDuration = StdDuration::from_secs(60);

/// Whether rollups were counted with the account's current timezone (their days) and SLA
/// (their `within_sla`); others are not used, and the worker rebuilds them.
fn counted_like(mark: &Watermark, account: &Account) -> bool {
    mark.timezone == account.settings.timezone.name()
        && mark.sla_seconds == account.settings.response_sla_seconds
}

/// The additive figures of every agent for the period: rolled-up whole days plus raw rows.
pub async fn sums(
    pool: &PgPool,
    account: &Account,
    period: Period,
    now: DateTime<Utc>,
) -> Result<AgentSums, sqlx::Error> {
    let tz = account.settings.timezone;
    let sla = account.settings.response_sla_seconds;
    let through = store::rollups::watermark(pool, account.id)
        .await?
        .filter(|m| counted_like(m, account))
        .map(|m| m.rolled_through);
    let plan = days::plan(period.from, period.to, tz, through);
    let rolled = async {
        match plan.rolled {
            Some((first, last)) => store::rollups::read(pool, account.id, first, last).await,
            None => Ok(AgentSums::new()),
        }
    };
    let raw = futures_util::future::try_join_all(
        plan.raw
            .iter()
            .map(|(from, to)| store::rollups::raw(pool, account.id, *from, *to, sla, now)),
    );
    let (mut total, raw) = tokio::try_join!(rolled, raw)?;
    for part in raw {
        for (agent, s) in part {
            total.entry(agent).or_default().add(&s);
        }
    }
    Ok(total)
}

/// Rolls up every settled day after the watermark (from the account's first fact when there
/// is none), one transaction per day; answers how many days it rolled up.
pub async fn roll_up(
    pool: &PgPool,
    account: &Account,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let tz = account.settings.timezone;
    let mark = store::rollups::watermark(pool, account.id).await?;
    let mark = match mark {
        Some(m) if !counted_like(&m, account) => {
            let mut tx = pool.begin().await?;
            store::rollups::lock_watermark(&mut tx, account.id).await?;
            store::rollups::forget(&mut tx, account.id, None).await?;
            tx.commit().await?;
            None
        }
        m => m,
    };
    let first = match &mark {
        Some(m) => m.rolled_through + Duration::days(1),
        None => match store::rollups::first_fact(pool, account.id).await? {
            Some(t) => day_of(t, tz),
            None => return Ok(0),
        },
    };
    let last_settled = day_of(now - Duration::minutes(SETTLE_MINUTES), tz) - Duration::days(1);
    let mut expected = mark.map(|m| m.rolled_through);
    let mut day = first;
    let mut rolled = 0;
    while day <= last_settled {
        if !roll_up_day(pool, account, day, expected, now).await? {
            break; // another worker (or a rebuild) moved the watermark: it carries on
        }
        (expected, day, rolled) = (Some(day), day + Duration::days(1), rolled + 1);
    }
    Ok(rolled)
}

/// Counts one day from the raw rows and stores it, if the watermark is still where this
/// worker found it.
async fn roll_up_day(
    pool: &PgPool,
    account: &Account,
    day: NaiveDate,
    expected: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let tz = account.settings.timezone;
    let sla = account.settings.response_sla_seconds;
    let (from, to) = (day_start(day, tz), day_start(day + Duration::days(1), tz));
    let sums: AgentSums = store::rollups::raw(pool, account.id, from, to, sla, now)
        .await?
        .into_iter()
        .filter(|(_, s)| *s != Sums::default())
        .collect();
    let mut tx = pool.begin().await?;
    let current = store::rollups::lock_watermark(&mut tx, account.id).await?;
    if current.map(|m| m.rolled_through) != expected {
        return Ok(false);
    }
    store::rollups::replace_day(&mut tx, account.id, day, &sums, (tz.name(), sla)).await?;
    tx.commit().await?;
    Ok(true)
}

/// Forgets the account's rollups from `from` on (all of them without it) and rolls them up
/// again from the raw rows; answers how many days it rolled up.
pub async fn rebuild(
    pool: &PgPool,
    account: &Account,
    from: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    store::rollups::lock_watermark(&mut tx, account.id).await?;
    store::rollups::forget(&mut tx, account.id, from).await?;
    tx.commit().await?;
    roll_up(pool, account, now).await
}

/// The node's rollup worker: every minute it rolls up each account's settled days.
pub struct RollupWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RollupWorker {
    pub fn start(pool: PgPool) -> RollupWorker {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            while !*stopped.borrow() {
                pass(&pool).await;
                tokio::select! {
                    _ = tokio::time::sleep(PASS_EVERY) => {}
                    _ = stopped.changed() => {}
                }
            }
        });
        RollupWorker { stop, task }
    }

    /// Lets a day being written finish, waiting at most `limit`; a day cut short is rolled
    /// back and redone by the next pass.
    pub async fn stop(self, limit: StdDuration) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(limit, self.task).await.is_err() {
            tracing::warn!("rollup worker did not stop in time; its day is redone next pass");
        }
    }
}

/// One pass over every account; a failure is logged and retried next pass.
async fn pass(pool: &PgPool) {
    let ids = match store::accounts::all_ids(pool).await {
        Ok(ids) => ids,
        Err(e) => return tracing::warn!(error = %e, "rollups: listing accounts failed"),
    };
    for id in ids {
        let result = match store::accounts::get(pool, id).await {
            Ok(Some(account)) => roll_up(pool, &account, Utc::now()).await,
            Ok(None) => Ok(0),
            Err(e) => Err(e),
        };
        match result {
            Ok(0) => {}
            Ok(days) => tracing::info!(account_id = %id, days, "rolled up settled days"),
            Err(e) => tracing::warn!(account_id = %id, error = %e, "rolling up failed"),
        }
    }
}
