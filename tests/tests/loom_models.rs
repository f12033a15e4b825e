//! Model checking of the pipeline's hand-written atomic protocols with
//! loom, which runs each model under every interleaving (and every value a
//! relaxed load may read) up to a preemption bound.
//!
//! The production types (`rtrb` rings, `std` atomics, `Thread::park`)
//! cannot be swapped for loom's without putting loom types into the
//! runtime, so each protocol is modelled here by a small copy of the same
//! steps, with the same orderings, naming the function it copies. A change
//! to those lines must be made here too:
//!
//! | model | copies |
//! |---|---|
//! | producer parks on a full ring, writer unparks | `Waiting::wait_more`, `Queue::push_full`, end of `Lanes::pass` (`queue/lane.rs`) |
//! | ring growth: a thread's order across its rings | `Queue::push_full`, `LaneReader::available` |
//! | flush request wakes a sleeping writer | `Queue::request`, `wake`, `take_requests`, `idle` (`queue/mod.rs`) |
//! | shutdown and flush racing | `Logger::flush`, `shutdown`, `stop_writer`, `drain_into`, `write_sync` (`logger.rs`), `writer::run`'s end |
//!
//! A thread that would park (`park_timeout` in the real code) stops and
//! says so instead, and the model asserts that whoever must wake it saw
//! that it would: a wake-up the protocol could miss fails an assertion
//! (a deadlock in loom would abort the test binary). What is timing rather than an
//! atomic protocol (the grace window of the timestamp merge, the block
//! timeout) is tested by running threads (`order.rs`, `pipeline.rs`,
//! `overflow*.rs`), not here.
//!
//! Each model has a broken variant (`#[should_panic]`): the same steps
//! without the swap, fence, re-check or wait that the real code has,
//! which loom must catch.
//!
//! Bounds: a preemption bound of 3 (of 1 for the five-thread model of two
//! shutdowns and a flush), so that the whole file runs in about 35 s in a
//! debug build, within `cargo test`;
//! `LOOM_MAX_PREEMPTIONS` raises it for a longer run, e.g.
//! `LOOM_MAX_PREEMPTIONS=4 cargo test --release --test loom_models`. Each
//! model prints the interleavings it explored (`--nocapture` shows them).

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use std::collections::VecDeque;

/// Checks `f` under every interleaving within the bound, and prints how
/// many there were.
fn model(name: &str, bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let explored = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&explored);
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(bound);
    }
    builder.check(move || {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f();
    });
    println!(
        "loom {name}: {} interleavings, preemption bound {}",
        explored.load(std::sync::atomic::Ordering::Relaxed),
        builder.preemption_bound.unwrap_or(bound)
    );
}

/// An `rtrb` ring: the producer writes the slot and then `tail`, the
/// consumer reads the slot and then `head`, each publishing with release
/// and reading the other's index with acquire.
struct Ring {
    slots: Vec<AtomicUsize>,
    head: AtomicUsize,
    tail: AtomicUsize,
}

impl Ring {
    fn new(capacity: usize) -> Ring {
        Ring {
            slots: (0..capacity).map(|_| AtomicUsize::new(0)).collect(),
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
        }
    }

    fn try_push(&self, value: usize) -> bool {
        let tail = self.tail.load(Ordering::Relaxed);
        if tail - self.head.load(Ordering::Acquire) == self.slots.len() {
            return false;
        }
        self.slots[tail % self.slots.len()].store(value, Ordering::Relaxed);
        self.tail.store(tail + 1, Ordering::Release);
        true
    }

    /// `Consumer::slots`.
    fn readable(&self) -> usize {
        self.tail.load(Ordering::Acquire) - self.head.load(Ordering::Relaxed)
    }

    fn try_pop(&self) -> Option<usize> {
        let head = self.head.load(Ordering::Relaxed);
        if self.tail.load(Ordering::Acquire) == head {
            return None;
        }
        let value = self.slots[head % self.slots.len()].load(Ordering::Relaxed);
        self.head.store(head + 1, Ordering::Release);
        Some(value)
    }
}

