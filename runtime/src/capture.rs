//! Capture routing: where an event logged inside `testing::capture` goes.
//!
//! A capture is one more consumer at the end of the pipeline: the logger
//! offers every event here first (only while a capture runs, which the
//! call-site registry counts), and an event logged in a capture's context,
//! or on the thread that runs a capture, goes to that capture's buffer
//! instead of the output. `testing` is the public API over this module.

use crate::callsite;
use crate::context::{Context, Frame};
use crate::record::Record;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

/// The events one capture has taken, in the order they were logged.
pub(crate) type CaptureBuffer = Arc<Mutex<Vec<Record>>>;

thread_local! {
    /// The capture running on this thread, for events logged in a context
    /// that was made outside the capture (and so lacks its marker).
    static THREAD_BUFFER: RefCell<Option<CaptureBuffer>> = const { RefCell::new(None) };
}

/// Whether any capture is running (the check the logger makes per event).
#[inline]
pub(crate) fn active() -> bool {
    callsite::capturing()
}

/// Takes the record if it was logged inside a capture; gives it back if not.
pub(crate) fn offer(rec: Record) -> Option<Record> {
    let mut frame: Option<&Frame> = rec.context.0.as_deref();
    let mut buffer = None;
    while let Some(f) = frame {
        if let Some(b) = &f.capture {
            buffer = Some(Arc::clone(b));
            break;
        }
        frame = f.parent.as_deref();
    }
    match buffer.or_else(|| THREAD_BUFFER.with(|t| t.borrow().clone())) {
        Some(buffer) => {
            buffer
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
        let ctx = Context::current().with_capture(Arc::clone(&buffer));
        callsite::capture_started();
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
        std::mem::take(&mut *self.buffer.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        callsite::capture_ended();
    }
}

struct RestoreThreadBuffer(Option<CaptureBuffer>);

impl Drop for RestoreThreadBuffer {
    fn drop(&mut self) {
        let prev = self.0.take();
        let _ = THREAD_BUFFER.try_with(|t| t.replace(prev));
    }
}
