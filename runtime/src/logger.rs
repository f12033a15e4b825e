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
//!
//! **Fork.** Only the forking thread exists in a child after `fork()`:
//! the parent's writer thread, its queue's lanes and any lock another
//! thread held are the parent's. So the child gets a logger of its own, as
//! Python's `logging` re-creates its handlers' locks through
//! `os.register_at_fork`. Handlers registered with `pthread_atfork` at
//! install:
//! - *prepare* takes the fork lock (no child's logger is being built while
//!   the process forks), then makes sure no thread of the logger is in the
//!   output, so that the child inherits no lock of it, nor stdout's, held
//!   by a thread it does not have: it pauses the writer thread where it
//!   holds nothing, between two rounds of its loop
//!   (`Queue::pause_writer`), or, after shutdown, holds the synchronous
//!   output. It waits as a flush does, for as long as the output makes
//!   progress: a `fork()` waits for the write (or the formatting) under
//!   way, and an output stuck for a whole block timeout is left to itself.
//!   (A `fork()` on the writer thread, or on a thread inside the
//!   synchronous output, pauses nothing: it cannot wait for itself.)
//! - *parent* lets the writer go on and releases the locks.
//! - *child* does only what is async-signal-safe: it marks the parent's
//!   logger closed (so that every call takes the slow path) and notes that
//!   the process forked, leaves the parent's locks as they are, and
//!   releases the fork lock.
//!
//! The child's first event then builds its logger (`rebuild`): an empty
//! queue (what the parent queued and had not written is the parent's to
//! write, and the child never writes it), a writer thread of its own (or
//! synchronous writes, if the parent's writer had stopped), the same
//! format, filter and queue sizes. Its output is stdout if the parent's
//! was; a custom writer (`Config::writer`) belongs to the parent's writer
//! thread, which the child does not have, so the child writes to stderr,
//! and says so once there. The OTLP export (feature `otlp`) does not run
//! in the child. The forking thread's lane, which belongs to the parent's
//! queue, is replaced on its next event (each lane knows its queue).
//! Until the child logs, a flush, a guard's drop and the exit have nothing
//! to do; afterwards they work on the child's logger as in any process.
//! The parent's logger stays in the child's memory, never used or freed.
//!
//! (Over 600 lines: the fork handling changes which logger every entry
//! point reaches, and reads best beside them.)

use crate::diag::say;
use crate::filter::Filter;
use crate::level::Level;
use crate::origin::Origin;
use crate::queue::{Control, Queue, Signal, cold_path};
use crate::record::{IntoRecord, Record, RecordBuilder};
use crate::settings::Settings;
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::thread::{self, JoinHandle};
use crate::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, thread_local};
use crate::writer::Output;
use std::cell::Cell;
use std::sync::atomic::{
    AtomicBool as StdAtomicBool, AtomicPtr as StdAtomicPtr, AtomicU8 as StdAtomicU8,
    Ordering as StdOrdering,
};

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
    /// are then written synchronously. In a child after `fork()`, set on
    /// the parent's logger, so that every call takes the slow path, which
    /// builds the child's.
    closed: AtomicBool,
    /// What a child after `fork()` makes its output from: this logger's
    /// format, with stdout or stderr (see `Output::for_child`).
    template: Mutex<Output>,
    /// Whether the output is a custom writer (which a child cannot use).
    custom: bool,
}

/// The logger installed (once per process).
static LOGGER: OnceLock<Logger> = OnceLock::new();

/// The logger calls reach: the installed one, or in a child after `fork()`
/// the child's own (leaked: it lives as long as the process). `std`'s,
/// not loom's, as the statics below: loom's atomics cannot be statics, and
/// no model forks.
static CURRENT: StdAtomicPtr<Logger> = StdAtomicPtr::new(std::ptr::null_mut());

