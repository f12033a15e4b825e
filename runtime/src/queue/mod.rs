//! The bounded queue between log calls and the writer thread.
//!
//! (Over 600 lines: the design below covers the whole queue, and `Queue`'s
//! methods are one state shared by producers, the writer and the logger,
//! read best together; the lanes are in `lane.rs`, the loom models in
//! `loom.rs`.)
//!
//! # Design
//!
//! **One lane per logging thread.** A thread's first event gives it a lane:
//! a single-producer single-consumer ring (`rtrb`: a push is a slot write
//! and one release store, no CAS, no allocation once the ring exists), whose
//! consuming end goes to the writer. (With one shared multi-producer ring,
//! the CAS loop of its push took a fifth of all CPU samples of a
//! single-producer run.) A producer only ever waits for room in its own
//! ring, so the number of threads does not change what `Overflow::Block`
//! promises.
//!
//! **Memory bounded by bytes.** A lane starts with a ring of
//! [`FIRST_RING`] events (8 KiB) and, each time it fills, moves to a ring
//! twice as large, up to the configured capacity, while the rings of all
//! lanes together stay within half the byte budget; the writer drains the
//! old ring before it reads the new one, so a thread's order holds (past
//! the capacity only to hold what the ordering grace keeps queued: see
//! "Waiting for the grace" below). Values
//! too large for a record's inline bytes live on the heap; those of queued
//! events are counted against the other half of the budget, and one event's
//! values are cut (with a marker) at that half, so the queue as a whole
//! never holds more than the budget, whatever the values or the number of
//! threads. A lane is dropped, and its memory returned, once its thread has
//! exited and the writer has drained it: short-lived threads leave nothing
//! behind.
//!
//! **Lossless unless the output is stuck.** With `Overflow::Block` a
//! producer whose ring is full (and cannot grow) waits for as long as the
//! writer keeps making progress (consuming events or finishing writes) or
//! is busy formatting; it gives up only when the writer has made none for a
//! whole block timeout while in the output (a write that does not return or
//! keeps failing).
//! It spins and yields briefly, then parks until the writer frees slots of
//! its ring (or, past the timeout, fails the attempt asked for), so
//! hundreds of waiting threads take no CPU from the writer. Waking every
//! 5 ms to look instead, 512 threads on rings of 64 events made 160,000
//! voluntary context switches for 512,000 events in a debug build, and
//! 1.5 million in 41 s under AddressSanitizer, where the writer, one
//! thread among 513, was off the CPU long enough in a write for the write
//! to look stuck: events were dropped. Parked until woken: 4,300 in the
//! debug build, 12,000 and 7 s under AddressSanitizer. (Waiting producers
//! that park at once when others wait, without yielding, made the release
//! build slower: 0.16–0.23 s for those 512,000 events, against 0.09–0.12
//! with the yields.)
//! From then until the writer moves again, the output is *stalled*: other
//! producers with a full ring drop without waiting out the timeout. Every
//! drop is counted; the writer reports the count in a WARNING line once it
//! can write again, and shutdown reports on stderr what it could not write.
//!
//! **An event is dropped only once the output refused it.** A failing
//! output is tried again after a backoff (up to a quarter of a second), so
//! when a full disk is freed, the writer learns of it only at its next
//! attempt; events logged meanwhile, with every ring full of what was
//! queued during the failure, would be dropped although the output works.
//! So a producer gives up (after the timeout, or at once when stalled) only
//! when a write attempt begun *after* it decided to has failed, or when one
//! attempt has been under way for a whole block timeout (an output that
//! never returns): it counts the writer's attempts, asks for one at once
//! ([`Queue::probe`]), and the writer, cutting its backoff short, tries and
//! wakes the producers when it fails ([`Attempt::failed`]). While the
//! output stays down, each event dropped so costs a failing write (14 µs a
//! log call in the full-disk test's debug build, where a drop cost nothing
//! before); once it is back, nothing logged is lost (before, a program
//! logging 20,000 events right after the disk was freed lost all of them).
//!
//! **Timestamp order across threads.** The writer merges the lanes by the
//! records' timestamps (a k-way merge, taking runs from one lane while its
//! next stamp is the smallest), and only takes a record stamped more than
//! a grace window before the start of its pass (`Config::ordering_grace`,
//! 100 µs by default). A record stamped before the pass began was, unless
//! its thread stalled between stamping and queueing it for longer than the
//! window, already in its ring: so events that follow one another across
//! threads (a token handed on, a task moved to another worker) come out in
//! the order they happened, and a lane's own order is never changed. A
//! flush or shutdown takes everything queued, young or not.
//!
//! **Waiting for the grace.** A ring must hold more than a grace's worth
//! of its thread's events: a thread that fills it faster waits, its ring
//! full of events the writer may not take yet, while the writer waits for
//! them to come of age, and the two take turns. With rings of 1 Ki, W1
//! (an event every 10 to 40 ns) ran at 3.0–4.5 M lines/s in ten
//! interleaved runs (the producer found its ring full while the writer
//! waited for the grace 910 to 970 times per million events; `ring-bound`,
//! the same rings without a grace: 13–25). So when the writer finds a ring
//! full of events stamped less than two graces apart (the grace's worth it
//! may not take, and as much again to take in one pass while the thread
//! logs on), it asks the thread to move on to a ring twice as large, past
//! the capacity if need be ([`Queue::bigger_ring`]): in the runs
//! interleaved with those, rings of 2 and 4 Ki, 0 to 7 such waits,
//! 5.5–14.4 M lines/s (with both threads on one core, 3.1–4.0 before,
//! 4.7–9.2 after). And once the writer has caught up with the window (a
//! merge took few records and left younger ones queued), it waits for them
//! to come of age ([`Queue::doze`]), woken early only by a full ring or a
//! request, instead of merging again at once (see `writer::run`).
//!
//! **Figures** (2-core machine, `benches/` and `tests/pipeline/tests/pipeline.rs`;
//! the full tables are in `BENCHMARKS.md`):
//! - Parking instead of polling: 512 threads logging 1,000 events each
//!   into rings of 4 Ki took 80 s while blocked producers slept in 50 µs
//!   steps (the wake-ups took the CPU the writer needed), 1.1 s parked.
//! - One read chunk per lane per merge pass instead of one per run: with
//!   two producers whose records interleave, a run is one record; with a
//!   chunk and a commit per record, W2 ran at 6.8–6.9 M lines/s, with one
//!   chunk per pass at 7.8–9.4 in the runs that followed.
//! - Growing rings: a thread that logs little holds 8 KiB, and 1,000
//!   threads logging 10,000 events each peak at 52 MiB RSS (517 MB with
//!   rings of a fixed 4 Ki). The price is the first use of each new ring's
//!   pages: about 1 % of the calls of a 100,000-event thread take a page
//!   fault (the quick benchmark's W2 p99 of 1.3 µs; 138 ns over a million
//!   events).
//! - The merge and the lane bookkeeping add about 4 % to the writer's
//!   instructions per line (1,254 → 1,307 by callgrind); W1 and W2 stay
//!   within the machine's run-to-run spread (7.5 and 8.1 M lines/s in the
//!   last full run).

