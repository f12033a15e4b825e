//! Loom models of the queue's protocols, run on the production code (see
//! `crate::sync`): a producer parked on a full ring and the writer that
//! frees it, a thread's order across its growing rings, a thread whose
//! ring is too short for the ordering grace woken to grow it, flush
//! requests racing the writer going to sleep or waiting for the grace, and
//! a fork's pause of the writer racing a flush or the writer's end. A
//! wake-up the protocol misses leaves a thread parked for good (under loom
//! no timeout fires), which loom reports as a deadlock.

use super::{Control, Lanes, Limits, Overflow, Queue, Signal};
use crate::callsite::internal_site;
use crate::context::Context;
use crate::encode::Encoder;
use crate::format::Formatter;
use crate::format::text::TextFormat;
use crate::level::Level;
use crate::record::Record;
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{Arc, model, thread};
use crate::writer::{Output, Sink};
use std::time::Duration;

internal_site! {
    static SITE: Info,
    target = "app",
    template = "event {n}",
    message = ["event " {0}],
    fields = ["n"],
    message_values = 0,
}

/// Event `n`, stamped `n` (older than any cutoff the writer takes).
pub(crate) fn event(n: u64) -> Record {
    let mut b = Encoder::new();
    b.push_u64(n);
    Record {
        callsite: &SITE,
        level: Level::Info,
        task: false,
        stamp: n,
        context: Context::default(),
        data: b.into_data(),
        exc: None,
    }
}

/// A queue whose lanes hold at most `capacity` events; a producer waits
/// for room (for ever: no timeout fires under loom).
pub(crate) fn queue(capacity: usize) -> Queue {
    Queue::new(Limits {
        capacity,
        byte_budget: 1 << 20,
        overflow: Overflow::Block,
        block_timeout: Duration::from_secs(3600),
        grace: Duration::ZERO,
    })
}

