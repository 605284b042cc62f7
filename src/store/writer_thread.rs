//! A thread of its own for the node's batch writers, with a pool whose connections are opened,
//! and so driven, there.
//!
//! Why: a connection's socket belongs to the runtime that opened it. One opened by a request
//! on an HTTP worker is looked at only between that worker's thousands of WebSocket tasks, so
//! a writer waited for a busy worker to notice each of PostgreSQL's answers while its
//! transaction held its ticket locks. Under `target`, 100 samples of `pg_stat_activity` found
//! the action writers' transactions idle in transaction (PostgreSQL waiting for the writer's
//! next statement) 445 times; with the writers on this thread, 123 times.

use sqlx::PgPool;
use std::future::Future;
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// Where the batch writers run, and the pool they take their connections from.
#[derive(Clone)]
pub struct WriterThread {
    handle: Handle,
    pool: PgPool,
}

impl WriterThread {
    /// Starts the thread, with a pool like `like` (the same bound and connect options, opened
    /// lazily: normally just the writers' held connections). The thread ends with the runtime
    /// that started it (the server's, or a test's), and its writers and connections with it.
    pub fn start(like: &PgPool) -> std::io::Result<WriterThread> {
        let runtime = Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (keep, starter_ended) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("db-writers".into())
            .spawn(move || {
                let _ = runtime.block_on(starter_ended);
            })?;
        tokio::spawn(async move {
            let _keep = keep;
            std::future::pending::<()>().await
        });
        let pool = {
            let _inside = handle.enter();
            like.options()
                .clone()
                .connect_lazy_with(like.connect_options().as_ref().clone())
        };
        Ok(WriterThread { handle, pool })
    }

    /// The writers' pool: only tasks on this thread may use it.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `work` on the thread.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.handle.spawn(work);
    }
}