mod lane;
#[cfg(all(test, loom))]
pub(crate) mod loom;

pub(crate) use lane::Lanes;

use crate::origin::Origin;
use crate::record::{IntoRecord, Record, Slot};
use crate::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use crate::sync::ring::{PushError, RingBuffer};
use crate::sync::thread::{self, Thread};
use crate::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use lane::{Accounts, LOCAL, LaneReader, LaneShared, Local};
use std::time::{Duration, Instant};

/// What a log call does when its thread's queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Wait for room (lossless) for as long as the output accepts data. Only
    /// when the writer has made no progress for a whole block timeout (a
    /// stuck output) does a log call give up; the event is counted as
    /// dropped, and until the output moves again further events on full
    /// queues drop without waiting out the timeout. An event is dropped only
    /// once the output has refused a write tried after it was logged: what
    /// is logged once the output works again is written.
    #[default]
    Block,
    /// Never wait: the event is dropped and counted. The writer reports the
    /// count in a WARNING line.
    Drop,
}

/// Bytes a queued event takes in a ring, whatever its values.
pub(crate) const SLOT: usize = size_of::<Record>();

/// Events in a thread's first ring.
pub(crate) const FIRST_RING: usize = 64;

/// Locks, ignoring poisoning: no code that holds these locks can leave the
/// data half-changed.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A request to the writer, answered after every event logged before it.
#[derive(Debug)]
pub(crate) enum Control {
    /// Wakes the waiter once everything logged before it is written.
    Flush(Arc<Signal>),
    /// Ends the writer thread after everything logged before it; the
    /// signal fires once the writer has let go of the output.
    Shutdown(Arc<Signal>),
}

impl Control {
    pub(crate) fn answer(self) {
        match self {
            Control::Flush(s) | Control::Shutdown(s) => s.notify(),
        }
    }
}

/// A one-shot flag a thread can wait on.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    done: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    pub(crate) fn notify(&self) {
        *lock(&self.done) = true;
        self.cv.notify_all();
    }

    /// Waits until notified or until `timeout`; true if notified.
    pub(crate) fn wait(&self, timeout: Duration) -> bool {
        let (done, _) = self
            .cv
            .wait_timeout_while(lock(&self.done), timeout, |d| !*d)
            .unwrap_or_else(PoisonError::into_inner);
        *done
    }
}

/// Sizes of the queue, checked by `Config::install`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most events one lane's ring holds.
    pub(crate) capacity: usize,
    /// The most bytes all queued events take (rings and values).
    pub(crate) byte_budget: usize,
    pub(crate) overflow: Overflow,
    pub(crate) block_timeout: Duration,
    /// How long the writer leaves a record in its ring before merging it.
    pub(crate) grace: Duration,
}

impl Limits {
    /// Bytes the rings of all lanes may take together (and, separately,
    /// the values outside the records).
    pub(crate) fn half_budget(&self) -> usize {
        self.byte_budget / 2
    }
}

/// Counters of the events the queue did not pass on.
#[derive(Debug, Default)]
struct Drops {
    /// Dropped because a queue was full under `Overflow::Drop`.
    full: AtomicU64,
    /// Dropped because the output accepted nothing for a block timeout.
    stalled: AtomicU64,
}

/// Events dropped since the last report, by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub(crate) full: u64,
    pub(crate) stalled: u64,
}

impl Dropped {
    pub(crate) fn total(self) -> u64 {
        self.full + self.stalled
    }
}

/// What a `fork()` asks of the writer thread (see [`Queue::pause_writer`]).
#[derive(Debug, Default)]
struct Pause {
    /// A fork waits for the writer to stop at a quiet point.
    asked: bool,
    /// The writer is stopped there, until `asked` is cleared.
    paused: bool,
}

/// Numbers queues, so that a thread's lane is known to belong to its
/// queue. (`std`'s under loom too: numbering is not what the models check.)
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[derive(Debug)]
pub(crate) struct Queue {
    /// This queue's number: a thread's lane from another queue (in a child
    /// after `fork()`, the forking thread's lane in the parent's queue) is
    /// replaced, not pushed to.
    id: u64,
    limits: Limits,
    first_ring: usize,
    /// `limits.grace` in clock ticks.
    grace_ticks: u64,
    ring_bytes: AtomicUsize,
    spill_bytes: AtomicUsize,
    /// Lanes the writer has not adopted yet (and, once the writer has
    /// stopped, all of them).
    new_lanes: Mutex<Vec<LaneReader>>,
    has_new_lanes: AtomicBool,
    /// Every lane not yet retired, for counting what was never written.
    registry: Mutex<Vec<Arc<LaneShared>>>,
    /// Events pushed into lanes that have been retired.
    retired_pushed: AtomicU64,
    control: Mutex<Vec<Control>>,
    has_control: AtomicBool,
    /// Set once the writer has stopped taking requests.
    control_closed: AtomicBool,
    /// Set by the writer just before it parks.
    sleeping: AtomicBool,
    /// Set by the writer while it dozes (see [`Queue::doze`]).
    dozing: AtomicBool,
    writer: OnceLock<Thread>,
    /// Set when a blocked producer saw no progress for a whole block
    /// timeout; cleared by the writer's next progress.
    stalled: AtomicBool,
    /// The writer's attempts at the output (write and flush calls): twice
    /// the number begun, minus one while one is under way (odd).
    attempts: AtomicU64,
    /// The number of the last attempt that failed.
    failed: AtomicU64,
    /// The number of an attempt that was under way for a whole block
    /// timeout (a stuck output); [`DEAD`] once the writer thread has died.
    stuck: AtomicU64,
    /// A waiter asks for an attempt now, not after the writer's backoff.
    retry: AtomicBool,
    /// Bumped whenever the writer consumes events or finishes a write.
    progress: AtomicU64,
    /// Set while the writer is in the output (a write or flush call, or
    /// the wait before retrying one), and for good once the writer thread
    /// has died: only then does a lack of progress mean a stuck output. A
    /// writer that is slow to format (the first backtrace of a large debug
    /// binary can take seconds to symbolize) is busy, not stuck.
    in_output: AtomicBool,
    /// Events taken out of the rings and written (or, on a closed pipe,
    /// discarded as documented).
    handled: AtomicU64,
    drops: Drops,
    /// Set while a fork asks the writer to pause (what `pause.asked` says,
    /// read without the lock once per round of the writer's loop).
    pause_asked: AtomicBool,
    pause: Mutex<Pause>,
    paused: Condvar,
}

