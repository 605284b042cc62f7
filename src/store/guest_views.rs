//! The guest views' rules (issue 14) as SQL: the one place that turns a
//! [`GuestRule`](crate::domain::inbox::GuestRule) into a `WHERE` clause, used by the ticket
//! lists and by the cheap per-view counts the inbox tabs show. `domain::todo` says each rule
//! in Rust. The clause expects the ticket as `t` and its reservation as `r`.

use crate::domain::ids::AccountId;
use crate::domain::inbox::GuestRule;
use crate::domain::todo::{UNHAPPY_AT_MOST, UNPAID};
use sqlx::{PgExecutor, Postgres, QueryBuilder};

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
            q.push(
                " AND r.status <> 'cancelled' AND EXISTS (SELECT 1 FROM reservations o \
                 WHERE o.listing_id = r.listing_id AND o.account_id = t.account_id \
                 AND o.id <> r.id AND o.status <> 'cancelled' AND o.check_in IS NOT NULL \
                 AND o.check_out IS NOT NULL AND o.check_in < r.check_out AND r.check_in < o.check_out)",
            );
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
