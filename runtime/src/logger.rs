//! The installed logger: global state that call sites reach, and the ways
//! it ends.
//!
//! **Shutdown** (the guard's drop, [`finish`]) happens once: the first
//! caller asks the writer to write everything queued and stop, and any
//! other caller meanwhile (a second guard drop, `exit` on another thread,
//! the panic hook's flush) waits until it has. The writer's output then
//! moves to the logger, and later events are written on the caller's
//! thread, each after whatever is still queued.
//!
//! **Exit** ([`finish`], from `pulselog::exit` and, on Unix, from an
//! `atexit` handler, so `std::process::exit` and a return from `main` are
//! covered too): shutdown, then one last drain under the lock that every
//! synchronous write takes. From then on only the exiting thread writes (a
//! destructor that runs at exit still logs); events from other threads are
//! dropped rather than written while the process ends, so the last line is
//! never cut short.
//!
//! **Re-entry.** The output's own code (a custom writer) may log or flush
//! while it writes: on the writer thread its events go to that thread's
//! lane and a flush returns at once; on the thread that holds the
//! synchronous output, its events are queued for the next write, and a
//! flush returns at once, rather than wait for the lock its thread holds.
//!
//! **A stuck output** (one that accepts nothing for a whole block timeout)
//! is not waited for: shutdown gives up, says on stderr how many events it
//! could not write, and leaves the writer thread to it.

use crate::diag::say;
use crate::filter::Filter;
use crate::origin::Origin;
use crate::queue::{Control, Queue, Signal, cold_path};
use crate::record::{Record, RecordBuilder};
use crate::settings::Settings;
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::thread::{self, JoinHandle};
use crate::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, thread_local};
use crate::writer::Output;
use std::cell::Cell;

#[cfg(all(test, loom))]
mod loom;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Stopping,
    Stopped,
}

/// The output once the writer thread has stopped.
#[derive(Debug, Default)]
struct SyncOutput {
    out: Option<Output>,
    /// Set when the process began to exit: the thread that may still write.
    exiting: Option<usize>,
}

pub(crate) struct Logger {
    pub(crate) queue: Arc<Queue>,
    writer: Mutex<Option<JoinHandle<Output>>>,
    phase: Mutex<Phase>,
    stopped: Condvar,
    sync: Mutex<SyncOutput>,
    /// Set once the writer thread has stopped (or was given up on): events
    /// are then written synchronously.
    closed: AtomicBool,
    /// The process that installed the logger (a child after `fork` has no
    /// writer thread).
    pid: u32,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Hands an event to the logger: where every enabled event goes. Not
/// public API: generated code calls it, through `__private`, once per
/// enabled event.
///
/// One function, not inlined into the call sites: in the common case (no
/// capture running, no task id to add, writer thread up) the record is
/// made where it goes, in the thread's ring, and its values are copied
/// once, from the builder into the slot.
#[doc(hidden)]
#[inline(never)]
pub fn submit(b: RecordBuilder) {
    if crate::settings::detour() {
        cold_path(|| dispatch(b.into_record()));
        return;
    }
    match LOGGER.get() {
        Some(logger) if !logger.closed.load(Ordering::Acquire) => {
            // Inlined: once the queue's code moved into more files, the
            // compiler made this a call of its own (+60 instructions per
            // `info!` by callgrind).
            logger.queue.push(
                b.spill_bytes(),
                #[inline(always)]
                move || b.into_record(),
            )
        }
        Some(logger) => cold_path(|| logger.write_sync(b.into_record())),
        None => {}
    }
}

/// An event that has more to do than go to the queue: a task id to add,
/// or a capture that may take it (else the filter itself decides whether
/// it goes on, since a capture enabled every level); and a bridged record
/// that owns its call site, made before it is handed over.
#[cold]
#[inline(never)]
pub(crate) fn dispatch(mut rec: Record) {
    if crate::settings::task_ids() {
        rec.push_task_id();
    }
    if !crate::settings::overriding() {
        deliver(rec);
    } else if let Some(rec) = crate::capture::offer(rec)
        && rec.callsite.passes_filter(rec.level)
    {
        deliver(rec);
    }
}

fn deliver(rec: Record) {
    if let Some(logger) = LOGGER.get() {
        logger.deliver(rec);
    }
}

/// An id of the calling thread that works at any point of its life (also
/// in an `atexit` handler, after its thread-locals are gone).
#[cfg(unix)]
fn thread_key() -> usize {
    // SAFETY: `pthread_self` has no preconditions.
    let id = unsafe { libc::pthread_self() };
    id as usize
}

#[cfg(not(unix))]
fn thread_key() -> usize {
    thread_local!(static KEY: u8 = const { 0 });
    KEY.try_with(|k| std::ptr::from_ref(k) as usize)
        .unwrap_or(0)
}

thread_local! {
    /// Set while this thread holds the synchronous output: code the output
    /// runs (a custom writer) may log or flush, and must not wait for the
    /// lock its own thread holds.
    static ON_SYNC_OUTPUT: Cell<bool> = const { Cell::new(false) };
}

fn on_sync_output() -> bool {
    ON_SYNC_OUTPUT.try_with(Cell::get).unwrap_or(false)
}

/// The synchronous output, locked by this thread.
struct SyncHeld<'a>(MutexGuard<'a, SyncOutput>);

