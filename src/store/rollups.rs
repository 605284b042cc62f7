//! The daily rollups and their raw counterpart: the additive figures of SPEC §4 per agent,
//! either summed from `agent_day_rollups` over whole days or counted from the raw rows (events,
//! replies, work intervals) over any stretch of time. Both answer [`Sums`], so a report adds
//! them without caring which way a day was counted.

use crate::domain::ids::AccountId;
use crate::domain::metrics::intervals::{work_and_invisible, Interval};
use crate::domain::metrics::sketch::{ln_gamma, MIN_SECONDS};
use crate::domain::metrics::sums::{Sums, Total};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool, Row};
use std::collections::{BTreeMap, HashMap};

/// Sums per agent id.
pub type AgentSums = HashMap<i64, Sums>;

/// How far an account's rollups reach and what they were counted with.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Watermark {
    pub rolled_through: NaiveDate,
    pub timezone: String,
    pub sla_seconds: i32,
}

/// The account's watermark, if anything was rolled up.
pub async fn watermark(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Option<Watermark>, sqlx::Error> {
    sqlx::query_as(
        "SELECT rolled_through, timezone, sla_seconds FROM rollup_watermarks WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(db)
    .await
}

/// Takes the account's rollup lock for the rest of the transaction, so two workers (or a
/// worker and a rebuild) take turns, and answers the watermark as it then stands.
pub async fn lock_watermark(
    conn: &mut PgConnection,
    account_id: AccountId,
) -> Result<Option<Watermark>, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('rollups:' || $1::text, 0))")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    watermark(&mut *conn, account_id).await
}

