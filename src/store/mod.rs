//! SQL, and nothing else: functions that take an executor (a pool or an open transaction), so
//! callers compose several into one transaction. Every query is scoped by `account_id`.

/// The SQL text that selects `columns` (with `joins`) for the rows of `table`, aliased `alias`,
/// whose ids are in the array `$2` and whose account is `$1`. Each id is looked up through the
/// primary key (`unnest` + `LATERAL … LIMIT 1`) whatever plan the connection cached: a generic
/// plan cached while the tables were small otherwise scanned an account's rows for each lookup.
macro_rules! select_by_ids {
    ($columns:expr, $table:literal, $alias:literal, $joins:expr) => {
        concat!(
            $columns,
            " FROM unnest($2::bigint[]) AS wanted(id) CROSS JOIN LATERAL (SELECT * FROM ",
            $table,
            " WHERE id = wanted.id LIMIT 1) ",
            $alias,
            " ",
            $joins,
            " WHERE ",
            $alias,
            ".account_id = $1"
        )
    };
}

/// Local settings that make a write transaction's set-based statements run on one plan per
/// connection, made of index probes. Statements that take arrays (`unnest($1::bigint[])`)
/// were planned again at every call, since PostgreSQL's generic plan guesses a hundred
/// elements per array and, planned while the tables were small, hash-joined whole tables:
/// under `target` that planning was a fifth of PostgreSQL's time. Without hash and merge
/// joins or sequential scans the generic plan can only walk the indexes, element by element,
/// which is the plan for the few elements a batch holds whatever the tables' sizes. A cached
/// plan is not made again when settings change, so a statement sent in such a transaction
/// must only ever be sent in one. `probing_plans!(session)` sets them for the whole session
/// instead, for a connection that sends nothing else (see `held::HeldConnection`).
macro_rules! probing_plans {
    () => {
        probing_plans!(@ "SET LOCAL ")
    };
    (session) => {
        probing_plans!(@ "SET ")
    };
    (@ $set:literal) => {
        concat!(
            $set, "plan_cache_mode = force_generic_plan; ",
            $set, "enable_hashjoin = off; ",
            $set, "enable_mergejoin = off; ",
            $set, "enable_seqscan = off"
        )
    };
}

/// The condition that picks one row of an account by its id, `$2` of account `$1`: the id
/// through the primary key, the account as a filter. Plain `account_id = $1 AND id = $2` lets
/// the planner serve both from any index that starts with `account_id` and holds `id` (the
/// lists' orders do), and a generic plan cached while the tables were small took one: under
/// `target` every agent action then walked the account's activity index, over 200 buffers a
/// lookup and more with every ticket. `IS NOT DISTINCT FROM` is the same test on a column that
/// is never NULL, but no index can serve it, so only the key is left.
macro_rules! by_own_id {
    () => {
        "id = $2 AND account_id IS NOT DISTINCT FROM $1"
    };
}

/// Whether the reservation `r` of the ticket `t` shares a night with another non-cancelled
/// stay of its listing (`domain::calendar::Stay::overlaps`): the one SQL text of it, for the
/// `overbooking` view and the ticket's own `views[]`.
macro_rules! overlap_exists {
    () => {
        "EXISTS (SELECT 1 FROM reservations o \
         WHERE o.listing_id = r.listing_id AND o.account_id = t.account_id \
         AND o.id <> r.id AND o.status <> 'cancelled' AND o.check_in IS NOT NULL \
         AND o.check_out IS NOT NULL AND o.check_in < r.check_out AND r.check_in < o.check_out)"
    };
}

/// Whether the reservation `r` was an inquiry or a request at or before it was confirmed
/// (`recently_confirmed`): the one SQL text of it.
macro_rules! asked_before_confirmed {
    () => {
        "EXISTS (SELECT 1 FROM reservation_status_changes c WHERE c.reservation_id = r.id \
         AND c.status IN ('inquiry', 'request') AND c.changed_at <= r.confirmed_at)"
    };
}

/// How SQL names ticket states: `state_sql!(Done)` is `'done'`, and the groups the guards use
/// (`Active`: assigned, opened, pending; `Looked`: opened, pending, done) are parenthesised
/// lists. The one place SQL text spells a state; a test checks every literal against
/// `TicketState::as_str`.
macro_rules! state_sql {
    (Queued) => {
        "'queued'"
    };
    (Assigned) => {
        "'assigned'"
    };
    (Opened) => {
        "'opened'"
    };
    (Pending) => {
        "'pending'"
    };
    (Done) => {
        "'done'"
    };
    (Active) => {
        concat!(
            "(",
            state_sql!(Assigned),
            ", ",
            state_sql!(Opened),
            ", ",
            state_sql!(Pending),
            ")"
        )
    };
    (Looked) => {
        concat!(
            "(",
            state_sql!(Opened),
            ", ",
            state_sql!(Pending),
            ", ",
            state_sql!(Done),
            ")"
        )
    };
}