/// Runs `f` out of line. A record's slow paths go through it with the
/// event, so that the common path keeps one inlined copy of the record's
/// making, written into its ring slot (with a copy per path, the compiler
/// made the record on the stack and copied it in: 53 more instructions per
/// `info!` by callgrind).
#[cold]
#[inline(never)]
pub(crate) fn cold_path<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The writer is in the output while this lives (see [`Queue::in_output`]).
pub(crate) struct InOutput<'q>(&'q Queue);

impl Drop for InOutput<'_> {
    fn drop(&mut self) {
        self.0.in_output.store(false, Ordering::Relaxed);
    }
}

/// `stuck` once the writer thread has died: every wait for it gives up.
const DEAD: u64 = u64::MAX;

/// An attempt a waiter found under way, and when it first did.
#[derive(Debug, Clone, Copy)]
struct UnderWay {
    number: u64,
    since: Instant,
}

/// One write or flush call of the writer, under way while this lives (see
/// [`Queue::attempt`]); it succeeded unless [`Attempt::failed`] says not.
pub(crate) struct Attempt<'q> {
    queue: &'q Queue,
    number: u64,
}

impl Attempt<'_> {
    /// The call failed (or took nothing): producers and flushes that asked
    /// for an attempt after they decided to give up may now do so.
    pub(crate) fn failed(self) {
        let q = self.queue;
        q.failed.store(self.number, Ordering::SeqCst);
        // Pairs with a waiting producer's fence after it sets `blocked`:
        // either it sees the failure before it parks, or this unparks it.
        fence(Ordering::SeqCst);
        for lane in lock(&q.registry).iter() {
            if lane.blocked.load(Ordering::Relaxed)
                && lane.blocked.swap(false, Ordering::Relaxed)
                && let Some(t) = lane.waiter.get()
            {
                t.unpark();
            }
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        self.queue.attempts.fetch_add(1, Ordering::SeqCst);
    }
}

/// A producer waiting for room: it gives up when the writer has made no
/// progress for a whole block timeout, or without waiting that long while
/// the output is known to be stalled, but then only once the output has
/// refused data since (see [`Queue::probe`]); at once under
/// `Overflow::Drop`.
///
/// A producer waiting for its own ring spins briefly, yields a few times,
/// then parks until the writer frees slots of that ring (the writer unparks
/// exactly the lanes it took from); hundreds of waiting threads so cost no
/// CPU that the writer needs. A producer waiting for the budget of heap
/// values (no ring of its own to watch) sleeps in short steps.
struct Waiting<'q> {
    queue: &'q Queue,
    /// The ring waited for.
    lane: Option<&'q LaneShared>,
    seen: u64,
    since: Option<Instant>,
    /// The attempt seen under way: still under way a whole block timeout
    /// later, it is stuck.
    under_way: Option<UnderWay>,
    /// Attempts begun when this producer decided to give up: it does once
    /// a later one fails (see [`Queue::probe`]).
    probe: Option<u64>,
    spins: u32,
    /// `blocked` is set and fenced; the caller tries once more before the
    /// next call parks.
    armed: bool,
}

/// Spins, then yields, before a producer parks or sleeps: `SPINS - 1`
/// spins (the count starts at one), then `YIELDS` yields. None under loom:
/// they only shorten the wait, and would multiply the interleavings.
const SPINS: u32 = if cfg!(loom) { 1 } else { 16 };
const YIELDS: u32 = if cfg!(loom) { 0 } else { 48 };

