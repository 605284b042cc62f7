//! SQL of the daily digest: which accounts are owed yesterday's, claimed so that one node sends
//! each, and the tickets it names.

use crate::domain::digest::{Digest, MissedTicket, NAMED};
use crate::domain::ids::AccountId;
use chrono::NaiveDate;
use sqlx::{PgConnection, Row};

/// Claims yesterday's digest (each account's own local day) for every account with a
/// notification webhook that has not had it, and answers them with where to send them. The
/// claim is a row per account and day, so whichever node gets there first sends it, once.
pub async fn claim_due(
    conn: &mut PgConnection,
) -> Result<Vec<(AccountId, String, Digest)>, sqlx::Error> {
    let owed = sqlx::query(
        "WITH owed AS (SELECT id, timezone, response_sla_seconds, notification_webhook_url, \
             ((now() AT TIME ZONE timezone)::date - 1) AS day FROM accounts \
           WHERE notification_webhook_url IS NOT NULL), \
         claimed AS (INSERT INTO digests (account_id, day) SELECT id, day FROM owed \
           ON CONFLICT DO NOTHING RETURNING account_id) \
         SELECT o.id AS account_id, o.day, o.timezone, o.response_sla_seconds, \
           o.notification_webhook_url FROM claimed c JOIN owed o ON o.id = c.account_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut due = Vec::with_capacity(owed.len());
    for row in owed {
        let account_id: AccountId = row.try_get("account_id")?;
        let day: NaiveDate = row.try_get("day")?;
        let timezone: String = row.try_get("timezone")?;
        let sla_seconds: i32 = row.try_get("response_sla_seconds")?;
        let url: String = row.try_get("notification_webhook_url")?;
        let digest = missed(&mut *conn, account_id, day, &timezone, sla_seconds).await?;
        due.push((account_id, url, digest));
    }
    Ok(due)
}

/// The account's day as its digest tells it: the tickets created that local day that were not
/// answered within the SLA (no first reply by then, unless closed without one before), the
/// longest waits first, with how many there are in all.
pub async fn missed(
    conn: &mut PgConnection,
    account_id: AccountId,
    day: NaiveDate,
    timezone: &str,
    sla_seconds: i32,
) -> Result<Digest, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.id, (SELECT name FROM guests g WHERE g.id = t.guest_id) AS guest_name, \
           t.first_response_at IS NOT NULL AS answered, \
           t.first_response_at IS NULL AND t.closed_at IS NOT NULL AS closed, \
           EXTRACT(EPOCH FROM COALESCE(t.first_response_at, t.closed_at, now()) - t.created_at)::bigint AS waited, \
           count(*) OVER () AS missed \
         FROM tickets t WHERE t.account_id = $1 \
           AND t.created_at >= ($2::date)::timestamp AT TIME ZONE $3 \
           AND t.created_at < ($2::date + 1)::timestamp AT TIME ZONE $3 \
           AND COALESCE(t.first_response_at, t.closed_at, now()) > t.created_at + make_interval(secs => $4) \
         ORDER BY waited DESC, t.id LIMIT $5",
    )
    .bind(account_id)
    .bind(day)
    .bind(timezone)
    .bind(f64::from(sla_seconds))
    .bind(NAMED as i64)
    .fetch_all(&mut *conn)
    .await?;
    let missed = match rows.first() {
        Some(r) => r.try_get("missed")?,
        None => 0,
    };
    let tickets = rows
        .iter()
        .map(|r| {
            Ok(MissedTicket {
                ticket_id: r.try_get("id")?,
                guest_name: r.try_get("guest_name")?,
                waited_seconds: r.try_get("waited")?,
                answered: r.try_get("answered")?,
                closed: r.try_get("closed")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Digest {
        day,
        sla_seconds,
        missed,
        tickets,
    })
}
