//! The bounded queues between log calls and the writer thread.
//!
//! Each thread that logs gets its own single-producer single-consumer ring
//! (`rtrb`: a push is a slot write and one release store, no CAS, no
//! allocation once the ring exists). The thread creates its ring on its
//! first event and hands the consuming end to the writer; when the thread
//! exits the writer drains what is left and drops the ring. (With one shared
//! multi-producer ring, the CAS loop of its push took a fifth of all CPU
//! samples of a single-producer run.)
//!
//! The writer parks when it has nothing to do; a producer wakes it only when
//! it finds the writer asleep or its ring full, so a busy logger costs no
//! syscall per event.
//!
//! Flushes and shutdown travel on a separate control list. When the writer
//! takes a request, every event logged before the request was made (on any
//! thread) is already visible in some ring, so the writer pops each ring up
//! to the number of events it holds at that moment, writes them, and only
//! then answers the request.

use crate::record::Record;
use rtrb::{Consumer, Producer, PushError, RingBuffer};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// What a log call does when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Wait for room (lossless). If the output stops draining, waiting gives
    /// up after the block timeout and the event is counted as dropped; while
    /// the output stays stuck, further events drop without waiting.
    #[default]
    Block,
    /// Never wait: the event is dropped and counted. The writer reports the
    /// count in a WARNING line.
    Drop,
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

/// A one-shot flag a thread can wait on.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    done: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    pub(crate) fn notify(&self) {
        let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        *done = true;
        self.cv.notify_all();
    }

    /// Waits until notified or until `timeout`; true if notified.
    pub(crate) fn wait(&self, timeout: Duration) -> bool {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        let (done, _) = self
            .cv
            .wait_timeout_while(done, timeout, |d| !*d)
            .unwrap_or_else(PoisonError::into_inner);
        *done
    }
}

thread_local! {
    /// This thread's end of its ring (there is one logger per process).
    static PRODUCER: RefCell<Option<Producer<Record>>> = const { RefCell::new(None) };
}

#[derive(Debug)]
pub(crate) struct Queue {
    /// Events per thread ring.
    capacity: usize,
    /// Consuming ends of rings the writer has not adopted yet (and, once the
    /// writer has stopped, all of them).
    new_rings: Mutex<Vec<Consumer<Record>>>,
    has_new_rings: AtomicBool,
    control: Mutex<Vec<Control>>,
    has_control: AtomicBool,
    /// Set by the writer just before it parks.
    sleeping: AtomicBool,
    writer: OnceLock<Thread>,
    overflow: Overflow,
    block_timeout: Duration,
    /// Set when a blocked producer gave up: the output is not draining, so
    /// further producers drop at once instead of each waiting again.
    stalled: AtomicBool,
    /// Batches written so far: lets a flush tell a slow output from a stuck
    /// one.
    progress: AtomicU64,
    dropped: AtomicU64,
}

