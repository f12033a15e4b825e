//! Capture routing: where an event logged inside `testing::capture` goes.
//!
//! While a capture runs, the pipeline's submit diverts every enabled event
//! here before it is queued (the call-site registry counts the capture as
//! an interest override, so that every level is enabled meanwhile); an
//! event logged in a capture's context, or on the thread that runs a
//! capture, goes to that capture's buffer, and any other event goes on to
//! the queue if the filter itself lets it through (a relaxed load of its
//! call site's own verdict, no lock). The context knows a capture's scope
//! only as an opaque extension. `testing` is the public API over this
//! module.

use crate::callsite;
use crate::context::Context;
use crate::record::Record;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

/// The events one capture has taken, in the order they were logged.
#[derive(Default)]
struct Taken(Mutex<Vec<Record>>);

type CaptureBuffer = Arc<Taken>;

thread_local! {
    /// The capture running on this thread, for events logged in a context
    /// that was made outside the capture (and so lacks its marker).
    static THREAD_BUFFER: RefCell<Option<CaptureBuffer>> = const { RefCell::new(None) };
}

/// Takes the record if it was logged inside a capture; gives it back if not.
pub(crate) fn offer(rec: Record) -> Option<Record> {
    let buffer = rec
        .context
        .extension::<Taken>()
        .or_else(|| THREAD_BUFFER.with(|t| t.borrow().clone()));
    match buffer {
        Some(buffer) => {
            buffer
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(rec);
            None
        }
        None => Some(rec),
    }
}

/// A running capture: its buffer and the context that routes to it. Every
/// call site sees every level until the capture is finished or dropped.
pub(crate) struct Capture {
    buffer: CaptureBuffer,
    ctx: Context,
}

impl Capture {
    /// Starts a capture inside the current context.
    pub(crate) fn start() -> Capture {
        let buffer = CaptureBuffer::default();
        let ctx = Context::current().with_extension(Arc::clone(&buffer) as _);
        callsite::override_started();
        Capture { buffer, ctx }
    }

    /// The context whose events this capture takes.
    pub(crate) fn context(&self) -> &Context {
        &self.ctx
    }

    /// Runs `f` in the capture's context, with the capture also taking what
    /// this thread logs in other contexts meanwhile.
    pub(crate) fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let prev = THREAD_BUFFER.with(|t| t.replace(Some(Arc::clone(&self.buffer))));
        let _restore = RestoreThreadBuffer(prev);
        self.ctx.scope(f)
    }

    /// Ends the capture and returns what it took.
    pub(crate) fn finish(self) -> Vec<Record> {
        std::mem::take(&mut *self.buffer.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        callsite::override_ended();
    }
}

struct RestoreThreadBuffer(Option<CaptureBuffer>);

impl Drop for RestoreThreadBuffer {
    fn drop(&mut self) {
        let prev = self.0.take();
        let _ = THREAD_BUFFER.try_with(|t| t.replace(prev));
    }
}