impl Drop for SyncHeld<'_> {
    fn drop(&mut self) {
        let _ = ON_SYNC_OUTPUT.try_with(|w| w.set(false));
    }
}

impl std::ops::Deref for SyncHeld<'_> {
    type Target = SyncOutput;
    fn deref(&self) -> &SyncOutput {
        &self.0
    }
}

impl std::ops::DerefMut for SyncHeld<'_> {
    fn deref_mut(&mut self) -> &mut SyncOutput {
        &mut self.0
    }
}

impl Logger {
    /// Queues the event while the writer thread runs, else writes it.
    fn deliver(&self, rec: Record) {
        if self.closed.load(Ordering::Acquire) {
            self.write_sync(rec);
        } else {
            self.queue.push(rec.spill_bytes(), || rec);
        }
    }

    fn lock_sync(&self) -> SyncHeld<'_> {
        let held = SyncHeld(lock(&self.sync));
        let _ = ON_SYNC_OUTPUT.try_with(|w| w.set(true));
        held
    }

    #[cold]
    fn write_sync(&self, rec: Record) {
        if on_sync_output() {
            // Logged by the output's own code while it writes: queued, and
            // written by the next synchronous write.
            self.queue.push(rec.spill_bytes(), || rec);
            return;
        }
        let mut sync = self.lock_sync();
        if sync.exiting.is_some_and(|t| t != thread_key()) {
            return;
        }
        match sync.out.as_mut() {
            Some(out) => {
                self.drain_into(out);
                out.format(&rec, &Origin::current(), &self.queue);
                // No writer thread comes back to write a count later.
                out.write_count(&self.queue);
                out.write_batch(&self.queue);
            }
            // The writer thread was left to a stuck output.
            None => self.queue.count_dropped(true),
        }
    }

    /// Writes whatever is still queued (events that raced with shutdown),
    /// then answers the requests that arrived meanwhile.
    fn drain_into(&self, out: &mut Output) {
        let leftover = self
            .queue
            .drain_stopped(|rec, origin| out.format(rec, origin, &self.queue));
        out.report_dropped(&self.queue);
        out.flush_sink(&self.queue);
        leftover.into_iter().for_each(Control::answer);
    }

    fn flush(&self) {
        if !self.closed.load(Ordering::Acquire) {
            let signal = Arc::new(Signal::default());
            if self
                .queue
                .request(Control::Flush(Arc::clone(&signal)))
                .is_ok()
            {
                self.queue.wait_while_progressing(&signal);
                return;
            }
            // The writer is stopping: what it has not written, it writes
            // before shutdown returns.
            self.wait_stopped();
        }
        if on_sync_output() {
            // The output's own code, while it writes: the write under way
            // is as far as a flush can get.
            return;
        }
        if let Some(out) = self.lock_sync().out.as_mut() {
            self.drain_into(out);
        }
    }

    fn wait_stopped(&self) {
        let phase = lock(&self.phase);
        let _phase = self
            .stopped
            .wait_while(phase, |p| *p == Phase::Stopping)
            .unwrap_or_else(PoisonError::into_inner);
    }

    /// Stops the writer thread once; concurrent callers wait for it.
    fn shutdown(&self) {
        {
            let mut phase = lock(&self.phase);
            while *phase == Phase::Stopping {
                phase = self
                    .stopped
                    .wait(phase)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if *phase == Phase::Stopped {
                return;
            }
            *phase = Phase::Stopping;
        }
        self.stop_writer();
        *lock(&self.phase) = Phase::Stopped;
        self.stopped.notify_all();
    }

    fn stop_writer(&self) {
        let Some(handle) = lock(&self.writer).take() else {
            self.closed.store(true, Ordering::Release);
            return;
        };
        let stopped = Arc::new(Signal::default());
        let asked = self
            .queue
            .request(Control::Shutdown(Arc::clone(&stopped)))
            .is_ok();
        // A slow output is waited for, however long it takes to write the
        // backlog; one that accepts nothing for a whole timeout is stuck,
        // and the writer is left to it rather than hang the program.
        if !asked || !self.queue.wait_while_progressing(&stopped) {
            self.closed.store(true, Ordering::Release);
            say(format_args!(
                "the log output accepted nothing for {:?}; {} events were not written",
                self.queue.limits().block_timeout,
                self.queue.unwritten()
            ));
            return;
        }
        let out = handle.join().ok();
        if out.is_none() {
            say(format_args!(
                "the log writer thread failed; later events are not written"
            ));
        }
        let mut sync = self.lock_sync();
        sync.out = out;
        self.closed.store(true, Ordering::Release);
        if let Some(out) = sync.out.as_mut() {
            self.drain_into(out);
        }
    }

    /// Shutdown, then the last drain of the process's life.
    fn finish(&self) {
        self.shutdown();
        let mut sync = self.lock_sync();
        if let Some(out) = sync.out.as_mut() {
            self.drain_into(out);
            out.settle(&self.queue);
        }
        sync.exiting.get_or_insert_with(thread_key);
    }
}

