//! The report queries (SPEC §4) that daily rollups cannot answer: figures over a whole period
//! (pending at its end, converted tickets and sales, reviews) and exact medians for short
//! periods. The additive figures are in `store::rollups`. Derived metrics are computed in
//! `domain::metrics::row`, never here.

use crate::domain::ids::{AccountId, MessageId, UserId};
use crate::domain::metrics::reviews::{ReplyTally, ReviewedStay};
use crate::domain::metrics::row::Figures;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use std::collections::HashMap;

/// The figures per agent id that are not sums over days (pending at the period's end,
/// converted tickets and their sales), and the period's reviews.
pub struct RawFigures {
    pub by_agent: HashMap<i64, Figures>,
    /// Reviews submitted in the period, with who replied on their reservations.
    pub reviews: Vec<ReviewedStay>,
    /// The team's remarketing tries and bookings after them (a reservation tried by two
    /// agents is one booking for the team, so this is not the agents' sum).
    pub remarketing_team: (i64, i64),
}

/// Loads the figures of the account for [from, to) that daily rollups cannot add up.
pub async fn load(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<RawFigures, sqlx::Error> {
    let (pending, conversion, reviews, (remarketing_team, remarketing)) = tokio::try_join!(
        pending(pool, account_id, to),
        conversion(pool, account_id, from, to),
        reviews(pool, account_id, from, to),
        remarketing(pool, account_id, from, to),
    )?;
    let mut by_agent: HashMap<i64, Figures> = HashMap::new();
    for (agent, n) in pending {
        by_agent.entry(agent).or_default().pending = n;
    }
    for (agent, converted, sales) in conversion {
        let f = by_agent.entry(agent).or_default();
        f.converted = converted;
        f.sales_cents = sales;
    }
    for (agent, tries, booked) in remarketing {
        let f = by_agent.entry(agent).or_default();
        f.remarketing_tries = tries;
        f.remarketing_booked = booked;
    }
    Ok(RawFigures {
        by_agent,
        reviews,
        remarketing_team,
    })
}

/// Remarketing tries sent in [from, to) and the distinct reservations of their guests booked
/// afterwards, for the team and per agent: `domain::metrics::remarketing::is_try` in SQL
/// (an agent's message; the conversation's reservation was an inquiry or request by then
/// and not confirmed by then; the guest's last message on the thread before it is more than
/// 24 hours older). Starts from the period's outbound messages, as `replies` does.
async fn remarketing(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<((i64, i64), Vec<(i64, i64, i64)>), sqlx::Error> {
    let rows = sqlx::query(
        "WITH tries AS ( \
           SELECT m.author_id, r.id AS reservation_id, r.confirmed_at FROM messages m \
           JOIN tickets t ON t.id = m.ticket_id \
           JOIN reservations r ON r.id = t.reservation_id \
           WHERE m.account_id = $1 AND m.direction = 'outbound' AND m.author_id IS NOT NULL \
             AND m.sent_at >= $2 AND m.sent_at < $3 \
             AND (r.confirmed_at IS NULL OR r.confirmed_at > m.sent_at) \
             AND EXISTS (SELECT 1 FROM reservation_status_changes c WHERE c.reservation_id = r.id \
                         AND c.status IN ('inquiry', 'request') AND c.changed_at <= m.sent_at) \
             AND (SELECT max(g.sent_at) FROM messages g WHERE g.thread_id = m.thread_id \
                  AND g.direction = 'inbound' AND g.sent_at <= m.sent_at) < m.sent_at - interval '24 hours') \
         SELECT GROUPING(author_id) = 1 AS team, author_id, count(*) AS tries, \
           count(DISTINCT reservation_id) FILTER (WHERE confirmed_at IS NOT NULL) AS booked \
         FROM tries GROUP BY GROUPING SETS ((author_id), ())",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut team = (0, 0);
    let mut per_agent = Vec::new();
    for r in rows {
        let figures = (r.try_get("tries")?, r.try_get("booked")?);
        if r.try_get::<bool, _>("team")? {
            team = figures;
        } else if let Some(author) = r.try_get::<Option<i64>, _>("author_id")? {
            per_agent.push((author, figures.0, figures.1));
        }
    }
    Ok((team, per_agent))
}

/// Reply figures per author, and over all replies (median and p90 are nearest-rank:
/// `percentile_disc`).
pub async fn replies(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    sla: i32,
) -> Result<(Figures, Vec<(i64, Figures)>), sqlx::Error> {
    // The medians sort every reply of the period; give this one query room to do it in memory.
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL work_mem = '64MB'")
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(
        "SELECT GROUPING(author_id) = 1 AS team, author_id, count(*) AS replies, count(response_seconds) AS timed, \
           count(*) FILTER (WHERE response_seconds <= $4) AS within_sla, avg(response_seconds) AS avg, \
           percentile_disc(0.5) WITHIN GROUP (ORDER BY response_seconds) AS median, \
           percentile_disc(0.9) WITHIN GROUP (ORDER BY response_seconds) AS p90, \
           avg(response_seconds) FILTER (WHERE stage = 'pre_booking') AS avg_pre, \
           avg(response_seconds) FILTER (WHERE stage <> 'pre_booking') AS avg_post, \
           avg(first_response_seconds) AS first_avg, \
           count(DISTINCT ticket_id) FILTER (WHERE stage = 'pre_booking') AS replied_pre \
         FROM messages WHERE account_id = $1 AND direction = 'outbound' AND sent_at >= $2 AND sent_at < $3 \
         GROUP BY GROUPING SETS ((author_id), ())",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(f64::from(sla))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut team = Figures::default();
    let mut per_agent = Vec::new();
    for r in rows {
        let f = Figures {
            replies: r.try_get("replies")?,
            timed_replies: r.try_get("timed")?,
            within_sla: r.try_get("within_sla")?,
            avg_response: r.try_get("avg")?,
            median_response: r.try_get("median")?,
            p90_response: r.try_get("p90")?,
            avg_response_pre_booking: r.try_get("avg_pre")?,
            avg_response_post_booking: r.try_get("avg_post")?,
            first_response_avg: r.try_get("first_avg")?,
            replied_pre_booking: r.try_get("replied_pre")?,
            ..Default::default()
        };
        if r.try_get::<bool, _>("team")? {
            team = f;
        } else if let Some(author) = r.try_get::<Option<i64>, _>("author_id")? {
            per_agent.push((author, f));
        }
    }
    Ok((team, per_agent))
}

/// Tickets each agent flagged pending and that were still pending at `to` (neither done nor
/// moved to someone else since).
async fn pending(
    pool: &PgPool,
    account_id: AccountId,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.agent_id, count(DISTINCT e.ticket_id) FROM events e \
         WHERE e.account_id = $1 AND e.kind = 'ticket.pending' AND e.at < $2 AND e.agent_id IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM events d WHERE d.ticket_id = e.ticket_id \
                           AND d.kind IN ('ticket.done', 'ticket.assigned', 'ticket.opened', 'ticket.replied') AND d.at > e.at AND d.at < $2) \
         GROUP BY e.agent_id",
    )
    .bind(account_id)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// Per agent: the pre-booking tickets they replied to in the period whose reservation was
/// confirmed within 30 days of the ticket, and the total price of those reservations
/// (each reservation once). Starts from confirmed reservations, the small side.
async fn conversion(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "WITH converted AS ( \
           SELECT DISTINCT m.author_id, t.id AS ticket_id, res.id AS reservation_id, COALESCE(res.total_price_cents, 0) AS cents \
           FROM reservations res \
           JOIN tickets t ON t.reservation_id = res.id AND t.stage = 'pre_booking' \
             AND res.confirmed_at >= t.created_at AND res.confirmed_at < t.created_at + interval '30 days' \
           JOIN messages m ON m.ticket_id = t.id AND m.direction = 'outbound' AND m.sent_at >= $2 AND m.sent_at < $3 \
           WHERE res.account_id = $1 AND res.confirmed_at IS NOT NULL AND res.confirmed_at < $3 + interval '30 days') \
         SELECT author_id, count(DISTINCT ticket_id), \
                (SELECT COALESCE(sum(cents), 0) FROM (SELECT DISTINCT c2.reservation_id, c2.cents FROM converted c2 WHERE c2.author_id = c.author_id) s)::bigint \
         FROM converted c GROUP BY author_id",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// The reviews submitted in [from, to), each with every agent's replies on its reservation's
/// tickets sent up to the review (the reply count, and the latest reply's time and id).
async fn reviews(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ReviewedStay>, sqlx::Error> {
    type Row = (
        i64,
        Option<i16>,
        Option<UserId>,
        i64,
        Option<DateTime<Utc>>,
        Option<MessageId>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT v.id, v.communication, m.author_id, count(m.id), max(m.sent_at),            (array_agg(m.id ORDER BY m.sent_at DESC, m.id DESC))[1]          FROM reviews v          LEFT JOIN tickets t ON t.reservation_id = v.reservation_id AND t.account_id = v.account_id          LEFT JOIN messages m ON m.ticket_id = t.id AND m.direction = 'outbound'            AND m.author_id IS NOT NULL AND m.sent_at <= v.submitted_at          WHERE v.account_id = $1 AND v.submitted_at >= $2 AND v.submitted_at < $3          GROUP BY v.id, v.communication, m.author_id ORDER BY v.id",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut stays: Vec<ReviewedStay> = Vec::new();
    let mut last_review = None;
    for (review, communication, author, replies, last_at, last_id) in rows {
        if last_review != Some(review) {
            stays.push(ReviewedStay {
                communication,
                tallies: Vec::new(),
            });
            last_review = Some(review);
        }
        if let (Some(agent), Some(last_reply_at), Some(last_reply), Some(stay)) =
            (author, last_at, last_id, stays.last_mut())
        {
            stay.tallies.push(ReplyTally {
                agent,
                replies,
                last_reply_at,
                last_reply,
            });
        }
    }
    Ok(stays)
}

/// The sales pipeline a team lead watches: the total price of inquiries and requests still
/// open (created within the last 30 days), how many there are, and the currency most of the
/// account's reservations are priced in (the one money figures are shown in).
pub async fn sales_kpis(
    pool: &PgPool,
    account_id: AccountId,
) -> Result<(i64, i64, Option<String>), sqlx::Error> {
    sqlx::query_as(
        "SELECT \
           COALESCE(sum(r.total_price_cents) FILTER (WHERE r.status IN ('inquiry', 'request') AND r.created_at >= now() - interval '30 days'), 0)::bigint, \
           count(*) FILTER (WHERE r.status IN ('inquiry', 'request') AND r.created_at >= now() - interval '30 days'), \
           (SELECT c.currency FROM reservations c WHERE c.account_id = $1 AND c.currency IS NOT NULL \
            GROUP BY c.currency ORDER BY count(*) DESC, c.currency LIMIT 1) \
         FROM reservations r WHERE r.account_id = $1",
    )
    .bind(account_id)
    .fetch_one(pool)
    .await
}