impl Queue {
    pub(crate) fn new(capacity: usize, overflow: Overflow, block_timeout: Duration) -> Queue {
        Queue {
            capacity: capacity.max(2),
            new_rings: Mutex::new(Vec::new()),
            has_new_rings: AtomicBool::new(false),
            control: Mutex::new(Vec::new()),
            has_control: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            writer: OnceLock::new(),
            overflow,
            block_timeout,
            stalled: AtomicBool::new(false),
            progress: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_writer(&self, t: Thread) {
        let _ = self.writer.set(t);
    }

    /// Queues an event on this thread's ring; never blocks longer than the
    /// configured timeout.
    #[inline]
    pub(crate) fn push(&self, rec: Record) {
        let mut rec = Some(rec);
        let _ = PRODUCER.try_with(|slot| {
            let Ok(mut slot) = slot.try_borrow_mut() else {
                return;
            };
            let producer = match slot.as_mut() {
                Some(p) => p,
                None => slot.insert(self.new_ring()),
            };
            let Some(r) = rec.take() else { return };
            match producer.push(r) {
                Ok(()) => {
                    if self.sleeping.load(Ordering::Relaxed) {
                        self.wake();
                    }
                }
                Err(PushError::Full(r)) => self.push_full(producer, r),
            }
        });
        // The thread's storage is being torn down (a log call from a
        // thread-local destructor) or in use further up this stack.
        if let Some(rec) = rec {
            self.push_orphan(rec);
        }
    }

    /// An event from a thread that cannot use its own ring: a ring of one,
    /// handed straight to the writer.
    #[cold]
    #[inline(never)]
    fn push_orphan(&self, rec: Record) {
        let (mut producer, consumer) = RingBuffer::new(1);
        let _ = producer.push(rec);
        self.adopt_later(consumer);
        self.wake();
    }

    #[cold]
    #[inline(never)]
    fn new_ring(&self) -> Producer<Record> {
        let (producer, consumer) = RingBuffer::new(self.capacity);
        self.adopt_later(consumer);
        producer
    }

    fn adopt_later(&self, consumer: Consumer<Record>) {
        self.new_rings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(consumer);
        self.has_new_rings.store(true, Ordering::Release);
    }

    #[cold]
    #[inline(never)]
    fn push_full(&self, producer: &mut Producer<Record>, mut rec: Record) {
        self.wake();
        if self.overflow == Overflow::Drop || self.stalled.load(Ordering::Relaxed) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        // A full ring means the writer is behind: spin briefly for the slot
        // it is about to free, then yield the CPU to it, and only when that
        // does not help, sleep (sleeping early measured slower: the writer
        // frees a run of slots within microseconds). The clock is read only
        // once sleeping starts.
        let mut deadline = None;
        let mut spins = 0u32;
        loop {
            match producer.push(rec) {
                Ok(()) => {
                    self.wake();
                    return;
                }
                Err(PushError::Full(r)) => rec = r,
            }
            self.wake();
            spins += 1;
            if spins < 16 {
                std::hint::spin_loop();
                continue;
            }
            if spins < 64 {
                std::thread::yield_now();
                continue;
            }
            let now = Instant::now();
            if now >= *deadline.get_or_insert(now + self.block_timeout) {
                drop(rec);
                self.stalled.store(true, Ordering::Relaxed);
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    /// Asks the writer for a flush or shutdown.
    pub(crate) fn request(&self, c: Control) {
        self.control
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(c);
        self.has_control.store(true, Ordering::Release);
        self.wake();
    }

    pub(crate) fn wake(&self) {
        if self.sleeping.swap(false, Ordering::AcqRel)
            && let Some(t) = self.writer.get()
        {
            t.unpark();
        }
    }

    /// Takes pending requests (writer side).
    pub(crate) fn take_requests(&self) -> Vec<Control> {
        if !self.has_control.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut control = self.control.lock().unwrap_or_else(PoisonError::into_inner);
        self.has_control.store(false, Ordering::Relaxed);
        std::mem::take(&mut *control)
    }

    /// Moves rings created since the last call into `rings` (writer side).
    pub(crate) fn adopt(&self, rings: &mut Rings) {
        if !self.has_new_rings.load(Ordering::Acquire) {
            return;
        }
        let mut new = self
            .new_rings
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.has_new_rings.store(false, Ordering::Relaxed);
        rings.0.append(&mut new);
    }

    /// Gives the rings back when the writer stops, so that whoever writes
    /// after it can drain them.
    pub(crate) fn return_rings(&self, mut rings: Rings) {
        self.new_rings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .append(&mut rings.0);
        self.has_new_rings.store(true, Ordering::Release);
    }

    /// Pops every event queued so far, from every ring, with the writer
    /// stopped; answers any request left behind.
    pub(crate) fn drain_stopped(&self, mut f: impl FnMut(&Record)) {
        let mut rings = Rings::default();
        self.adopt(&mut rings);
        rings.pop_available(&mut f);
        rings.retain_live();
        self.return_rings(rings);
        for c in self.take_requests() {
            match c {
                Control::Flush(signal) | Control::Shutdown(signal) => signal.notify(),
            }
        }
    }

    /// Called by the writer when it has nothing to do: parks until woken or
    /// until `timeout` (which bounds the delay of a missed wake-up).
    pub(crate) fn idle(&self, rings: &Rings, timeout: Duration) {
        self.sleeping.store(true, Ordering::SeqCst);
        if rings.is_empty()
            && !self.has_new_rings.load(Ordering::SeqCst)
            && !self.has_control.load(Ordering::SeqCst)
        {
            std::thread::park_timeout(timeout);
        }
        self.sleeping.store(false, Ordering::Relaxed);
    }

    /// The writer made progress: blocked producers may wait again.
    pub(crate) fn drained(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
        if self.stalled.load(Ordering::Relaxed) {
            self.stalled.store(false, Ordering::Relaxed);
        }
    }

    /// Waits for `signal` for as long as the writer keeps making progress:
    /// false once a whole `timeout` passes without any (a stuck output).
    pub(crate) fn wait_while_progressing(&self, signal: &Signal, timeout: Duration) -> bool {
        let mut seen = self.progress.load(Ordering::Relaxed);
        loop {
            if signal.wait(timeout) {
                return true;
            }
            let now = self.progress.load(Ordering::Relaxed);
            if now == seen {
                return false;
            }
            seen = now;
        }
    }

    pub(crate) fn take_dropped(&self) -> u64 {
        if self.dropped.load(Ordering::Relaxed) == 0 {
            0
        } else {
            self.dropped.swap(0, Ordering::Relaxed)
        }
    }
}

/// The consuming ends of every thread's ring, owned by the writer.
#[derive(Debug, Default)]
pub(crate) struct Rings(Vec<Consumer<Record>>);

impl Rings {
    /// Hands `f`, from every ring, the events it holds now (not those pushed
    /// meanwhile, so that a steady stream cannot delay a flush), then frees
    /// their slots. Records are read in place, in runs of at most `RUN` so
    /// that a blocked producer gets room soon. Returns how many there were.
    pub(crate) fn pop_available(&mut self, mut f: impl FnMut(&Record)) -> usize {
        const RUN: usize = 256;
        let mut total = 0;
        for ring in &mut self.0 {
            let mut left = ring.slots();
            total += left;
            while left > 0 {
                let Ok(chunk) = ring.read_chunk(left.min(RUN)) else {
                    break;
                };
                left -= chunk.len();
                let (a, b) = chunk.as_slices();
                a.iter().chain(b).for_each(&mut f);
                chunk.commit_all();
            }
        }
        total
    }

    /// Drops the rings of threads that have exited, once they are empty.
    pub(crate) fn retain_live(&mut self) {
        self.0.retain(|r| !(r.is_abandoned() && r.is_empty()));
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(Consumer::is_empty)
    }
}
