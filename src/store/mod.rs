//! SQL, and nothing else: functions that take an executor (a pool or an open transaction), so
//! callers compose several into one transaction. Every query is scoped by `account_id`.

pub mod accounts;
pub mod api_keys;
pub mod dispatch_state;
pub mod events;
pub mod ingest;
pub mod reports;
pub mod sessions;
pub mod templates;
pub mod tickets;
pub mod users;
pub mod wallboard;
pub mod work;

/// Whether `e` is a unique-constraint violation (SQLSTATE 23505).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}