/// A lane whose producer parks when its ring is full (`LaneShared`'s
/// `blocked`).
struct Lane {
    ring: Ring,
    blocked: AtomicBool,
}

/// The producer's side of `Queue::push_full` with `Waiting::wait_more`
/// on a full ring: set `blocked`, fence, try once more; true if it would
/// then park.
fn push_or_park(lane: &Lane, value: usize, with_fence: bool) -> bool {
    if lane.ring.try_push(value) {
        return false;
    }
    lane.blocked.store(true, Ordering::Relaxed);
    if with_fence {
        fence(Ordering::SeqCst);
    }
    !lane.ring.try_push(value)
}

/// The writer's side at the end of `Lanes::pass`: free slots (commit),
/// fence, then unpark a producer that said it is blocked; true if it
/// unparked it.
fn pop_and_unpark(lane: &Lane, with_fence: bool) -> bool {
    assert_eq!(lane.ring.try_pop(), Some(1));
    if with_fence {
        fence(Ordering::SeqCst);
    }
    lane.blocked.load(Ordering::Relaxed) && lane.blocked.swap(false, Ordering::Relaxed)
}

fn parking_handshake(with_fence: bool) {
    model("parked producer", 3, move || {
        let lane = Arc::new(Lane {
            ring: Ring::new(1),
            blocked: AtomicBool::new(false),
        });
        assert!(lane.ring.try_push(1), "the ring starts full");
        let producer = {
            let lane = Arc::clone(&lane);
            thread::spawn(move || push_or_park(&lane, 2, with_fence))
        };
        let writer = {
            let lane = Arc::clone(&lane);
            thread::spawn(move || pop_and_unpark(&lane, with_fence))
        };
        let unparked = writer.join().unwrap();
        let parks = producer.join().unwrap();
        assert!(!parks || unparked, "a producer parks and nothing wakes it");
    });
}

/// A producer parked on a full ring is always woken once the writer frees
/// a slot: no lost wake-up.
#[test]
fn a_parked_producer_is_always_woken() {
    parking_handshake(true);
}

/// Without the two fences the writer can read `blocked` as false while the
/// producer reads the ring as still full, and the producer sleeps (until
/// its park timeout, in the real code).
#[test]
#[should_panic(expected = "a producer parks and nothing wakes it")]
fn without_the_fences_a_producer_can_sleep_forever() {
    parking_handshake(false);
}

/// A lane's rings: the current one, and those the thread moved on to
/// (`LaneShared::next`, `has_next`).
struct GrowingLane {
    first: Arc<Ring>,
    next: Mutex<VecDeque<Arc<Ring>>>,
    has_next: AtomicBool,
    done: AtomicBool,
}

/// The thread logs 1, which fills its first ring, then 2, which does not
/// fit: `Queue::push_full` makes a ring twice as big, pushes 2 into it,
/// publishes it and goes on with it (3).
fn log_across_rings(lane: &GrowingLane) {
    assert!(lane.first.try_push(1));
    assert!(!lane.first.try_push(2), "full");
    let bigger = Arc::new(Ring::new(2));
    assert!(bigger.try_push(2));
    {
        let mut next = lane.next.lock().unwrap();
        next.push_back(Arc::clone(&bigger));
        lane.has_next.store(true, Ordering::Release);
    }
    assert!(bigger.try_push(3));
    // `Local`'s drop at the thread's exit.
    lane.done.store(true, Ordering::Release);
}

/// `LaneReader::available`: events readable now, moving on to the next
/// ring once the current one is drained.
fn available(lane: &GrowingLane, ring: &mut Arc<Ring>, recheck: bool) -> usize {
    loop {
        let n = ring.readable();
        if n > 0 || !lane.has_next.load(Ordering::Acquire) {
            return n;
        }
        // Every push into the current ring happened before the next was
        // published: now they are all visible.
        if recheck && ring.readable() > 0 {
            continue;
        }
        let mut next = lane.next.lock().unwrap();
        let Some(bigger) = next.pop_front() else {
            return 0;
        };
        if next.is_empty() {
            lane.has_next.store(false, Ordering::Relaxed);
        }
        drop(next);
        *ring = bigger;
    }
}

