//! A group-committing writer's own connection, kept between its batches, so the writer never
//! queues for the pool behind the very requests whose work it carries.

use sqlx::pool::PoolConnection;
use sqlx::{Executor, PgConnection, PgPool, Postgres};

/// One pooled connection held across batches; taken again after a failure that may have
/// broken it.
pub struct HeldConnection {
    pool: PgPool,
    held: Option<PoolConnection<Postgres>>,
    /// `SET` statements each connection taken runs first, for its whole session.
    session: Option<&'static str>,
}

impl HeldConnection {
    /// Holds nothing yet: the first [`HeldConnection::get`] takes a connection.
    pub fn new(pool: PgPool) -> HeldConnection {
        HeldConnection {
            pool,
            held: None,
            session: None,
        }
    }

    /// Like [`HeldConnection::new`], but each connection taken first runs `settings` (`SET`
    /// statements) for its whole session, so the writer's statements need no transaction
    /// block to carry them. Such a connection is closed when let go, never returned to the
    /// pool, where it would carry the settings to others.
    pub fn with_session(pool: PgPool, settings: &'static str) -> HeldConnection {
        HeldConnection {
            session: Some(settings),
            ..HeldConnection::new(pool)
        }
    }

    /// The pool the connection came from, for work done outside the held connection.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The held connection, taken from the pool when none is held.
    pub async fn get(&mut self) -> Result<&mut PgConnection, sqlx::Error> {
        let conn = match self.held {
            Some(ref mut conn) => conn,
            None => {
                let mut conn = self.pool.acquire().await?;
                if let Some(settings) = self.session {
                    conn.close_on_drop();
                    (&mut *conn).execute(settings).await?;
                }
                self.held.insert(conn)
            }
        };
        Ok(&mut **conn)
    }

    /// Lets the connection go after `e`, unless the database itself answered with `e` (then
    /// the connection is sound and its transaction was rolled back).
    pub fn failed(&mut self, e: &sqlx::Error) {
        if !matches!(e, sqlx::Error::Database(_)) {
            self.forget();
        }
    }

    /// Lets the connection go (returned to the pool, which checks it before reuse).
    pub fn forget(&mut self) {
        self.held = None;
    }
}