/// Lives as long as the writer thread's loop: should the loop panic (a bug),
/// whoever waits for the writer gives up after a block timeout instead of
/// waiting for ever.
struct WriterDeath<'q>(&'q Queue);

impl Drop for WriterDeath<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.writer_died();
        }
    }
}

/// Installs the logger; `Err` if one is installed already (whose settings
/// then stay as they are). The settings and the filter are in force before
/// the writer starts and before any caller, this one or a racing one, sees
/// the logger.
pub(crate) fn install(
    filter: Filter,
    settings: Settings,
    queue: Queue,
    output: Output,
) -> Result<(), std::io::Error> {
    let queue = Arc::new(queue);
    let mut spawn_err = None;
    let mut installed = false;
    LOGGER.get_or_init(|| {
        installed = true;
        crate::settings::apply(settings);
        crate::callsite::set_filter(Some(filter));
        let q = Arc::clone(&queue);
        let handle = thread::Builder::new()
            .name("pulselog-writer".into())
            .spawn(move || {
                let _death = WriterDeath(&q);
                crate::writer::run(&q, output)
            });
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
        register_exit_hook();
        Logger {
            closed: AtomicBool::new(handle.is_none()),
            queue,
            writer: Mutex::new(handle),
            phase: Mutex::new(Phase::Running),
            stopped: Condvar::new(),
            sync: Mutex::new(SyncOutput::default()),
            pid: std::process::id(),
        }
    });
    if !installed {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "a logger is already installed",
        ));
    }
    match spawn_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Runs [`finish`] when the process exits through `exit(3)`: a return from
/// `main`, `std::process::exit`.
#[cfg(unix)]
fn register_exit_hook() {
    extern "C" fn at_exit() {
        // Nothing may unwind out of an `extern "C"` function.
        let _ = std::panic::catch_unwind(finish);
    }
    // SAFETY: `at_exit` is an `extern "C" fn()` that lives as long as the
    // program; registering it has no other precondition.
    let _ = unsafe { libc::atexit(at_exit) };
}

#[cfg(not(unix))]
fn register_exit_hook() {}

pub(crate) fn is_installed() -> bool {
    LOGGER.get().is_some()
}

/// Waits until every event logged before the call is written.
pub fn flush() {
    if let Some(logger) = LOGGER.get()
        && !crate::writer::on_writer_thread()
    {
        logger.flush();
    }
}

/// Stops the writer thread after it has written everything queued.
pub(crate) fn shutdown() {
    if let Some(logger) = LOGGER.get()
        && !crate::writer::on_writer_thread()
    {
        logger.shutdown();
    }
}

/// Writes everything logged so far, for a process about to exit (see the
/// module docs). Does nothing in a child forked after installation, whose
/// writer thread does not exist.
pub(crate) fn finish() {
    if let Some(logger) = LOGGER.get()
        && logger.pid == std::process::id()
        && !crate::writer::on_writer_thread()
    {
        logger.finish();
    }
}