fn ring_growth(recheck: bool) {
    model("ring growth", 3, move || {
        let lane = Arc::new(GrowingLane {
            first: Arc::new(Ring::new(1)),
            next: Mutex::new(VecDeque::new()),
            has_next: AtomicBool::new(false),
            done: AtomicBool::new(false),
        });
        let producer = {
            let lane = Arc::clone(&lane);
            thread::spawn(move || log_across_rings(&lane))
        };
        // The writer's merge passes, until the thread has exited and its
        // lane is drained (`LaneReader::finished`).
        let mut ring = Arc::clone(&lane.first);
        let mut written = Vec::new();
        loop {
            let done = lane.done.load(Ordering::Acquire);
            let n = available(&lane, &mut ring, recheck);
            for _ in 0..n {
                written.push(ring.try_pop().expect("readable"));
            }
            if done && n == 0 && !lane.has_next.load(Ordering::Acquire) {
                break;
            }
            thread::yield_now();
        }
        producer.join().unwrap();
        assert_eq!(written, [1, 2, 3], "the thread's events, in its order");
    });
}

/// A thread that outgrows its ring: the writer reads the old ring to the
/// end before the new one, so the thread's events come out all, in order.
#[test]
fn a_threads_events_keep_their_order_across_its_rings() {
    ring_growth(true);
}

/// Without reading the old ring again once the next is published, the
/// writer can take the new ring while the old one's last event is not yet
/// visible to it: that event is lost.
#[test]
#[should_panic(expected = "the thread's events, in its order")]
fn without_the_recheck_the_old_rings_last_event_is_lost() {
    ring_growth(false);
}

/// What the writer and the requesters share for flush requests
/// (`Queue::control`, `has_control`, `sleeping`).
#[derive(Default)]
struct Control {
    requests: Mutex<Vec<usize>>,
    has_control: AtomicBool,
    sleeping: AtomicBool,
}

impl Control {
    /// `Queue::request`, then `Queue::wake`; true if it unparked the
    /// writer.
    fn request(&self, id: usize) -> bool {
        {
            let mut requests = self.requests.lock().unwrap();
            requests.push(id);
            self.has_control.store(true, Ordering::Release);
        }
        self.sleeping.swap(false, Ordering::AcqRel)
    }

    /// `Queue::take_requests`.
    fn take(&self) -> Vec<usize> {
        if !self.has_control.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut requests = self.requests.lock().unwrap();
        self.has_control.store(false, Ordering::Relaxed);
        std::mem::take(&mut *requests)
    }

    /// `writer::run`'s round with nothing to write, then `Queue::idle`
    /// with the lanes empty: true if the writer would park.
    fn writer_round(&self, swap: bool) -> bool {
        if !self.take().is_empty() {
            return false;
        }
        if swap {
            self.sleeping.swap(true, Ordering::SeqCst);
        } else {
            self.sleeping.store(true, Ordering::SeqCst);
        }
        !self.has_control.load(Ordering::SeqCst)
    }
}

fn flush_wakes_writer(swap: bool) {
    model("flush wake-up", 3, move || {
        let control = Arc::new(Control::default());
        let writer = {
            let control = Arc::clone(&control);
            thread::spawn(move || control.writer_round(swap))
        };
        let requesters: Vec<_> = (0..2)
            .map(|id| {
                let control = Arc::clone(&control);
                thread::spawn(move || control.request(id))
            })
            .collect();
        let parks = writer.join().unwrap();
        let mut woken = false;
        for r in requesters {
            woken |= r.join().unwrap();
        }
        assert!(!parks || woken, "the writer parks on a flush request");
    });
}

/// Two flushes from two threads while the writer goes to sleep: if it
/// parks, a request unparks it.
#[test]
fn a_flush_request_always_wakes_a_sleeping_writer() {
    flush_wakes_writer(true);
}

