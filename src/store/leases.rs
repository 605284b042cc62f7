//! Dispatcher leases (issue 12): which node dispatches each account, for how long, and under
//! which epoch. A lease is taken first-come; it is renewed by its holder, taken over by any
//! node once it has lapsed, and checked inside every dispatcher commit ([`still_held`]).

use crate::domain::ids::AccountId;
use sqlx::{PgConnection, PgExecutor, Row};
use std::time::Duration;

/// A lease this node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub account_id: AccountId,
    /// Bumped by every change of holder: a commit made under an older epoch is refused.
    pub epoch: i64,
}

fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

/// Takes the account's lease for `ttl` when nobody holds it, it has lapsed, or `holder`
/// itself held it before a restart (a node id is never live twice). `None`: another node
/// holds it.
pub async fn acquire(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    holder: &str,
    ttl: Duration,
) -> Result<Option<Held>, sqlx::Error> {
    let epoch: Option<i64> = sqlx::query_scalar(
        "INSERT INTO dispatcher_leases (account_id, holder, epoch, expires_at) \
         VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond') \
         ON CONFLICT (account_id) DO UPDATE \
           SET holder = EXCLUDED.holder, epoch = dispatcher_leases.epoch + 1, \
               expires_at = EXCLUDED.expires_at \
         WHERE dispatcher_leases.expires_at < now() OR dispatcher_leases.holder = EXCLUDED.holder \
         RETURNING epoch",
    )
    .bind(account_id.0)
    .bind(holder)
    .bind(millis(ttl))
    .fetch_optional(db)
    .await?;
    Ok(epoch.map(|epoch| Held { account_id, epoch }))
}

/// Extends the leases `holder` still holds under the same epoch; answers the accounts whose
/// lease was lost (another node took it over).
pub async fn renew(
    db: impl PgExecutor<'_>,
    holder: &str,
    held: &[Held],
    ttl: Duration,
) -> Result<Vec<AccountId>, sqlx::Error> {
    let accounts: Vec<i64> = held.iter().map(|h| h.account_id.0).collect();
    let epochs: Vec<i64> = held.iter().map(|h| h.epoch).collect();
    let kept: Vec<i64> = sqlx::query_scalar(
        "UPDATE dispatcher_leases l SET expires_at = now() + $4 * interval '1 millisecond' \
         FROM unnest($2::bigint[], $3::bigint[]) AS mine(account_id, epoch) \
         WHERE l.account_id = mine.account_id AND l.epoch = mine.epoch AND l.holder = $1 \
         RETURNING l.account_id",
    )
    .bind(holder)
    .bind(&accounts)
    .bind(&epochs)
    .bind(millis(ttl))
    .fetch_all(db)
    .await?;
    Ok(accounts
        .into_iter()
        .filter(|a| !kept.contains(a))
        .map(AccountId)
        .collect())
}

/// Takes over at most `limit` lapsed leases (rows another node is taking are skipped).
pub async fn take_lapsed(
    db: impl PgExecutor<'_>,
    holder: &str,
    ttl: Duration,
    limit: i64,
) -> Result<Vec<Held>, sqlx::Error> {
    let rows = sqlx::query(
        "UPDATE dispatcher_leases l \
           SET holder = $1, epoch = l.epoch + 1, expires_at = now() + $2 * interval '1 millisecond' \
         WHERE l.account_id IN (SELECT account_id FROM dispatcher_leases \
                                WHERE expires_at < now() ORDER BY expires_at \
                                LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING l.account_id, l.epoch",
    )
    .bind(holder)
    .bind(millis(ttl))
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Held {
                account_id: AccountId(r.try_get("account_id")?),
                epoch: r.try_get("epoch")?,
            })
        })
        .collect()
}

/// Lets go of the leases at once (a graceful stop), so another node need not wait for them
/// to lapse.
pub async fn release(
    db: impl PgExecutor<'_>,
    holder: &str,
    held: &[Held],
) -> Result<(), sqlx::Error> {
    let accounts: Vec<i64> = held.iter().map(|h| h.account_id.0).collect();
    let epochs: Vec<i64> = held.iter().map(|h| h.epoch).collect();
    sqlx::query(
        "UPDATE dispatcher_leases l SET expires_at = '-infinity' \
         FROM unnest($2::bigint[], $3::bigint[]) AS mine(account_id, epoch) \
         WHERE l.account_id = mine.account_id AND l.epoch = mine.epoch AND l.holder = $1",
    )
    .bind(holder)
    .bind(&accounts)
    .bind(&epochs)
    .execute(db)
    .await?;
    Ok(())
}

/// The fence as a query: one row when the account (`$account`) is still leased to `$holder`
/// under `$epoch`, unexpired, share-locked until the transaction ends (see [`still_held`]).
/// A dispatcher's common commit carries it as a `WITH` part of its one statement.
macro_rules! lease_held {
    ($account:literal, $holder:literal, $epoch:literal) => {
        concat!(
            "SELECT 1 FROM dispatcher_leases WHERE account_id = ",
            $account,
            " AND holder = ",
            $holder,
            " AND epoch = ",
            $epoch,
            " AND expires_at > clock_timestamp() FOR SHARE"
        )
    };
}

/// Fencing, inside a dispatcher's transaction: whether `holder` still holds the lease under
/// `epoch`, unexpired. The row stays share-locked until the transaction ends, so a takeover
/// waits for this commit instead of overlapping it; a commit that finds the lease gone must
/// roll back.
pub async fn still_held(
    conn: &mut PgConnection,
    holder: &str,
    held: Held,
) -> Result<bool, sqlx::Error> {
    let found: Option<i32> = sqlx::query_scalar(lease_held!("$1", "$2", "$3"))
        .bind(held.account_id.0)
        .bind(holder)
        .bind(held.epoch)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Sends `payloads` on the notification `channel`; inside a transaction they are delivered
/// when (and only if) it commits.
pub async fn notify(
    db: impl PgExecutor<'_>,
    channel: &str,
    payloads: &[String],
) -> Result<(), sqlx::Error> {
    if payloads.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
        .bind(channel)
        .bind(payloads)
        .execute(db)
        .await?;
    Ok(())
}