/// The session of a writer's own connection (`held::HeldConnection::with_session`) whose
/// statements all run on [`probing_plans!`]: each one is then its own transaction, without a
/// `BEGIN` to carry the settings.
pub const PROBING_SESSION: &str = probing_plans!(session);

/// The `BEGIN` of a write transaction whose statements run on [`probing_plans!`], settings
/// included, in one round trip.
pub const BEGIN_PROBING: &str = concat!("BEGIN; ", probing_plans!());

/// [`PROBING_SESSION`] for statements whose commits need not wait for the disk
/// (`synchronous_commit = off`): ones that a PostgreSQL crash may undo without harm (the
/// delivery worker's claims and outcomes, the dispatcher's assignments from the queue). With
/// the settings in the session, each such statement is its own transaction: one round trip
/// instead of three (`BEGIN`, the statement, `COMMIT`).
pub const UNFLUSHED_PROBING_SESSION: &str =
    concat!("SET synchronous_commit = off; ", probing_plans!(session));

/// A write transaction begun with [`BEGIN_PROBING`].
pub async fn begin_probing(
    pool: &sqlx::PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    pool.begin_with(BEGIN_PROBING).await
}

/// A pool with `like`'s bound and options, opened lazily. A connection's socket is driven by
/// the runtime of the task that opened it, so a pool used only from one thread keeps its
/// sockets there: the node's busy HTTP workers then never stand between a batch writer or a
/// dispatcher and PostgreSQL's answers (see `writer_thread`).
pub fn pool_like(like: &sqlx::PgPool) -> sqlx::PgPool {
    like.options()
        .clone()
        .connect_lazy_with(like.connect_options().as_ref().clone())
}

/// [`pool_like`], whose every connection first runs `settings` (`SET` statements) for its
/// whole session: a pool for statements that must never run without them, each its own
/// transaction. Nothing else may be sent on it, since a cached plan is not made again when
/// the settings differ (see [`probing_plans!`]).
pub fn pool_with_session(like: &sqlx::PgPool, settings: &'static str) -> sqlx::PgPool {
    use sqlx::Executor;
    like.options()
        .clone()
        .after_connect(move |conn, _| {
            Box::pin(async move { conn.execute(settings).await.map(drop) })
        })
        .connect_lazy_with(like.connect_options().as_ref().clone())
}

pub mod accounts;
pub mod alerts;
pub mod api_keys;
pub mod calendar;
pub mod digests;
pub mod events;
pub mod follow_ups;
pub mod groups;
pub mod guest_panel;
pub mod guest_views;
pub mod held;
pub mod ids;
pub mod ingest;
pub mod ingest_batch;
#[macro_use]
pub mod leases;
pub mod notes;
#[macro_use]
pub mod outbound;
pub mod reports;
pub mod reviews;
pub mod rollups;
pub mod sessions;
pub mod statistics;
pub mod templates;
#[macro_use]
pub mod tickets;
// After `tickets`: the assignment statement returns the tickets as their frames show them.
pub mod dispatch_state;
pub mod ticket_actions;
pub mod todos;
pub mod users;
pub mod wallboard;
pub mod work;
pub mod writer_thread;

/// Whether `e` is a unique-constraint violation (SQLSTATE 23505).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}

#[cfg(test)]
mod tests {
    use crate::domain::ticket::TicketState;

    #[test]
    fn sql_names_every_state_as_the_domain_does() {
        let quoted = |s: TicketState| format!("'{}'", s.as_str());
        assert_eq!(state_sql!(Queued), quoted(TicketState::Queued));
        assert_eq!(state_sql!(Assigned), quoted(TicketState::Assigned));
        assert_eq!(state_sql!(Opened), quoted(TicketState::Opened));
        assert_eq!(state_sql!(Pending), quoted(TicketState::Pending));
        assert_eq!(state_sql!(Done), quoted(TicketState::Done));
        let active: Vec<String> = TicketState::ALL
            .into_iter()
            .filter(|s| s.is_active())
            .map(quoted)
            .collect();
        assert_eq!(state_sql!(Active), format!("({})", active.join(", ")));
    }
}