/// With a store where `idle` swaps (as it was), the writer's read of
/// `has_control` and the request's read of `sleeping` can both miss the
/// other's write: the writer sleeps on a request it did not see, to
/// answer it only at its idle timeout (100 ms).
#[test]
#[should_panic(expected = "the writer parks on a flush request")]
fn with_a_store_for_the_swap_a_flush_can_wait_for_the_idle_timeout() {
    flush_wakes_writer(false);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Stopping,
    Stopped,
}

/// A request to the writer and its answer (`Control`, `Signal`).
struct Request {
    shutdown: bool,
    done: Mutex<bool>,
    cv: Condvar,
}

impl Request {
    fn new(shutdown: bool) -> Arc<Request> {
        Arc::new(Request {
            shutdown,
            done: Mutex::new(false),
            cv: Condvar::new(),
        })
    }

    fn answer(&self) {
        *self.done.lock().unwrap() = true;
        self.cv.notify_all();
    }

    fn wait(&self) {
        let mut done = self.done.lock().unwrap();
        while !*done {
            done = self.cv.wait(done).unwrap();
        }
    }
}

/// `Logger` with its queue reduced to counts: events logged (queued) and
/// written, requests and the gate that closes them.
struct Logger {
    phase: Mutex<Phase>,
    stopped: Condvar,
    /// `Queue::control` and `control_closed`.
    control: Mutex<(Vec<Arc<Request>>, bool)>,
    logged: AtomicUsize,
    written: AtomicUsize,
    /// The writer thread's handle, taken by the shutdown that stops it.
    writer: Mutex<Option<thread::JoinHandle<()>>>,
    /// Set once the writer thread has stopped: events are then written
    /// synchronously.
    closed: AtomicBool,
    /// The synchronous output (`SyncOutput::out`), there once the writer
    /// has handed it back.
    sync: Mutex<bool>,
    /// Whether a flush refused by the closed gate waits for the shutdown
    /// under way (`Logger::wait_stopped`).
    wait_stopped: bool,
}

impl Logger {
    /// `writer::run`: writes what was logged, answers requests; a shutdown
    /// request closes the gate and ends it, the requests that slipped in
    /// left to whoever drains after it.
    fn run(&self) {
        loop {
            let requests = std::mem::take(&mut self.control.lock().unwrap().0);
            self.written
                .store(self.logged.load(Ordering::Acquire), Ordering::Release);
            let mut stopping = Vec::new();
            for r in requests {
                if r.shutdown {
                    stopping.push(r);
                } else {
                    r.answer();
                }
            }
            if !stopping.is_empty() {
                self.control.lock().unwrap().1 = true;
                stopping.iter().for_each(|r| r.answer());
                return;
            }
            thread::yield_now();
        }
    }

    /// `Queue::request`: gives the request back if the gate is closed.
    fn request(&self, r: &Arc<Request>) -> bool {
        let mut control = self.control.lock().unwrap();
        if control.1 {
            return false;
        }
        control.0.push(Arc::clone(r));
        true
    }