impl<'q> Waiting<'q> {
    fn new(queue: &'q Queue, lane: Option<&'q LaneShared>) -> Waiting<'q> {
        Waiting {
            queue,
            lane,
            seen: queue.progress.load(Ordering::Relaxed),
            since: None,
            under_way: None,
            probe: None,
            spins: 0,
            armed: false,
        }
    }

    /// Waits a little (the caller then tries again); false, and the event
    /// counted as dropped, if it is time to give up.
    fn wait_more(&mut self) -> bool {
        let q = self.queue;
        if q.limits.overflow == Overflow::Drop {
            q.count_dropped(false);
            return false;
        }
        if q.stalled.load(Ordering::Relaxed) {
            // The output failed for a whole block timeout; whether it still
            // does, only an attempt begun now can tell.
            let probe = *self.probe.get_or_insert_with(|| q.probe());
            if q.refused_since(probe, q.stuck.load(Ordering::Relaxed)) {
                q.count_dropped(true);
                return false;
            }
        }
        q.wake();
        // The writer frees a run of slots within microseconds: spin, then
        // yield to it, and only then park. The clock is read only once
        // parking starts.
        self.spins += 1;
        if self.spins < SPINS {
            std::hint::spin_loop();
            return true;
        }
        if self.spins < SPINS + YIELDS {
            thread::yield_now();
            return true;
        }
        let progress = q.progress.load(Ordering::Relaxed);
        let now = Instant::now();
        // A writer that is busy formatting, not in the output, is waited
        // for as if it had moved.
        if progress != self.seen || !q.may_be_stuck() {
            self.seen = progress;
            self.since = Some(now);
            self.probe = None;
        }
        let since = *self.since.get_or_insert(now);
        let waited = now.duration_since(since);
        let stuck = q.stuck_attempt(&mut self.under_way, now);
        if waited >= q.limits.block_timeout {
            let probe = *self.probe.get_or_insert_with(|| q.probe());
            if q.refused_since(probe, stuck) {
                q.stall(stuck);
                q.count_dropped(true);
                return false;
            }
        }
        // Until the timeout, a producer waiting for its ring parks until the
        // writer wakes it: when it frees slots of that ring, finds the ring
        // too short for the grace, or fails an attempt at the output. Woken
        // every 5 ms instead, 512 waiting threads under AddressSanitizer
        // made 1.5 million context switches for 512,000 events, and the
        // writer, one thread among them, was off the CPU for seconds in
        // the middle of a write (which made the write look stuck). Past
        // the timeout, it waits for the attempt asked for in short steps
        // (the writer unparks it too when that attempt fails).
        let left = q.limits.block_timeout.saturating_sub(waited);
        let step = if left.is_zero() {
            Duration::from_millis(5)
        } else if self.lane.is_some() {
            left
        } else {
            left.min(Duration::from_millis(5))
        };
        match self.lane {
            Some(lane) if !self.armed => {
                lane.waiter.get_or_init(thread::current);
                lane.blocked.store(true, Ordering::Relaxed);
                // Pairs with the writer's fence between freeing slots and
                // reading `blocked`: either the caller's next try sees the
                // room, or the writer sees `blocked` and unparks.
                fence(Ordering::SeqCst);
                self.armed = true;
            }
            Some(_) => {
                thread::park_timeout(step);
                self.armed = false;
            }
            None => thread::sleep(step.min(Duration::from_millis(1))),
        }
        true
    }
}

impl Accounts for Queue {
    fn release_ring(&self, events: usize) {
        Queue::release_ring(self, events);
    }

    fn release_spill(&self, bytes: usize) {
        Queue::release_spill(self, bytes);
    }

    fn made_progress(&self) {
        Queue::made_progress(self);
    }

    fn grace_ticks(&self) -> u64 {
        self.grace_ticks
    }

    fn retire(&self, lanes: Vec<Arc<LaneShared>>) {
        let mut registry = lock(&self.registry);
        for lane in lanes {
            self.retired_pushed
                .fetch_add(lane.pushed.0.load(Ordering::Relaxed), Ordering::Relaxed);
            registry.retain(|l| !Arc::ptr_eq(l, &lane));
        }
    }
}

impl Queue {
    pub(crate) fn new(limits: Limits) -> Queue {
        Queue {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            first_ring: FIRST_RING.min(limits.capacity).max(1),
            grace_ticks: crate::clock::ticks(limits.grace),
            limits,
            ring_bytes: AtomicUsize::new(0),
            spill_bytes: AtomicUsize::new(0),
            new_lanes: Mutex::new(Vec::new()),
            has_new_lanes: AtomicBool::new(false),
            registry: Mutex::new(Vec::new()),
            retired_pushed: AtomicU64::new(0),
            control: Mutex::new(Vec::new()),
            has_control: AtomicBool::new(false),
            control_closed: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            dozing: AtomicBool::new(false),
            writer: OnceLock::new(),
            stalled: AtomicBool::new(false),
            attempts: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            stuck: AtomicU64::new(0),
            retry: AtomicBool::new(false),
            progress: AtomicU64::new(0),
            in_output: AtomicBool::new(false),
            handled: AtomicU64::new(0),
            drops: Drops::default(),
            pause_asked: AtomicBool::new(false),
            pause: Mutex::new(Pause::default()),
            paused: Condvar::new(),
        }
    }

