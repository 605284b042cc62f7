//! The guest views' rules (issue 14) as SQL: the one place that turns a
//! [`GuestRule`](crate::domain::inbox::GuestRule) into a `WHERE` clause, used by the ticket
//! lists and by the cheap per-view counts the inbox tabs show. `domain::todo` says each rule
//! in Rust. The clause expects the ticket as `t` and its reservation as `r`.

use crate::domain::ids::{AccountId, TicketId, UserId};
use crate::domain::inbox::GuestRule;
use crate::domain::todo::{UNHAPPY_AT_MOST, UNPAID};
use sqlx::{PgExecutor, Postgres, QueryBuilder, Row};

/// Appends ` AND <rule>` for the ticket `t` and its reservation `r`.
pub fn push_rule(q: &mut QueryBuilder<'_, Postgres>, rule: GuestRule) {
    match rule {
        GuestRule::TodosOf(user) => {
            q.push(
                " AND EXISTS (SELECT 1 FROM ticket_todos d WHERE d.ticket_id = t.id \
                 AND NOT d.done AND (t.assignee_id = ",
            )
            .push_bind(user)
            .push(" OR d.created_by = ")
            .push_bind(user)
            .push("))");
        }
        GuestRule::OpenRefund => {
            q.push(
                " AND EXISTS (SELECT 1 FROM ticket_todos d WHERE d.ticket_id = t.id \
                 AND NOT d.done AND d.kind = 'refund')",
            );
        }
        GuestRule::AwaitingPayment => {
            q.push(" AND r.status = 'confirmed' AND lower(r.payment_status) = ANY(")
                .push_bind(UNPAID.to_vec())
                .push(")");
        }
        GuestRule::FollowUpsOf(user) => {
            q.push(concat!(
                " AND t.follow_up_at IS NOT NULL AND t.state <> ",
                state_sql!(Done)
            ));
            if let Some(user) = user {
                q.push(" AND (t.follow_up_agent = ")
                    .push_bind(user)
                    .push(" OR t.follow_up_by = ")
                    .push_bind(user)
                    .push(")");
            }
        }
        GuestRule::Overbooked => {
            // `domain::calendar::Stay::overlaps`: the stays share a night.
            q.push(concat!(
                " AND r.status <> 'cancelled' AND ",
                overlap_exists!()
            ));
        }
        GuestRule::RecentlyConfirmed => {
            // Confirmed within the account's window, and an inquiry or request before.
            q.push(concat!(
                " AND r.status = 'confirmed' AND EXISTS (SELECT 1 FROM accounts ac \
                 WHERE ac.id = t.account_id \
                 AND r.confirmed_at >= now() - make_interval(days => ac.recently_confirmed_days)) \
                 AND ",
                asked_before_confirmed!()
            ));
        }
        GuestRule::StayingUnhappy => {
            // Today in the account's timezone.
            q.push(" AND t.mood <= ")
                .push_bind(UNHAPPY_AT_MOST.value())
                .push(
                    " AND r.status <> 'cancelled' AND EXISTS (SELECT 1 FROM accounts ac \
                     WHERE ac.id = t.account_id \
                     AND r.check_in <= (now() AT TIME ZONE ac.timezone)::date \
                     AND (now() AT TIME ZONE ac.timezone)::date < r.check_out)",
                );
        }
    }
}

/// How many of the account's tickets meet `rule`, counting no further than `cap` (a tab
/// shows "1000+" beyond): one index-friendly `count` that reads no ticket's columns, so the
/// inbox can ask after every burst of frames without loading the lists.
pub async fn count(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    rule: GuestRule,
    cap: i64,
) -> Result<i64, sqlx::Error> {
    let mut q = QueryBuilder::new(
        "SELECT count(*) FROM (SELECT 1 FROM tickets t \
         LEFT JOIN reservations r ON r.id = t.reservation_id WHERE t.account_id = ",
    );
    q.push_bind(account_id);
    push_rule(&mut q, rule);
    q.push(" LIMIT ").push_bind(cap).push(") c");
    q.build_query_scalar::<i64>().fetch_one(db).await
}

/// Who replied before the booking, for each of these tickets of the account: the authors of
/// the agents' messages on the ticket's conversation sent no later than its reservation was
/// confirmed, first replier first (`recently_confirmed`).
pub async fn replied_before_booking(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    tickets: &[TicketId],
) -> Result<Vec<(TicketId, UserId, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.id AS ticket_id, u.id AS user_id, u.name FROM tickets t \
         JOIN reservations r ON r.id = t.reservation_id \
         JOIN messages m ON m.account_id = t.account_id AND m.thread_id = t.thread_id \
           AND m.direction = 'outbound' AND m.sent_at <= r.confirmed_at \
         JOIN users u ON u.id = m.author_id \
         WHERE t.account_id = $1 AND t.id = ANY($2) \
         GROUP BY t.id, u.id, u.name ORDER BY t.id, min(m.sent_at), u.id",
    )
    .bind(account_id)
    .bind(tickets)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("ticket_id")?,
                r.try_get("user_id")?,
                r.try_get("name")?,
            ))
        })
        .collect()
}