/// Forgets the rollups from `from` on (all of them without it), moving the watermark back.
pub async fn forget(
    conn: &mut PgConnection,
    account_id: AccountId,
    from: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    match from {
        None => {
            sqlx::query("DELETE FROM agent_day_rollups WHERE account_id = $1")
                .bind(account_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM rollup_watermarks WHERE account_id = $1")
                .bind(account_id)
                .execute(&mut *conn)
                .await?;
        }
        Some(from) => {
            sqlx::query("DELETE FROM agent_day_rollups WHERE account_id = $1 AND day >= $2")
                .bind(account_id)
                .bind(from)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "UPDATE rollup_watermarks SET rolled_through = $2 - 1 WHERE account_id = $1 AND rolled_through >= $2",
            )
            .bind(account_id)
            .bind(from)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Replaces one day's rows and moves the watermark to that day, with the settings it was
/// counted with.
pub async fn replace_day(
    conn: &mut PgConnection,
    account_id: AccountId,
    day: NaiveDate,
    sums: &AgentSums,
    counted_with: (&str, i32),
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM agent_day_rollups WHERE account_id = $1 AND day = $2")
        .bind(account_id)
        .bind(day)
        .execute(&mut *conn)
        .await?;
    for (agent, s) in sums {
        let (buckets, counts): (Vec<i32>, Vec<i64>) = s.sketch.buckets().unzip();
        sqlx::query(
            "INSERT INTO agent_day_rollups (account_id, day, agent_id, incoming, reassigned_away, closed, replies, \
               timed_replies, response_sum, within_sla, pre_booking_timed, pre_booking_sum, post_booking_timed, \
               post_booking_sum, first_responses, first_response_sum, work_seconds, invisible_seconds, \
               sketch_buckets, sketch_counts, pre_booking_tickets) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        )
        .bind(account_id)
        .bind(day)
        .bind(agent)
        .bind(s.incoming)
        .bind(sqlx::types::Json(&s.reassigned_away))
        .bind(s.closed)
        .bind(s.replies)
        .bind(s.response.count)
        .bind(s.response.sum)
        .bind(s.within_sla)
        .bind(s.response_pre_booking.count)
        .bind(s.response_pre_booking.sum)
        .bind(s.response_post_booking.count)
        .bind(s.response_post_booking.sum)
        .bind(s.first_response.count)
        .bind(s.first_response.sum)
        .bind(s.work_seconds)
        .bind(s.invisible_seconds)
        .bind(buckets)
        .bind(counts)
        .bind(s.pre_booking_tickets.iter().copied().collect::<Vec<i64>>())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO rollup_watermarks (account_id, rolled_through, timezone, sla_seconds) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id) DO UPDATE SET rolled_through = $2, timezone = $3, sla_seconds = $4",
    )
    .bind(account_id)
    .bind(day)
    .bind(counted_with.0)
    .bind(counted_with.1)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The rolled-up sums of the local days [first, last].
pub async fn read(
    pool: &PgPool,
    account_id: AccountId,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<AgentSums, sqlx::Error> {
    let totals = sqlx::query(
        "SELECT agent_id, sum(incoming)::bigint AS incoming, sum(closed)::bigint AS closed, \
           sum(replies)::bigint AS replies, sum(timed_replies)::bigint AS timed, sum(response_sum) AS response_sum, \
           sum(within_sla)::bigint AS within_sla, sum(pre_booking_timed)::bigint AS pre_n, sum(pre_booking_sum) AS pre_sum, \
           sum(post_booking_timed)::bigint AS post_n, sum(post_booking_sum) AS post_sum, \
           sum(first_responses)::bigint AS first_n, sum(first_response_sum) AS first_sum, \
           sum(work_seconds) AS work, sum(invisible_seconds) AS invisible \
         FROM agent_day_rollups WHERE account_id = $1 AND day BETWEEN $2 AND $3 GROUP BY agent_id",
    );
    let reasons = sqlx::query_as::<_, (i64, String, i64)>(
        "SELECT r.agent_id, x.key, sum(x.value::bigint)::bigint FROM agent_day_rollups r, jsonb_each_text(r.reassigned_away) x \
         WHERE r.account_id = $1 AND r.day BETWEEN $2 AND $3 GROUP BY r.agent_id, x.key",
    );
    let sketch = sqlx::query_as::<_, (i64, i32, i64)>(
        "SELECT r.agent_id, s.bucket, sum(s.n)::bigint FROM agent_day_rollups r, unnest(r.sketch_buckets, r.sketch_counts) AS s(bucket, n) \
         WHERE r.account_id = $1 AND r.day BETWEEN $2 AND $3 GROUP BY r.agent_id, s.bucket",
    );
    // The lists are unioned here rather than by PostgreSQL: a month is a few thousand short
    // arrays, and hashing their ids beats sorting them out of an unnest.
    let tickets = sqlx::query_as::<_, (i64, Vec<i64>)>(
        "SELECT agent_id, pre_booking_tickets FROM agent_day_rollups \
         WHERE account_id = $1 AND day BETWEEN $2 AND $3 AND cardinality(pre_booking_tickets) > 0",
    );
    let (totals, reasons, sketch, tickets) = tokio::try_join!(
        totals
            .bind(account_id)
            .bind(first)
            .bind(last)
            .fetch_all(pool),
        reasons
            .bind(account_id)
            .bind(first)
            .bind(last)
            .fetch_all(pool),
        sketch
            .bind(account_id)
            .bind(first)
            .bind(last)
            .fetch_all(pool),
        tickets
            .bind(account_id)
            .bind(first)
            .bind(last)
            .fetch_all(pool),
    )?;
    let mut out = AgentSums::new();
    for r in totals {
        let total = |n: &str, s: &str| -> Result<Total, sqlx::Error> {
            Ok(Total {
                count: r.try_get(n)?,
                sum: r.try_get(s)?,
            })
        };
        let s = Sums {
            incoming: r.try_get("incoming")?,
            closed: r.try_get("closed")?,
            replies: r.try_get("replies")?,
            response: total("timed", "response_sum")?,
            within_sla: r.try_get("within_sla")?,
            response_pre_booking: total("pre_n", "pre_sum")?,
            response_post_booking: total("post_n", "post_sum")?,
            first_response: total("first_n", "first_sum")?,
            work_seconds: r.try_get("work")?,
            invisible_seconds: r.try_get("invisible")?,
            ..Sums::default()
        };
        out.insert(r.try_get("agent_id")?, s);
    }
    for (agent, reason, n) in reasons {
        out.entry(agent)
            .or_default()
            .reassigned_away
            .insert(reason, n);
    }
    for (agent, bucket, n) in sketch {
        out.entry(agent).or_default().sketch.add_bucket(bucket, n);
    }
    for (agent, ids) in tickets {
        out.entry(agent)
            .or_default()
            .pre_booking_tickets
            .extend(ids);
    }
    Ok(out)
}

/// The sums of [from, to) counted from the raw rows (running intervals end at `now`). The
/// rollup of a day is exactly this over the day.
pub async fn raw(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    sla_seconds: i32,
    now: DateTime<Utc>,
) -> Result<AgentSums, sqlx::Error> {
    let (events, replies, sketch, tickets, work, paused) = tokio::try_join!(
        events(pool, account_id, from, to),
        replies(pool, account_id, from, to, sla_seconds),
        sketch(pool, account_id, from, to),
        pre_booking_tickets(pool, account_id, from, to),
        intervals(pool, "work_intervals", account_id, from, to),
        intervals(pool, "intake_pauses", account_id, from, to),
    )?;
    let mut out = replies;
    for (agent, kind, reason, n) in events {
        let s = out.entry(agent).or_default();
        match kind.as_str() {
            "ticket.assigned" => s.incoming += n,
            "ticket.unassigned" => {
                *s.reassigned_away
                    .entry(reason.unwrap_or_else(|| "other".into()))
                    .or_default() += n
            }
            "ticket.done" => s.closed += n,
            _ => {}
        }
    }
    for (agent, bucket, n) in sketch {
        out.entry(agent).or_default().sketch.add_bucket(bucket, n);
    }
    for (agent, ids) in tickets {
        out.entry(agent)
            .or_default()
            .pre_booking_tickets
            .extend(ids);
    }
    for (agent, spans) in &work {
        let pauses = paused.get(agent).map(Vec::as_slice).unwrap_or_default();
        let (w, i) = work_and_invisible(spans, pauses, from, to, now);
        let s = out.entry(*agent).or_default();
        (s.work_seconds, s.invisible_seconds) = (w, i);
    }
    Ok(out)
}

type EventCount = (i64, String, Option<String>, i64);

async fn events(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<EventCount>, sqlx::Error> {
    sqlx::query_as(
        "SELECT agent_id, kind, reason, count(*) FROM events \
         WHERE account_id = $1 AND kind IN ('ticket.assigned', 'ticket.unassigned', 'ticket.done') AND at >= $2 AND at < $3 \
           AND agent_id IS NOT NULL GROUP BY agent_id, kind, reason",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

async fn replies(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    sla: i32,
) -> Result<AgentSums, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT author_id, count(*) AS replies, count(response_seconds) AS timed, \
           COALESCE(sum(response_seconds), 0) AS response_sum, count(*) FILTER (WHERE response_seconds <= $4) AS within_sla, \
           count(response_seconds) FILTER (WHERE stage = 'pre_booking') AS pre_n, \
           COALESCE(sum(response_seconds) FILTER (WHERE stage = 'pre_booking'), 0) AS pre_sum, \
           count(response_seconds) FILTER (WHERE stage <> 'pre_booking') AS post_n, \
           COALESCE(sum(response_seconds) FILTER (WHERE stage <> 'pre_booking'), 0) AS post_sum, \
           count(first_response_seconds) AS first_n, COALESCE(sum(first_response_seconds), 0) AS first_sum \
         FROM messages WHERE account_id = $1 AND direction = 'outbound' AND sent_at >= $2 AND sent_at < $3 \
           AND author_id IS NOT NULL GROUP BY author_id",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(f64::from(sla))
    .fetch_all(pool)
    .await?;
    let mut out = AgentSums::new();
    for r in rows {
        let total = |n: &str, s: &str| -> Result<Total, sqlx::Error> {
            Ok(Total {
                count: r.try_get(n)?,
                sum: r.try_get(s)?,
            })
        };
        let s = Sums {
            replies: r.try_get("replies")?,
            response: total("timed", "response_sum")?,
            within_sla: r.try_get("within_sla")?,
            response_pre_booking: total("pre_n", "pre_sum")?,
            response_post_booking: total("post_n", "post_sum")?,
            first_response: total("first_n", "first_sum")?,
            ..Sums::default()
        };
        out.insert(r.try_get("author_id")?, s);
    }
    Ok(out)
}

/// Timed replies per author and sketch bucket; the bucket is computed here with the sketch's
/// own constants, so every sketch of a reply puts it in the same bucket.
async fn sketch(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, i32, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT author_id, ceil(ln(greatest(response_seconds, $4)) / $5)::int AS bucket, count(*) \
         FROM messages WHERE account_id = $1 AND direction = 'outbound' AND sent_at >= $2 AND sent_at < $3 \
           AND author_id IS NOT NULL AND response_seconds IS NOT NULL GROUP BY 1, 2",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(MIN_SECONDS)
    .bind(ln_gamma())
    .fetch_all(pool)
    .await
}

/// The distinct pre-booking tickets each author replied to, read through the partial index
/// of pre-booking replies.
async fn pre_booking_tickets(
    pool: &PgPool,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(i64, Vec<i64>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT author_id, array_agg(DISTINCT ticket_id) FROM messages \
         WHERE account_id = $1 AND direction = 'outbound' AND stage = 'pre_booking' AND sent_at >= $2 AND sent_at < $3 \
           AND author_id IS NOT NULL AND ticket_id IS NOT NULL GROUP BY author_id",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// The intervals of `table` (work or pauses) overlapping [from, to), per user.
async fn intervals(
    pool: &PgPool,
    table: &str,
    account_id: AccountId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeMap<i64, Vec<Interval>>, sqlx::Error> {
    let rows: Vec<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(&format!(
        "SELECT user_id, started_at, ended_at FROM {table} WHERE account_id = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2)"
    ))
    .bind(account_id)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let mut out: BTreeMap<i64, Vec<Interval>> = BTreeMap::new();
    for (user, start, end) in rows {
        out.entry(user).or_default().push(Interval { start, end });
    }
    Ok(out)
}

/// When the account's first countable fact happened (an event, a reply or a work interval),
/// where its rollups start; `None` for an account with nothing to count yet.
pub async fn first_fact(
    pool: &PgPool,
    account_id: AccountId,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT least( \
           (SELECT min(at) FROM events WHERE account_id = $1), \
           (SELECT min(sent_at) FROM messages WHERE account_id = $1 AND direction = 'outbound'), \
           (SELECT min(started_at) FROM work_intervals WHERE account_id = $1))",
    )
    .bind(account_id)
    .fetch_one(pool)
    .await
}