/// The logger calls reach now (see [`CURRENT`]).
#[inline]
fn current() -> Option<&'static Logger> {
    // SAFETY: `CURRENT` is null or points at a logger that is never freed
    // (the installed one, in a static, or a child's, leaked), stored with
    // release after it was made.
    match unsafe { CURRENT.load(StdOrdering::Acquire).as_ref() } {
        Some(logger) => Some(logger),
        // Installed, and not yet published by the installing thread (a
        // racing `init` returns once the logger is installed, and logs at
        // once), or not installed.
        None => LOGGER.get(),
    }
}

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
pub fn submit(mut b: RecordBuilder) {
    let detours = crate::settings::detours();
    if detours != 0 && !goes_plain(detours, &b) {
        cold_path(|| dispatch(IntoRecord::into_record(&mut b)));
    } else {
        match current() {
            // The builder stays where the call site made it, and its record
            // is made from there.
            Some(logger) if !logger.closed.load(Ordering::Acquire) => logger.queue.push(&mut b),
            Some(_) => cold_path(|| deliver(IntoRecord::into_record(&mut b))),
            None => return,
        }
    }
    // Made into its record (or discarded by the queue), the builder owns
    // nothing any more: its drop, out of line, would be a call for nothing
    // (12 instructions per `info!` by callgrind).
    std::mem::forget(b);
}

/// Whether an event goes to the queue the common way although something
/// is on (`detours`, not 0): replay on error or the storm guard alone,
/// with nothing for it to do. Out of line, so that with nothing on the
/// common path is what it was (+6 instructions per `info!` inlined).
#[inline(never)]
fn goes_plain(detours: usize, b: &RecordBuilder) -> bool {
    crate::settings::only_replay(detours) && plain_under_replay(b)
        || crate::settings::only_guard(detours) && nothing_to_report(b)
}

/// With replay on error alone: whether the event goes to the queue as it
/// would without replay, one the filter passes (not one to keep) and
/// below ERROR (none to write kept ones before).
#[inline]
fn plain_under_replay(b: &RecordBuilder) -> bool {
    b.level().number() < Level::Error.number() && b.callsite().passes_filter(b.level())
}

/// With the storm guard alone: whether the event's key dropped nothing
/// since its last line, so that it goes to the queue as it would without
/// the guard (with a count to take, +290 instructions by callgrind).
#[inline]
fn nothing_to_report(b: &RecordBuilder) -> bool {
    b.callsite()
        .guarded_if_made()
        .is_none_or(|g| !g.keys.pending(b.level()))
}

/// An event that has more to do than go to the queue: the storm guard's
/// count or a task id to add, a capture that may take it, or replay on
/// error, which keeps it or
/// writes what its request kept before it (else the filter itself decides
/// whether it goes on, since a capture enabled every level and replay
/// those it keeps); and a bridged record that owns its call site, made
/// before it is handed over.
#[cold]
#[inline(never)]
pub(crate) fn dispatch(mut rec: Record) {
    // The guard's count goes after the fields, before a task id.
    if crate::settings::sampling().is_some() {
        rec.take_guard_count();
    }
    if crate::settings::task_ids() {
        rec.push_task_id();
    }
    let replaying = crate::settings::replaying();
    if crate::settings::overriding() {
        match crate::capture::offer(rec) {
            Some(r) => rec = r,
            None => return,
        }
    } else if !replaying {
        deliver(rec);
        return;
    }
    if !rec.callsite.passes_filter(rec.level) {
        if replaying {
            crate::replay::keep(rec);
        }
        return;
    }
    if replaying && rec.level.number() >= Level::Error.number() {
        // Queued from this thread one after the other, so that they keep
        // their order whatever their timestamps.
        crate::replay::take(&rec).for_each(deliver);
    }
    deliver(rec);
}

