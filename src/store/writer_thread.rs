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
            super::pool_like(like)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::time::Duration;

    #[test]
    fn writers_run_on_their_thread_and_stop_with_the_runtime_that_started_them() {
        let starter = Builder::new_current_thread().enable_all().build().unwrap();
        let (ran_on, on) = mpsc::channel();
        let (alive, ended) = mpsc::channel::<()>();
        starter.block_on(async {
            // Never connects: only where the work runs is looked at.
            let pool = PgPool::connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap();
            let thread = WriterThread::start(&pool).unwrap();
            thread.spawn(async move {
                let _alive = alive;
                let name = std::thread::current().name().map(str::to_owned);
                ran_on.send(name).unwrap();
                std::future::pending::<()>().await
            });
        });
        let name = on.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(name.as_deref(), Some("db-writers"));
        drop(starter);
        // The writer's task went with its thread's runtime, and its sender with it.
        assert_eq!(
            ended.recv_timeout(Duration::from_secs(5)),
            Err(RecvTimeoutError::Disconnected)
        );
    }
}