/// Text lines written into a buffer that the model reads.
#[derive(Clone, Default)]
pub(crate) struct Written(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Written {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Written {
    pub(crate) fn output(&self) -> Output {
        let text = TextFormat::new().build().expect("the default text format");
        Output::new(
            Formatter::Text(Box::new(text)),
            Sink::Writer(Box::new(self.clone())),
        )
    }

    /// Whether event `n`'s line was written.
    pub(crate) fn has(&self, n: u64) -> bool {
        let out = self.0.lock().unwrap();
        String::from_utf8_lossy(&out).contains(&format!("event {n} n={n}\n"))
    }
}

/// The writer's end, driven by the model: its merge passes.
#[derive(Default)]
struct Merging {
    lanes: Lanes,
    /// The stamps of the events taken, in order.
    written: Vec<u64>,
    adopted: bool,
}

impl Merging {
    /// Merge passes until an event was taken (`until_one`) or until every
    /// lane adopted is finished and retired.
    fn run(&mut self, q: &Queue, until_one: bool) {
        loop {
            q.adopt(&mut self.lanes);
            self.adopted |= !self.lanes.lanes.is_empty();
            let merged = self.lanes.merge(q, u64::MAX, |recs, _| {
                self.written.extend(recs.iter().map(|rec| rec.stamp));
            });
            if until_one && merged.popped > 0 {
                return;
            }
            self.lanes.retire_finished(q);
            if self.adopted && self.lanes.lanes.is_empty() {
                return;
            }
            thread::yield_now();
        }
    }
}

/// A thread logs two events into a ring of one: the second waits
/// (`Queue::push_full`, `Waiting::wait_more`) and parks until the writer's
/// merge pass (`Lanes::pass`) frees the slot and unparks it. The writer
/// takes the first event, then waits for the thread to end: had the
/// wake-up been lost, the thread would never end.
#[test]
fn loom_a_parked_producer_is_always_woken() {
    model("parked producer", 3, || {
        let q = Arc::new(queue(1));
        let producer = {
            let q = Arc::clone(&q);
            ::loom::thread::spawn(move || {
                q.push(event(1));
                q.push(event(2));
            })
        };
        let mut writer = Merging::default();
        writer.run(&q, true);
        producer.join().unwrap();
        writer.run(&q, false);
        assert_eq!(writer.written, [1, 2], "the thread's events");
    });
}

/// A thread logs three events with a first ring of one: the second does
/// not fit, and `Queue::push_full` moves it to a ring of two, published
/// as the lane's next. The writer (`LaneReader::available`) reads the old
/// ring to its end before the new one: every event, in the thread's order.
#[test]
fn loom_a_threads_events_keep_their_order_across_its_rings() {
    model("ring growth", 3, || {
        let mut q = queue(2);
        q.first_ring = 1;
        let q = Arc::new(q);
        let producer = {
            let q = Arc::clone(&q);
            ::loom::thread::spawn(move || (1..=3).for_each(|n| q.push(event(n))))
        };
        let mut writer = Merging::default();
        writer.run(&q, false);
        producer.join().unwrap();
        assert_eq!(
            writer.written,
            [1, 2, 3],
            "the thread's events, in its order"
        );
    });
}

/// A thread logs two events into a ring of one, at the capacity, while
/// the writer's merges take nothing: both events are younger than the
/// grace, as when a thread fills its ring faster than the ring holds
/// what the grace keeps queued. The writer finds the ring full of them (`Lanes::merge`,
/// `LaneReader::outgrow_if_short`) and unparks the thread, which waits
/// for room (`Waiting::wait_more`); it moves to a ring past the capacity
/// (`Queue::bigger_ring`). Had the wake-up been lost, the thread would
/// wait for good, the writer taking nothing.
#[test]
fn loom_a_thread_whose_ring_is_too_short_for_the_grace_is_woken_to_grow_it() {
    model("ring too short for the grace", 3, || {
        let mut q = queue(1);
        q.grace_ticks = u64::MAX;
        let q = Arc::new(q);
        let logged = Arc::new(AtomicBool::new(false));
        let producer = {
            let (q, logged) = (Arc::clone(&q), Arc::clone(&logged));
            ::loom::thread::spawn(move || {
                q.push(event(1));
                q.push(event(2));
                logged.store(true, Ordering::Release);
            })
        };
        let mut lanes = Lanes::default();
        while !logged.load(Ordering::Acquire) {
            q.adopt(&mut lanes);
            let merged = lanes.merge(&*q, 0, |_, _| unreachable!("nothing is of age"));
            assert_eq!(merged.popped, 0);
            thread::yield_now();
        }
        producer.join().unwrap();
        let mut written = Vec::new();
        q.adopt(&mut lanes);
        lanes.merge(&*q, u64::MAX, |recs, _| {
            written.extend(recs.iter().map(|rec| rec.stamp));
        });
        assert_eq!(written, [1, 2], "the thread's events, in its order");
    });
}

/// The writer thread on `q`, writing into a buffer nobody reads.
fn start_writer(q: &Arc<Queue>) -> thread::JoinHandle<()> {
    let writer = {
        let q = Arc::clone(q);
        ::loom::thread::spawn(move || drop(crate::writer::run(&q, Written::default().output())))
    };
    q.set_writer(writer.thread().clone());
    writer
}

/// Sends the writer a request (a flush, a shutdown) and checks it is
/// answered: `what` says how.
fn ask(q: &Queue, request: fn(Arc<Signal>) -> Control, what: &str) {
    let signal = Arc::new(Signal::default());
    q.request(request(Arc::clone(&signal)))
        .expect("the writer takes requests");
    assert!(q.wait_while_progressing(&signal), "{what}");
}

/// Two flushes (`Queue::request`, `wake`, `wait_while_progressing`) while
/// the writer thread (`writer::run`, `take_requests`, `idle`) goes to
/// sleep with nothing to write: each returns, answered. A request the
/// sleeping writer missed would leave both parked for good.
#[test]
fn loom_a_flush_request_always_wakes_a_sleeping_writer() {
    model("flush wake-up", 2, || {
        let q = Arc::new(queue(1));
        let writer = start_writer(&q);
        let flushes: Vec<_> = (0..2)
            .map(|_| {
                let q = Arc::clone(&q);
                ::loom::thread::spawn(move || {
                    ask(&q, Control::Flush, "answered");
                })
            })
            .collect();
        flushes.into_iter().for_each(|f| f.join().unwrap());
        ask(&q, Control::Shutdown, "stopped");
        writer.join().unwrap();
    });
}

/// A flush (`Queue::request`, `wake`) while the writer thread waits for
/// an event to come of age (`writer::run`, `Queue::doze`): it is
/// answered, the event taken young. A request the waiting writer missed
/// would leave the flush waiting for good (under loom, the writer's wait
/// has no end but a wake-up).
#[test]
fn loom_a_flush_request_always_wakes_a_writer_waiting_for_the_grace() {
    model("flush while the grace runs", 2, || {
        let mut q = queue(1);
        q.grace_ticks = u64::MAX;
        let q = Arc::new(q);
        {
            let q = Arc::clone(&q);
            ::loom::thread::spawn(move || q.push(event(1)))
                .join()
                .unwrap();
        }
        let writer = start_writer(&q);
        ask(&q, Control::Flush, "answered");
        ask(&q, Control::Shutdown, "stopped");
        writer.join().unwrap();
    });
}

/// The writer thread (`writer::run`) with a flush in flight, and a fork
/// (`Queue::pause_writer`) that asks it to pause: it pauses at its quiet
/// point (`take_requests`, `pause_point`) whether it was asleep, writing
/// or taking the flush; once the fork is over (`resume_writer`) the flush
/// is answered. A pause request the writer missed would leave the fork
/// waiting for good.
#[test]
fn loom_a_fork_always_finds_the_writer_paused_and_a_flush_still_returns() {
    model("pause and flush", 2, || {
        let q = Arc::new(queue(1));
        let writer = start_writer(&q);
        let flush = {
            let q = Arc::clone(&q);
            ::loom::thread::spawn(move || {
                ask(&q, Control::Flush, "answered");
            })
        };
        assert!(q.pause_writer(), "the writer pauses");
        assert!(super::lock(&q.pause).paused, "and stays paused");
        q.resume_writer();
        flush.join().unwrap();
        ask(&q, Control::Shutdown, "stopped");
        writer.join().unwrap();
    });
}

/// A fork asks the writer to pause while a shutdown ends it: the fork
/// returns either way (paused, or told the writer has stopped), and the
/// writer stops.
#[test]
fn loom_a_fork_racing_the_writers_end_never_waits_for_good() {
    model("pause and shutdown", 2, || {
        let q = Arc::new(queue(1));
        let writer = start_writer(&q);
        let shutdown = {
            let q = Arc::clone(&q);
            ::loom::thread::spawn(move || {
                ask(&q, Control::Shutdown, "stopped");
            })
        };
        if q.pause_writer() {
            q.resume_writer();
        }
        shutdown.join().unwrap();
        writer.join().unwrap();
    });
}