    pub(crate) fn set_writer(&self, t: Thread) {
        let _ = self.writer.set(t);
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Queues an event on this thread's lane; waits only as
    /// [`Overflow::Block`] says. The event is made into its record once its
    /// place is known, or discarded if the queue drops it.
    #[inline]
    pub(crate) fn push(&self, event: impl IntoRecord) {
        let spill = event.spill_bytes();
        if spill > 0 && !self.admit_spill(spill) {
            event.discard();
            return;
        }
        let mut event = Some(event);
        let _ = LOCAL.try_with(|slot| {
            let Ok(mut slot) = slot.try_borrow_mut() else {
                return;
            };
            let local = match &mut *slot {
                Some(l) if l.queue == self.id => l,
                other => other.insert(self.new_lane()),
            };
            let Some(event) = event.take() else { return };
            match local.producer.write_chunk_uninit(1) {
                Ok(mut chunk) => {
                    event.write(Slot::record_place(&mut chunk.as_mut_slices().0[0]));
                    // SAFETY: the chunk is one slot (`write_chunk_uninit(1)`
                    // gives a first slice of at least one), written above.
                    unsafe { chunk.commit_all() };
                    local.pushed += 1;
                    local.lane.pushed.0.store(local.pushed, Ordering::Relaxed);
                    if self.sleeping.load(Ordering::Relaxed) {
                        self.wake();
                    }
                }
                Err(_) => cold_path(|| self.push_full(local, event.into_record())),
            }
        });
        // The thread's storage is being torn down (a log call from a
        // thread-local destructor) or in use further up this stack.
        if let Some(event) = event {
            cold_path(|| self.push_orphan(event.into_record()));
        }
    }

    /// Counts an event's heap bytes against the budget, waiting for room
    /// under `Overflow::Block`. False if the event was dropped.
    #[cold]
    #[inline(never)]
    fn admit_spill(&self, bytes: usize) -> bool {
        let limit = self.limits.half_budget();
        let mut waiting = Waiting::new(self, None);
        loop {
            let before = self.spill_bytes.fetch_add(bytes, Ordering::Relaxed);
            // An event alone may take the whole half (its values were cut
            // to fit it when they were encoded).
            if before == 0 || before + bytes <= limit {
                return true;
            }
            self.spill_bytes.fetch_sub(bytes, Ordering::Relaxed);
            if !waiting.wait_more() {
                return false;
            }
        }
    }

    fn release_spill(&self, bytes: usize) {
        if bytes > 0 {
            self.spill_bytes.fetch_sub(bytes, Ordering::Relaxed);
        }
    }

    /// Reserves the memory of a ring of `events` if the budget allows it
    /// (or, for a thread's first ring, whatever the budget says: a thread
    /// that logs needs a ring).
    fn reserve_ring(&self, events: usize, first: bool) -> bool {
        let bytes = events * SLOT;
        let before = self.ring_bytes.fetch_add(bytes, Ordering::Relaxed);
        if first || before + bytes <= self.limits.half_budget() {
            return true;
        }
        self.ring_bytes.fetch_sub(bytes, Ordering::Relaxed);
        false
    }

    fn release_ring(&self, events: usize) {
        self.ring_bytes.fetch_sub(events * SLOT, Ordering::Relaxed);
    }

    /// An event from a thread that cannot use its own lane: a lane of one
    /// event, handed straight to the writer.
    #[cold]
    #[inline(never)]
    fn push_orphan(&self, rec: Record) {
        self.reserve_ring(1, true);
        let (mut producer, consumer) = RingBuffer::new(1);
        let _ = producer.push(Slot::new(rec));
        let lane = Arc::new(LaneShared {
            done: AtomicBool::new(true),
            pushed: lane::OwnLine(AtomicU64::new(1)),
            origin: Origin::id_only(),
            ..LaneShared::default()
        });
        self.adopt_later(LaneReader {
            ring: consumer,
            events: 1,
            shared: lane,
        });
        self.wake();
    }

    #[cold]
    #[inline(never)]
    fn new_lane(&self) -> Local {
        self.reserve_ring(self.first_ring, true);
        let (producer, consumer) = RingBuffer::new(self.first_ring);
        let lane = Arc::new(LaneShared {
            origin: Origin::current(),
            ..LaneShared::default()
        });
        self.adopt_later(LaneReader {
            ring: consumer,
            events: self.first_ring,
            shared: Arc::clone(&lane),
        });
        Local {
            queue: self.id,
            producer,
            lane,
            pushed: 0,
        }
    }

    fn adopt_later(&self, lane: LaneReader) {
        lock(&self.registry).push(Arc::clone(&lane.shared));
        lock(&self.new_lanes).push(lane);
        self.has_new_lanes.store(true, Ordering::Release);
    }

    #[cold]
    #[inline(never)]
    fn push_full(&self, local: &mut Local, rec: Record) {
        self.wake();
        if let Some(events) = self.bigger_ring(local) {
            self.move_to(local, events, rec);
            return;
        }
        let mut rec = Slot::new(rec);
        let lane = Arc::clone(&local.lane);
        let mut waiting = Waiting::new(self, Some(&lane));
        loop {
            if !waiting.wait_more() {
                self.release_spill(rec.spill_bytes());
                return;
            }
            // The writer may have found the ring too short for the grace
            // meanwhile (it unparks this thread when it does).
            if lane.outgrow.load(Ordering::Relaxed)
                && let Some(events) = self.bigger_ring(local)
            {
                self.move_to(local, events, rec.into_record());
                return;
            }
            match local.producer.push(rec) {
                Ok(()) => {
                    self.pushed(local);
                    self.wake();
                    return;
                }
                Err(PushError::Full(r)) => rec = r,
            }
        }
    }

    /// The size of a ring twice as large as the thread's full one, its
    /// memory reserved, if the budget allows: up to the configured
    /// capacity, or past it when the writer found the ring too short for
    /// the grace ([`LaneShared::outgrow`]; see "Waiting for the grace"
    /// above).
    fn bigger_ring(&self, local: &Local) -> Option<usize> {
        let events = local.producer.buffer().capacity();
        let outgrow = local.lane.outgrow.load(Ordering::Relaxed)
            && local.lane.outgrow.swap(false, Ordering::Relaxed);
        let bigger = if outgrow {
            events * 2
        } else if events < self.limits.capacity {
            (events * 2).min(self.limits.capacity)
        } else {
            return None;
        };
        self.reserve_ring(bigger, false).then_some(bigger)
    }

    /// Moves the thread to a new ring of `events`, `rec` its first event.
    fn move_to(&self, local: &mut Local, events: usize, rec: Record) {
        let (mut producer, consumer) = RingBuffer::new(events);
        let _ = producer.push(Slot::new(rec));
        {
            let mut next = lock(&local.lane.next);
            next.push_back((consumer, events));
            local.lane.has_next.store(true, Ordering::Release);
        }
        // The old ring is abandoned; the writer drains it first.
        local.producer = producer;
        self.pushed(local);
        self.wake();
    }

    fn pushed(&self, local: &mut Local) {
        local.pushed += 1;
        local.lane.pushed.0.store(local.pushed, Ordering::Relaxed);
    }

    /// Asks the writer for a flush or shutdown; gives the request back if
    /// the writer has stopped taking them.
    pub(crate) fn request(&self, c: Control) -> Result<(), Control> {
        {
            let mut control = lock(&self.control);
            if self.control_closed.load(Ordering::Relaxed) {
                return Err(c);
            }
            control.push(c);
            self.has_control.store(true, Ordering::Release);
        }
        self.wake();
        Ok(())
    }

    /// Wakes the writer if it sleeps (see [`Queue::idle`]) or dozes (see
    /// [`Queue::doze`]).
    pub(crate) fn wake(&self) {
        // Swaps, not loads: see `idle` (with a load first, loom found a
        // flush left waiting on a writer parked in `doze`).
        let waits = self.sleeping.swap(false, Ordering::AcqRel)
            || self.dozing.swap(false, Ordering::AcqRel);
        if waits && let Some(t) = self.writer.get() {
            t.unpark();
        }
    }

    /// Takes pending requests (writer side), after stopping for a fork if
    /// one asks (see [`Queue::pause_writer`]).
    pub(crate) fn take_requests(&self) -> Vec<Control> {
        self.pause_point();
        if !self.has_control.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut control = lock(&self.control);
        self.has_control.store(false, Ordering::Relaxed);
        std::mem::take(&mut *control)
    }

    /// The writer stops taking requests: those made from now on are
    /// refused, those made already wait for [`Queue::drain_stopped`]; a
    /// fork waiting for the writer to pause waits no more.
    pub(crate) fn close_requests(&self) {
        {
            let _control = lock(&self.control);
            self.control_closed.store(true, Ordering::Relaxed);
        }
        let _pause = lock(&self.pause);
        self.paused.notify_all();
    }

    /// Where the writer stops while a fork asks it to: at the top of its
    /// loop, holding no lock, neither writing nor formatting.
    fn pause_point(&self) {
        if !self.pause_asked.load(Ordering::Acquire) {
            return;
        }
        let mut pause = lock(&self.pause);
        if !pause.asked {
            return;
        }
        pause.paused = true;
        self.paused.notify_all();
        while pause.asked {
            pause = self
                .paused
                .wait(pause)
                .unwrap_or_else(PoisonError::into_inner);
        }
        pause.paused = false;
    }

    /// Before a `fork()`: asks the writer thread to stop at a quiet point
    /// (not in the output, not formatting, holding no lock, so that the
    /// child finds no lock held by a thread it does not have), and waits
    /// until it has, for as long as the writer makes progress. True once it
    /// is paused; false, and the writer left as it is, if it has stopped
    /// for good, or is stuck in the output (for a whole block timeout, or
    /// known to be stalled). [`Queue::resume_writer`] lets it go on.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn pause_writer(&self) -> bool {
        lock(&self.pause).asked = true;
        // Like a request's flag: a writer going to sleep either sees it or
        // is woken (see `idle`).
        self.pause_asked.store(true, Ordering::Release);
        self.wake();
        let mut seen = self.progress.load(Ordering::Relaxed);
        let mut since = Instant::now();
        loop {
            let (pause, _) = self
                .paused
                .wait_timeout_while(lock(&self.pause), Duration::from_millis(1), |p| {
                    !p.paused && !self.control_closed.load(Ordering::Relaxed)
                })
                .unwrap_or_else(PoisonError::into_inner);
            if pause.paused {
                return true;
            }
            drop(pause);
            let now = self.progress.load(Ordering::Relaxed);
            if now != seen || !self.may_be_stuck() {
                seen = now;
                since = Instant::now();
            }
            if self.control_closed.load(Ordering::Relaxed)
                || self.stalled.load(Ordering::Relaxed)
                || since.elapsed() >= self.limits.block_timeout
            {
                self.resume_writer();
                return false;
            }
        }
    }