fn deliver(rec: Record) {
    if let Some(logger) = live() {
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
            self.queue.push(rec);
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
            self.queue.push(rec);
            return;
        }
        #[cfg(unix)]
        let Some(_writing) = ending::Writing::enter() else {
            // A signal is ending the process: no line is begun.
            return;
        };
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
        let leftover = self.queue.drain_stopped(|rec, origin| {
            out.format(rec, origin, &self.queue);
        });
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
        sync.out = out.map(|mut out| {
            out.give_up_after(self.queue.limits().block_timeout);
            out
        });
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

/// A signal that ends the process once the synchronous writes under way
/// are finished (`Config::flush_on_signal` with synchronous writes, see
/// `crate::signal`): the lines are written by the threads that log, so
/// nothing is queued, and all the signal must wait for is a line being
/// written, so that none is cut short.
#[cfg(unix)]
pub(crate) mod ending {
    use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

    /// Threads inside a synchronous write.
    static WRITERS: AtomicUsize = AtomicUsize::new(0);
    /// The signal waiting for them (0: none).
    static WAITING: AtomicI32 = AtomicI32::new(0);

    /// Whether lines are written by the threads that log, now (no writer
    /// thread): async-signal-safe (atomic loads).
    pub(crate) fn synchronous() -> bool {
        super::current().is_some_and(|l| l.closed.load(super::Ordering::Acquire))
    }

    /// From a signal handler: `signo` ends the process once no synchronous
    /// write is under way. True if none is now: the caller ends it.
    /// Async-signal-safe (atomics only).
    pub(crate) fn after_writes(signo: libc::c_int) -> bool {
        // Stored before the count is read, and the count dropped before
        // the writer reads this (both sequentially consistent): either
        // the handler sees no writer, or the last writer sees the signal.
        WAITING.store(signo, Ordering::SeqCst);
        WRITERS.load(Ordering::SeqCst) == 0
    }

    /// One thread inside a synchronous write.
    pub(super) struct Writing;

    impl Writing {
        /// `None` once a signal waits: no new line is begun.
        pub(super) fn enter() -> Option<Writing> {
            WRITERS.fetch_add(1, Ordering::SeqCst);
            let writing = Writing;
            (WAITING.load(Ordering::SeqCst) == 0).then_some(writing)
        }
    }

    impl Drop for Writing {
        fn drop(&mut self) {
            if WRITERS.fetch_sub(1, Ordering::SeqCst) == 1 {
                let signo = WAITING.load(Ordering::SeqCst);
                if signo != 0 {
                    super::end_by(signo);
                }
            }
        }
    }
}

/// Ends the process by `signo`'s default action (async-signal-safe).
#[cfg(unix)]
pub(crate) fn end_by(signo: libc::c_int) {
    // SAFETY: both are async-signal-safe. With the default action back, the
    // raised signal ends the process: at once on a thread that does not
    // block it, or, in a handler (which runs with its own signal blocked),
    // as soon as it returns.
    unsafe {
        libc::signal(signo, libc::SIG_DFL);
        libc::raise(signo);
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

impl Logger {
    /// A logger whose writer thread writes `output`; or, when `stopped`,
    /// one that writes it synchronously, as after shutdown. With the error
    /// if the thread could not start (the logger then writes nothing).
    fn start(queue: Arc<Queue>, output: Output, stopped: bool) -> (Logger, Option<std::io::Error>) {
        let template = output.for_child();
        let custom = output.is_custom();
        let (handle, out, err) = if stopped {
            let mut output = output;
            output.give_up_after(queue.limits().block_timeout);
            (None, Some(output), None)
        } else {
            let q = Arc::clone(&queue);
            let handle = thread::Builder::new()
                .name("pulselog-writer".into())
                .spawn(move || {
                    let _death = WriterDeath(&q);
                    crate::writer::run(&q, output)
                });
            match handle {
                Ok(h) => {
                    queue.set_writer(h.thread().clone());
                    (Some(h), None, None)
                }
                Err(e) => (None, None, Some(e)),
            }
        };
        let logger = Logger {
            closed: AtomicBool::new(handle.is_none()),
            queue,
            writer: Mutex::new(handle),
            phase: Mutex::new(if stopped {
                Phase::Stopped
            } else {
                Phase::Running
            }),
            stopped: Condvar::new(),
            sync: Mutex::new(SyncOutput { out, exiting: None }),
            template: Mutex::new(template),
            custom,
        };
        (logger, err)
    }
}

/// Who writes the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The writer thread (the default).
    WriterThread,
    /// The thread that logs, before its call returns
    /// (`Config::synchronous`): the logger starts as it is after shutdown.
    Synchronous,
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
    mode: Mode,
) -> Result<(), std::io::Error> {
    let mut spawn_err = None;
    let mut installed = false;
    let logger = LOGGER.get_or_init(|| {
        installed = true;
        crate::settings::apply(settings);
        crate::callsite::set_filter(Some(filter));
        register_exit_hook();
        register_fork_handlers();
        let (logger, err) = Logger::start(Arc::new(queue), output, mode == Mode::Synchronous);
        spawn_err = err;
        logger
    });
    if !installed {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "a logger is already installed",
        ));
    }
    CURRENT.store(std::ptr::from_ref(logger).cast_mut(), StdOrdering::Release);
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

/// Waits until every event logged before the call is written. (In a child
/// after `fork()` that has logged nothing yet, there is nothing to wait
/// for.)
pub fn flush() {
    if let Some(logger) = current()
        && !forked()
        && !crate::writer::on_writer_thread()
    {
        logger.flush();
    }
}

/// Stops the writer thread after it has written everything queued.
pub(crate) fn shutdown() {
    if let Some(logger) = current()
        && !forked()
        && !crate::writer::on_writer_thread()
    {
        logger.shutdown();
    }
}

/// Writes everything logged so far, for a process about to exit (see the
/// module docs).
pub(crate) fn finish() {
    if let Some(logger) = current()
        && !forked()
        && !crate::writer::on_writer_thread()
    {
        logger.finish();
    }
}

/// States of [`FORKED`].
const NOT_FORKED: u8 = 0;
/// Forked while the parent's writer thread ran.
#[cfg_attr(loom, allow(dead_code))]
const FORKED_RUNNING: u8 = 1;
/// Forked after the parent's writer thread stopped.
const FORKED_STOPPED: u8 = 2;

/// Set in a child after `fork()` until its first event builds its own
/// logger: until then, the current logger is the parent's.
static FORKED: StdAtomicU8 = StdAtomicU8::new(NOT_FORKED);

/// Held from before a `fork()` until after it (in both processes), and
/// while a child's logger is built. A spin lock rather than a `Mutex`: the
/// child releases it in its `fork()` handler, where only async-signal-safe
/// calls are allowed.
static FORK_LOCK: StdAtomicBool = StdAtomicBool::new(false);

/// The queue whose writer a `fork()` under way has paused.
#[cfg(all(unix, not(loom)))]
static PAUSED: StdAtomicPtr<Queue> = StdAtomicPtr::new(std::ptr::null_mut());

/// Whether this is a child after `fork()` that has not logged yet.
fn forked() -> bool {
    FORKED.load(StdOrdering::Acquire) != NOT_FORKED
}

fn fork_lock() {
    while FORK_LOCK
        .compare_exchange_weak(false, true, StdOrdering::Acquire, StdOrdering::Relaxed)
        .is_err()
    {
        // Held for a `fork()` or the building of a logger: microseconds,
        // or the writer's pause (bounded, see `Queue::pause_writer`).
        std::thread::sleep(std::time::Duration::from_micros(50));
    }
}

fn fork_unlock() {
    FORK_LOCK.store(false, StdOrdering::Release);
}

/// The logger an event goes to: in a child after `fork()`, the first event
/// builds the child's own.
fn live() -> Option<&'static Logger> {
    let logger = current()?;
    if !forked() {
        return Some(logger);
    }
    Some(rebuild(logger))
}

