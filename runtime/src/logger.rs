//! The installed logger: global state that call sites reach.

use crate::filter::Filter;
use crate::queue::{Control, Queue, Signal};
use crate::record::{Record, RecordBuilder};
use crate::writer::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

pub(crate) struct Logger {
    pub(crate) queue: Arc<Queue>,
    writer: Mutex<Option<JoinHandle<Output>>>,
    /// Once the writer thread has stopped (the guard dropped), events are
    /// formatted and written here, on the caller's thread.
    sync_out: Mutex<Option<Output>>,
    closed: AtomicBool,
    flush_timeout: Duration,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

impl RecordBuilder {
    /// Hands the event to the logger. Not public API: generated code calls
    /// it once per enabled event. (Defined here, in the pipeline, so that
    /// the event model below it never calls up into it.)
    #[doc(hidden)]
    #[inline]
    pub fn submit(self) {
        if let Some(rec) = self.into_record() {
            dispatch(rec);
        }
    }
}

/// Where every enabled event goes. The common case (no capture running,
/// writer thread up) is kept small enough to inline into the call site.
#[inline]
pub(crate) fn dispatch(rec: Record) {
    if crate::capture::active() {
        dispatch_captured(rec);
    } else {
        deliver(rec);
    }
}

#[cold]
#[inline(never)]
fn dispatch_captured(rec: Record) {
    if let Some(rec) = crate::capture::offer(rec)
        && crate::callsite::filter_allows(rec.callsite.metadata().target, rec.level)
    {
        deliver(rec);
    }
}

#[inline]
fn deliver(rec: Record) {
    match LOGGER.get() {
        Some(logger) if !logger.closed.load(Ordering::Acquire) => logger.queue.push(rec),
        Some(logger) => logger.write_sync(&rec),
        None => {}
    }
}

impl Logger {
    fn write_sync(&self, rec: &Record) {
        let mut out = self.sync_out.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(out) = out.as_mut() {
            self.drain_into(out);
            out.format(rec);
            out.write_batch();
        }
    }

    /// Writes whatever is still queued (events that raced with shutdown).
    fn drain_into(&self, out: &mut Output) {
        self.queue.drain_stopped(|rec| out.format(rec));
        let dropped = self.queue.take_dropped();
        if dropped > 0 {
            out.report_dropped(dropped);
        }
    }

    fn flush(&self) {
        if self.closed.load(Ordering::Acquire) {
            let mut out = self.sync_out.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(out) = out.as_mut() {
                self.drain_into(out);
                out.flush_sink();
            }
            return;
        }
        let signal = Arc::new(Signal::default());
        self.queue.request(Control::Flush(Arc::clone(&signal)));
        self.queue
            .wait_while_progressing(&signal, self.flush_timeout);
    }

    fn shutdown(&self) {
        let Some(handle) = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return;
        };
        let stopped = Arc::new(Signal::default());
        self.queue.request(Control::Shutdown(Arc::clone(&stopped)));
        // A slow output is waited for, however long it takes to write the
        // backlog; an output that accepts nothing for a whole timeout is
        // stuck, and the writer is left to it rather than hang the program.
        if !self
            .queue
            .wait_while_progressing(&stopped, self.flush_timeout)
        {
            self.closed.store(true, Ordering::Release);
            return;
        }
        let out = handle.join().ok();
        let mut sync = self.sync_out.lock().unwrap_or_else(PoisonError::into_inner);
        *sync = out;
        self.closed.store(true, Ordering::Release);
        if let Some(out) = sync.as_mut() {
            self.drain_into(out);
            out.flush_sink();
        }
    }
}

/// Installs the logger; `Err` if one is installed already.
pub(crate) fn install(
    filter: Filter,
    queue: Queue,
    output: Output,
    flush_timeout: Duration,
) -> Result<(), std::io::Error> {
    let queue = Arc::new(queue);
    let mut spawn_err = None;
    let mut installed = false;
    LOGGER.get_or_init(|| {
        installed = true;
        let q = Arc::clone(&queue);
        let handle = std::thread::Builder::new()
            .name("pulselog-writer".into())
            .spawn(move || crate::writer::run(&q, output));
        let handle = match handle {
            Ok(h) => {
                queue.set_writer(h.thread().clone());
                Some(h)
            }
            Err(e) => {
                spawn_err = Some(e);
                None
            }
        };
        Logger {
            closed: AtomicBool::new(handle.is_none()),
            queue,
            writer: Mutex::new(handle),
            sync_out: Mutex::new(None),
            flush_timeout,
        }
    });
    if !installed {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "a logger is already installed",
        ));
    }
    if let Some(e) = spawn_err {
        return Err(e);
    }
    crate::callsite::set_filter(Some(filter));
    Ok(())
}

pub(crate) fn is_installed() -> bool {
    LOGGER.get().is_some()
}

/// Waits until every event logged before the call is written.
pub fn flush() {
    if let Some(logger) = LOGGER.get() {
        logger.flush();
    }
}

pub(crate) fn shutdown() {
    if let Some(logger) = LOGGER.get() {
        logger.shutdown();
    }
}