    /// After a `fork()`, in the parent: the writer goes on.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn resume_writer(&self) {
        let mut pause = lock(&self.pause);
        pause.asked = false;
        self.pause_asked.store(false, Ordering::Relaxed);
        self.paused.notify_all();
    }

    /// Moves lanes created since the last call into `lanes` (writer side).
    pub(crate) fn adopt(&self, lanes: &mut Lanes) {
        if !self.has_new_lanes.load(Ordering::Acquire) {
            return;
        }
        let mut new = lock(&self.new_lanes);
        self.has_new_lanes.store(false, Ordering::Relaxed);
        lanes.lanes.append(&mut new);
    }

    /// Gives the lanes back when the writer stops, so that whoever writes
    /// after it can drain them.
    pub(crate) fn return_lanes(&self, mut lanes: Lanes) {
        lock(&self.new_lanes).append(&mut lanes.lanes);
        self.has_new_lanes.store(true, Ordering::Release);
    }

    /// Pops every event queued so far, from every lane, in timestamp order,
    /// with the writer stopped; returns the requests left behind, to be
    /// answered once what was popped is written.
    pub(crate) fn drain_stopped(&self, mut f: impl FnMut(&Record, &Origin)) -> Vec<Control> {
        let mut lanes = Lanes::default();
        self.adopt(&mut lanes);
        lanes.merge(self, u64::MAX, |recs, origin| {
            recs.iter().for_each(|rec| f(rec, origin));
        });
        lanes.retire_finished(self);
        self.return_lanes(lanes);
        let mut control = lock(&self.control);
        self.has_control.store(false, Ordering::Relaxed);
        std::mem::take(&mut *control)
    }

    /// The stamp before which the writer may take records now.
    pub(crate) fn cutoff(&self) -> u64 {
        crate::clock::stamp().saturating_sub(self.grace_ticks)
    }

    /// How long until a record stamped `stamp` is older than the grace
    /// window (zero if it is already).
    pub(crate) fn until_due(&self, stamp: u64) -> Duration {
        let due = stamp.saturating_add(self.grace_ticks);
        crate::clock::duration(due.saturating_sub(crate::clock::stamp()))
    }

    /// Called by the writer when it has nothing to do: parks until woken or
    /// until `timeout` (which bounds the delay of a missed wake-up).
    pub(crate) fn idle(&self, lanes: &Lanes, timeout: Duration) {
        // A swap, not a store: either a request's `wake` (a swap too)
        // comes after it and unparks, or it reads that `wake`'s release and
        // then `has_control` set. With a store both could read the old
        // values (the loom model of the flush wake-up, `queue/loom.rs`),
        // and a flush would wait out the timeout. (An event's push reads
        // `sleeping` with a plain load, to keep the hot path free of
        // fences: a wake-up it misses is one `timeout` late.)
        self.sleeping.swap(true, Ordering::SeqCst);
        if lanes.is_empty()
            && !self.has_new_lanes.load(Ordering::SeqCst)
            && !self.has_control.load(Ordering::SeqCst)
            && !self.pause_asked.load(Ordering::SeqCst)
        {
            thread::park_timeout(timeout);
        }
        // A swap too, so that a request whose `wake` found the writer
        // awake, swapping just before this, stays in that swap's release
        // sequence: the next `idle`'s swap reads it and sees the request.
        // With a store, the writer could miss it and sleep (loom found it).
        self.sleeping.swap(false, Ordering::Relaxed);
    }

    /// Called by the writer when what is queued is younger than the grace
    /// window (`timeout`: until the oldest comes of age), or while it polls
    /// the lanes after the last event: parks until `timeout`, or until
    /// [`Queue::wake`]: a producer whose ring is full, which may hold
    /// events of age by then, or be too short for the grace (with a sleep
    /// instead, it waited out the rest of it), or a request. A log call
    /// does not end it, as it ends [`Queue::idle`]: the writer waits so as
    /// to take what comes of age in one pass, not a few records at a time.
    pub(crate) fn doze(&self, timeout: Duration) {
        // As in `idle`: a request's `wake` comes after this swap and
        // unparks, or this thread sees the request below.
        self.dozing.swap(true, Ordering::SeqCst);
        if !self.has_control.load(Ordering::SeqCst) && !self.pause_asked.load(Ordering::SeqCst) {
            thread::park_timeout(timeout);
        }
        self.dozing.swap(false, Ordering::Relaxed);
    }

    /// The writer made progress: blocked producers may wait again.
    pub(crate) fn made_progress(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
        if self.stalled.load(Ordering::Relaxed) {
            self.stalled.store(false, Ordering::Relaxed);
        }
    }

    /// Marks the writer as in the output until the guard drops.
    pub(crate) fn in_output(&self) -> InOutput<'_> {
        self.in_output.store(true, Ordering::Relaxed);
        InOutput(self)
    }

    /// The writer thread died: whoever waits for it gives up after a block
    /// timeout, as for a stuck output.
    pub(crate) fn writer_died(&self) {
        self.in_output.store(true, Ordering::Relaxed);
        self.stuck.store(DEAD, Ordering::SeqCst);
    }

    /// A write or flush call of the writer begins; it ends when the guard
    /// drops.
    pub(crate) fn attempt(&self) -> Attempt<'_> {
        let before = self.attempts.fetch_add(1, Ordering::SeqCst);
        Attempt {
            queue: self,
            number: before / 2 + 1,
        }
    }

    /// The number of the attempt under way, 0 if none.
    fn under_way(&self) -> u64 {
        let a = self.attempts.load(Ordering::SeqCst);
        if a % 2 == 1 { a / 2 + 1 } else { 0 }
    }

    /// Asks the writer for an attempt at the output now, cutting short its
    /// wait before a retry; returns the number of attempts begun so far,
    /// for [`Queue::refused_since`].
    fn probe(&self) -> u64 {
        let begun = self.attempts.load(Ordering::SeqCst).div_ceil(2);
        self.retry.store(true, Ordering::SeqCst);
        if let Some(t) = self.writer.get() {
            t.unpark();
        }
        begun
    }

    /// The attempt under way now if a waiter that keeps `seen` has seen it
    /// under way for a whole block timeout (a write or flush call that does
    /// not return), else 0.
    fn stuck_attempt(&self, seen: &mut Option<UnderWay>, now: Instant) -> u64 {
        let number = self.under_way();
        let seen = match seen {
            Some(s) if s.number == number => s,
            _ => seen.insert(UnderWay { number, since: now }),
        };
        if number != 0 && now.duration_since(seen.since) >= self.limits.block_timeout {
            number
        } else {
            0
        }
    }

    /// Whether the output refused data since `probe` (see
    /// [`Queue::probe`]): an attempt begun after it failed, or the attempt
    /// `stuck` (found under way a block timeout earlier) is still under
    /// way, or the writer thread died.
    fn refused_since(&self, probe: u64, stuck: u64) -> bool {
        let under_way = self.under_way();
        self.failed.load(Ordering::SeqCst) > probe
            || (under_way != 0 && under_way == stuck)
            || self.stuck.load(Ordering::SeqCst) == DEAD
    }

    /// A producer gave up: until the writer moves again, others drop once
    /// the output refused their event; `stuck` (if not 0) is an attempt
    /// under way for a whole block timeout, which refuses them at once.
    fn stall(&self, stuck: u64) {
        if stuck != 0 {
            self.stuck.fetch_max(stuck, Ordering::SeqCst);
        }
        self.stalled.store(true, Ordering::Relaxed);
    }

    /// The writer's wait before it tries a failing output again: `backoff`,
    /// or less if a waiter asks for an attempt (see [`Queue::probe`]).
    pub(crate) fn pause_before_retry(&self, backoff: Duration) {
        let until = Instant::now() + backoff;
        loop {
            if self.retry.swap(false, Ordering::SeqCst) {
                return;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            thread::park_timeout(left);
        }
    }

    /// Whether a lack of progress means the output is stuck (see
    /// `in_output`).
    fn may_be_stuck(&self) -> bool {
        self.in_output.load(Ordering::Relaxed)
    }

    /// `n` events were written (or discarded on a closed pipe).
    pub(crate) fn handled(&self, n: u64) {
        if n > 0 {
            self.handled.fetch_add(n, Ordering::Relaxed);
            self.made_progress();
        }
    }

    /// Waits for `signal` for as long as the writer keeps making progress
    /// (or is busy formatting): false once a whole block timeout passes
    /// without any while the writer is in the output (a stuck output).
    ///
    /// As for a producer (see [`Waiting`]), it gives up only once an attempt
    /// at the output begun after the timeout failed, or one was under way
    /// for the whole timeout: a writer waiting before its next retry is
    /// asked to try now, and an output that works again by then is waited
    /// for.
    pub(crate) fn wait_while_progressing(&self, signal: &Signal) -> bool {
        let mut seen = self.progress.load(Ordering::Relaxed);
        let mut under_way = None;
        self.stuck_attempt(&mut under_way, Instant::now());
        let mut probe = None;
        loop {
            let step = if probe.is_some() {
                Duration::from_millis(5).min(self.limits.block_timeout)
            } else {
                self.limits.block_timeout
            };
            if signal.wait(step) {
                return true;
            }
            let now = self.progress.load(Ordering::Relaxed);
            let stuck = self.stuck_attempt(&mut under_way, Instant::now());
            if now != seen || !self.may_be_stuck() {
                seen = now;
                probe = None;
                continue;
            }
            let asked = *probe.get_or_insert_with(|| self.probe());
            if self.refused_since(asked, stuck) {
                return false;
            }
        }
    }

    /// An event dropped after it was built.
    pub(crate) fn count_dropped(&self, stalled: bool) {
        let counter = if stalled {
            &self.drops.stalled
        } else {
            &self.drops.full
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes the counts of events dropped since the last call.
    pub(crate) fn take_dropped(&self) -> Dropped {
        let take = |c: &AtomicU64| {
            if c.load(Ordering::Relaxed) == 0 {
                0
            } else {
                c.swap(0, Ordering::Relaxed)
            }
        };
        Dropped {
            full: take(&self.drops.full),
            stalled: take(&self.drops.stalled),
        }
    }

    /// Events that went into a lane but were never written, plus those
    /// dropped and not reported yet: what a stuck output leaves unwritten.
    pub(crate) fn unwritten(&self) -> u64 {
        let live: u64 = lock(&self.registry)
            .iter()
            .map(|l| l.pushed.0.load(Ordering::Relaxed))
            .sum();
        let pushed = live + self.retired_pushed.load(Ordering::Relaxed);
        let dropped =
            self.drops.full.load(Ordering::Relaxed) + self.drops.stalled.load(Ordering::Relaxed);
        pushed.saturating_sub(self.handled.load(Ordering::Relaxed)) + dropped
    }
}

#[cfg(test)]
mod tests {
    use super::{Lanes, Limits, Overflow, Queue, Signal};
    use crate::callsite::internal_site;
    use crate::context::Context;
    use crate::encode::Encoder;
    use crate::level::Level;
    use crate::record::Record;
    use std::sync::Arc;
    use std::time::Duration;

    fn queue() -> Arc<Queue> {
        Arc::new(Queue::new(Limits {
            capacity: 64,
            byte_budget: 1 << 20,
            overflow: Overflow::Block,
            block_timeout: Duration::from_millis(20),
            grace: Duration::from_micros(100),
        }))
    }

    /// Notifies `signal` after `after`, making no progress meanwhile.
    fn notify_later(signal: &Arc<Signal>, after: Duration) -> std::thread::JoinHandle<()> {
        let signal = Arc::clone(signal);
        std::thread::spawn(move || {
            std::thread::sleep(after);
            signal.notify();
        })
    }

    #[test]
    fn a_writer_busy_formatting_is_waited_for_past_the_block_timeout() {
        let q = queue();
        let signal = Arc::new(Signal::default());
        let later = notify_later(&signal, Duration::from_millis(200));
        assert!(
            q.wait_while_progressing(&signal),
            "ten timeouts, no progress, not in the output"
        );
        later.join().unwrap();
    }

    #[test]
    fn a_writer_in_the_output_without_progress_is_stuck() {
        let q = queue();
        let signal = Arc::new(Signal::default());
        // A write call that does not return.
        let in_output = q.in_output();
        let attempt = q.attempt();
        assert!(!q.wait_while_progressing(&signal));
        drop(attempt);
        drop(in_output);
        let later = notify_later(&signal, Duration::from_millis(100));
        assert!(q.wait_while_progressing(&signal), "out of the output again");
        later.join().unwrap();
        // A writer thread that died is stuck for good.
        q.writer_died();
        assert!(!q.wait_while_progressing(&Signal::default()));
    }

    internal_site! {
        static SITE: Info,
        target = "app",
        template = "event {n}",
        message = ["event " {0}],
        fields = ["n"],
        message_values = 0,
    }

    fn event(n: u64, stamp: u64) -> Record {
        let mut b = Encoder::new();
        b.push_u64(n);
        Record {
            callsite: &SITE,
            level: Level::Info,
            task: false,
            stamp,
            context: Context::default(),
            data: b.into_data(),
            exc: None,
        }
    }

    /// Events 0 to `n - 1` of a thread that logs one every `every` ticks;
    /// pushes under `Overflow::Drop` into rings of 64 at most, with a
    /// grace of `grace` ticks: a push into a full ring that stays is
    /// dropped (where `Overflow::Block` would wait), with no clock
    /// involved. The writer's merges take nothing (a cutoff of 0: every
    /// event is younger than the grace), as while it waits for them to
    /// come of age; the last merge takes everything, as a flush does.
    /// Returns the events dropped and the numbers of those written.
    fn log_while_nothing_is_of_age(n: u64, every: u64, grace: u64) -> (u64, Vec<u64>) {
        let mut q = Queue::new(Limits {
            capacity: 64,
            byte_budget: 1 << 20,
            overflow: Overflow::Drop,
            block_timeout: Duration::from_millis(20),
            grace: Duration::ZERO,
        });
        q.grace_ticks = grace;
        // A thread of its own: the lane is the thread's.
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut lanes = Lanes::default();
                for i in 0..n {
                    q.push(event(i, i * every));
                    q.adopt(&mut lanes);
                    let merged = lanes.merge(&q, 0, |_, _| {});
                    assert_eq!(merged.popped, 0, "nothing is of age");
                }
                let mut written = Vec::new();
                lanes.merge(&q, u64::MAX, |recs, _| {
                    written.extend(recs.iter().map(|rec| rec.stamp / every));
                });
                (q.take_dropped().full, written)
            })
            .join()
            .unwrap()
        })
    }

    #[test]
    fn a_ring_full_of_events_younger_than_the_grace_grows_past_the_capacity() {
        // 1,000 events 1 tick apart, a grace of 1,000,000 ticks: a ring of
        // 64 holds far less than a grace's worth. The writer finds it full
        // and asks the thread to move on to one of 128, then 256, ...:
        // no event waits (here: is dropped) for the grace.
        let (dropped, written) = log_while_nothing_is_of_age(1000, 1, 1_000_000);
        assert_eq!(dropped, 0, "no push found its ring full for good");
        assert_eq!(
            written,
            (0..1000).collect::<Vec<_>>(),
            "each once, in order"
        );
    }

    #[test]
    fn a_ring_full_of_events_older_than_the_grace_keeps_the_capacity() {
        // Events 100 ticks apart, a grace of 1,000 ticks: a ring of 64 holds
        // more than a grace's worth; when it is full, the writer is behind
        // (here: takes nothing), and the ring stays at the capacity.
        let (dropped, written) = log_while_nothing_is_of_age(1000, 100, 1000);
        assert_eq!(dropped, 1000 - 64, "every push after the ring filled");
        assert_eq!(written, (0..64).collect::<Vec<_>>());
    }
}