/// Builds a child's logger after `fork()` from the parent's (`stale`): an
/// empty queue (what the parent queued is the parent's to write), and a
/// writer thread of its own on an output made from the parent's template;
/// or, if the parent's writer had stopped, synchronous writes.
#[cold]
#[inline(never)]
fn rebuild(stale: &'static Logger) -> &'static Logger {
    fork_lock();
    let state = FORKED.load(StdOrdering::Relaxed);
    if state == NOT_FORKED {
        // Another thread of the child built it meanwhile.
        fork_unlock();
        return current().unwrap_or(stale);
    }
    let output = lock(&stale.template).for_child();
    let queue = Arc::new(Queue::new(*stale.queue.limits()));
    let (logger, err) = Logger::start(queue, output, state == FORKED_STOPPED);
    if let Some(e) = err {
        say(format_args!(
            "the log writer thread could not start after fork() ({e}); events are written synchronously"
        ));
        *lock(&logger.phase) = Phase::Stopped;
        let mut output = lock(&logger.template).for_child();
        output.give_up_after(logger.queue.limits().block_timeout);
        lock(&logger.sync).out = Some(output);
    }
    if stale.custom {
        say(format_args!(
            "the configured log writer belongs to the parent process; process {} writes its log lines to stderr",
            std::process::id()
        ));
    }
    let fresh: &'static Logger = Box::leak(Box::new(logger));
    CURRENT.store(std::ptr::from_ref(fresh).cast_mut(), StdOrdering::Release);
    FORKED.store(NOT_FORKED, StdOrdering::Release);
    fork_unlock();
    fresh
}

/// Before a `fork()`: no child's logger is being built, and nothing of the
/// parent's logger is in the output, so that the child finds no lock of it
/// (nor stdout's) held by a thread it does not have. The writer thread is
/// paused at a quiet point; once it has stopped, the synchronous output is
/// held. Either only for as long as the output makes progress (see
/// `Queue::pause_writer`): a stuck output is left to itself.
#[cfg(all(unix, not(loom)))]
fn before_fork() {
    fork_lock();
    let Some(logger) = current() else { return };
    // The forking thread cannot wait for itself.
    if forked() || crate::writer::on_writer_thread() || on_sync_output() {
        return;
    }
    if !logger.closed.load(Ordering::Acquire) {
        if logger.queue.pause_writer() {
            PAUSED.store(
                std::ptr::from_ref::<Queue>(&logger.queue).cast_mut(),
                StdOrdering::Relaxed,
            );
        }
    } else if let Some(held) = logger.hold_sync() {
        let _ = HELD_SYNC.try_with(|h| *h.borrow_mut() = Some(held));
    }
}

#[cfg(all(unix, not(loom)))]
thread_local! {
    /// The synchronous output, held by the forking thread across `fork()`.
    static HELD_SYNC: std::cell::RefCell<Option<MutexGuard<'static, SyncOutput>>> =
        const { std::cell::RefCell::new(None) };
}

#[cfg(all(unix, not(loom)))]
impl Logger {
    /// The synchronous output's lock, once no thread writes with it; `None`
    /// if one has been writing for a whole block timeout (a stuck output).
    fn hold_sync(&'static self) -> Option<MutexGuard<'static, SyncOutput>> {
        let start = std::time::Instant::now();
        loop {
            match self.sync.try_lock() {
                Ok(held) => return Some(held),
                Err(std::sync::TryLockError::Poisoned(e)) => return Some(e.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
            if start.elapsed() >= self.queue.limits().block_timeout {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }
}

/// After a `fork()`, in the parent: the writer goes on.
#[cfg(all(unix, not(loom)))]
fn after_fork_in_parent() {
    let paused = PAUSED.swap(std::ptr::null_mut(), StdOrdering::Relaxed);
    // SAFETY: null, or the queue of the current logger, which is never
    // freed.
    if let Some(queue) = unsafe { paused.as_ref() } {
        queue.resume_writer();
    }
    let _ = HELD_SYNC.try_with(|h| h.borrow_mut().take());
    fork_unlock();
}

/// After a `fork()`, in the child: only atomic stores and a thread-local
/// the prepare handler set up on this thread (async-signal-safe).
/// The parent's logger is marked closed, so that every call takes the slow
/// path, where the first event builds the child's logger.
#[cfg(all(unix, not(loom)))]
fn after_fork_in_child() {
    PAUSED.store(std::ptr::null_mut(), StdOrdering::Relaxed);
    // The parent's logger is left as it is: its lock stays held.
    let _ = HELD_SYNC.try_with(|h| h.borrow_mut().take().map(std::mem::forget));
    // A child that forks before it logged keeps the state it inherited.
    if let Some(logger) = current()
        && !forked()
    {
        let stopped = logger.closed.swap(true, Ordering::AcqRel);
        let state = if stopped {
            FORKED_STOPPED
        } else {
            FORKED_RUNNING
        };
        FORKED.store(state, StdOrdering::Release);
    }
    fork_unlock();
}

/// Registers the `fork()` handlers, once per process (a child inherits
/// them).
#[cfg(all(unix, not(loom)))]
fn register_fork_handlers() {
    extern "C" fn prepare() {
        // Nothing may unwind out of an `extern "C"` function.
        let _ = std::panic::catch_unwind(before_fork);
    }
    extern "C" fn parent() {
        let _ = std::panic::catch_unwind(after_fork_in_parent);
    }
    extern "C" fn child() {
        after_fork_in_child();
    }
    // SAFETY: the handlers are `extern "C" fn()`s that live as long as the
    // program and never unwind; the child's makes only async-signal-safe
    // calls (atomic loads and stores).
    let _ = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
}

#[cfg(not(all(unix, not(loom))))]
fn register_fork_handlers() {}