    /// `deliver`: into the queue while the writer runs, else written at
    /// once by `write_sync`, after what is queued. Returns the event's
    /// number.
    fn log(&self) -> usize {
        if self.closed.load(Ordering::Acquire) {
            let out = self.sync.lock().unwrap();
            let mine = self.logged.fetch_add(1, Ordering::AcqRel) + 1;
            if *out {
                self.written.store(mine, Ordering::Release);
            }
            return mine;
        }
        self.logged.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// `Logger::flush`.
    fn flush(&self) {
        if !self.closed.load(Ordering::Acquire) {
            let r = Request::new(false);
            if self.request(&r) {
                r.wait();
                return;
            }
            if self.wait_stopped {
                let mut phase = self.phase.lock().unwrap();
                while *phase == Phase::Stopping {
                    phase = self.stopped.wait(phase).unwrap();
                }
            }
        }
        let out = self.sync.lock().unwrap();
        if *out {
            self.drain_into();
        }
    }

    /// `Logger::drain_into`, under the synchronous output's lock: writes
    /// what is left and answers the requests left behind.
    fn drain_into(&self) {
        self.written
            .store(self.logged.load(Ordering::Acquire), Ordering::Release);
        for r in std::mem::take(&mut self.control.lock().unwrap().0) {
            r.answer();
        }
    }

    /// `Logger::shutdown` with `stop_writer`; true for the call that
    /// stopped the writer.
    fn shutdown(&self) -> bool {
        {
            let mut phase = self.phase.lock().unwrap();
            while *phase == Phase::Stopping {
                phase = self.stopped.wait(phase).unwrap();
            }
            if *phase == Phase::Stopped {
                return false;
            }
            *phase = Phase::Stopping;
        }
        let handle = self.writer.lock().unwrap().take().expect("running");
        let stopped = Request::new(true);
        if self.request(&stopped) {
            stopped.wait();
        }
        handle.join().unwrap();
        {
            let mut out = self.sync.lock().unwrap();
            *out = true;
            self.closed.store(true, Ordering::Release);
            self.drain_into();
        }
        *self.phase.lock().unwrap() = Phase::Stopped;
        self.stopped.notify_all();
        true
    }

    /// `Logger::finish`'s last drain, at exit.
    fn finish(&self) {
        let out = self.sync.lock().unwrap();
        if *out {
            self.drain_into();
        }
    }
}

/// `callers`: for each caller, whether it flushes (else it shuts down).
fn shutdown_race(callers: &'static [bool], bound: usize, wait_stopped: bool) {
    model("shutdown race", bound, move || {
        let logger = Arc::new(Logger {
            phase: Mutex::new(Phase::Running),
            stopped: Condvar::new(),
            control: Mutex::new((Vec::new(), false)),
            logged: AtomicUsize::new(0),
            written: AtomicUsize::new(0),
            writer: Mutex::new(None),
            closed: AtomicBool::new(false),
            sync: Mutex::new(false),
            wait_stopped,
        });
        let handle = {
            let logger = Arc::clone(&logger);
            thread::spawn(move || logger.run())
        };
        *logger.writer.lock().unwrap() = Some(handle);
        // Two shutdowns (a guard's drop, `exit` on another thread) and a
        // flush, each after logging an event.
        let callers: Vec<_> = callers
            .iter()
            .copied()
            .map(|flush| {
                let logger = Arc::clone(&logger);
                thread::spawn(move || {
                    let mine = logger.log();
                    // The other shutdown may return before an event it
                    // queued as the writer stopped is written: the exit's
                    // last drain writes it.
                    let own_event_written = if flush {
                        logger.flush();
                        true
                    } else {
                        logger.shutdown()
                    };
                    if own_event_written {
                        assert!(
                            logger.written.load(Ordering::Acquire) >= mine,
                            "a caller's event is written when it returns"
                        );
                    }
                })
            })
            .collect();
        for c in callers {
            c.join().unwrap();
        }
        assert_eq!(*logger.phase.lock().unwrap(), Phase::Stopped);
        logger.finish();
        assert_eq!(
            logger.written.load(Ordering::Acquire),
            logger.logged.load(Ordering::Acquire)
        );
    });
}

/// A shutdown (a guard's drop) and a flush race, each after logging an
/// event: both return with their own event written.
#[test]
fn a_shutdown_and_a_flush_racing_both_return_with_their_events_written() {
    shutdown_race(&[false, true], 3, true);
}

/// Two shutdowns (a guard's drop, `exit` on another thread) and a flush
/// race, each after logging an event: all return; the flush and the
/// shutdown that stopped the writer find their own event written, and
/// after the exit's last drain every event is. (Five threads: a lower
/// bound.)
#[test]
fn two_shutdowns_and_a_flush_racing_all_return_and_every_event_is_written() {
    shutdown_race(&[false, false, true], 1, true);
}

/// A flush refused because the writer is stopping must wait for the
/// shutdown: returning at once, it finds no output yet to drain into, and
/// its event is not written.
#[test]
#[should_panic(expected = "a caller's event is written when it returns")]
fn a_flush_that_does_not_wait_for_the_shutdown_returns_before_its_event_is_written() {
    shutdown_race(&[false, true], 3, false);
}
