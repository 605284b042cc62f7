//! Work that may still be running when its worker thread stops: a socket's presence update, a
//! request being answered, an actor's pending commit.
//!
//! An actix worker drops its unfinished tasks after its Tokio runtime has stopped driving them,
//! outside any runtime context. A task that holds a pooled database connection then panics in
//! the connection's destructor (sqlx returns it to the pool by spawning), and a second such
//! panic during that cleanup aborts the whole process. [`bound`] makes a future that, dropped
//! unfinished, is dropped inside the runtime it was made on, so its connection is released the
//! ordinary way; [`spawn`] runs such a future without waiting for it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::runtime::Handle;

/// Runs `work` on the current worker without waiting for it; see the module docs.
pub fn spawn<F>(work: F)
where
    F: Future<Output = ()> + 'static,
{
    actix_web::rt::spawn(bound(work));
}

/// `work`, dropped inside the current runtime should it be dropped unfinished.
pub fn bound<F: Future>(work: F) -> InRuntime<F> {
    InRuntime {
        runtime: Handle::current(),
        work: Some(Box::pin(work)),
    }
}

/// A future that, when dropped unfinished, is dropped inside its runtime's context.
pub struct InRuntime<F> {
    runtime: Handle,
    work: Option<Pin<Box<F>>>,
}

impl<F: Future> Future for InRuntime<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(work) = self.work.as_mut() else {
            return Poll::Pending;
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

/// [`bound`] as a method, for futures about to become an actor's (`.in_runtime().into_actor(..)`).
pub trait InRuntimeExt: Future + Sized {
    fn in_runtime(self) -> InRuntime<Self> {
        bound(self)
    }
}

impl<F: Future> InRuntimeExt for F {}
