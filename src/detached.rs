//! Fire-and-forget work (a socket's presence updates, an API key's last use) that may still be
//! running when its worker thread stops.
//!
//! An actix worker drops its unfinished tasks after its Tokio runtime has stopped driving them,
//! outside any runtime context. A task that holds a pooled database connection then panics in
//! the connection's destructor (sqlx returns it to the pool by spawning), and a panic during
//! that cleanup aborts the whole process. [`spawn`] drops an unfinished task inside the
//! runtime it was spawned on, so the connection is released the ordinary way.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::runtime::Handle;

/// Runs `work` on the current worker without waiting for it; see the module docs.
pub fn spawn<F>(work: F)
where
    F: Future<Output = ()> + 'static,
{
    let runtime = Handle::current();
    actix_web::rt::spawn(InRuntime {
        runtime,
        work: Some(Box::pin(work)),
    });
}

/// A future that, when dropped unfinished, is dropped inside its runtime's context.
struct InRuntime<F> {
    runtime: Handle,
    work: Option<Pin<Box<F>>>,
}

impl<F: Future<Output = ()>> Future for InRuntime<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(work) = self.work.as_mut() else {
            return Poll::Ready(());
        };
        let done = work.as_mut().poll(cx);
        if done.is_ready() {
            self.work = None;
        }
        done
    }
}

impl<F> Drop for InRuntime<F> {
    fn drop(&mut self) {
        if let Some(work) = self.work.take() {
            let _inside = self.runtime.enter();
            drop(work);
        }
    }
}
