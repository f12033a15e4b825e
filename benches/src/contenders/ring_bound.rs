//! The lower bound of pulselog for the common record: each logging thread
//! pushes the event's time stamp and values into a ring of its own (`rtrb`,
//! the crate and version of pulselog's lanes); one writer thread writes, for
//! each event, the line pulselog's default JSON format writes for it, byte
//! for byte, and hands the sink 64 KiB batches (pulselog's batch size).
//!
//! Nothing else of pulselog is kept: no level check or filter, no context,
//! no call site (the line's constant parts are this event's, written in
//! once), no order across threads (each thread's lines in order, threads
//! interleaved), no flush request, no accounting. What pulselog writes and
//! this does not have to is its price for being a logger; what both do is
//! the least that writing this line costs.

use crate::clock::{Clock, ticks};
use crate::workload::Logger;
use rtrb::{Consumer, Producer, PushError, RingBuffer};
use std::cell::RefCell;
use std::fs::File;
use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::{self, Thread};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// pulselog's per-thread rings behind the common record, written without
/// the rest of pulselog.
#[derive(Debug)]
pub struct RingBound;

/// What a logging thread hands the writer: when, and the event's values.
#[derive(Debug, Clone, Copy)]
struct Event {
    /// [`ticks`] at the call, converted to wall time by the writer.
    stamp: u64,
    i: u64,
    user_id: u64,
    gateway: &'static str,
}

/// The line's constant parts: pulselog's default JSON line for
/// `Pulselog::event`'s `info!` (keys in its order, `", "` and `": "` between
/// them, the call site's name, file, line and function). The test
/// `ring_bound.rs` checks them against pulselog's own output.
const BEFORE_TIME: &[u8] = br#"{"asctime": ""#;
const BEFORE_I: &[u8] = br#"", "levelname": "INFO", "name": "pulselog_benches::contenders::pulselog", "message": "request "#;
const BEFORE_USER_ID: &[u8] = br#" failed", "filename": "benches/src/contenders/pulselog.rs", "lineno": 24, "funcName": "event", "user_id": "#;
const BEFORE_GATEWAY: &[u8] = br#", "gateway": "#;
const END: &[u8] = b"}\n";

/// A batch is written once it reaches this size, as pulselog's are.
const BATCH: usize = 64 * 1024;

/// Events the writer reads from one ring before it gives the producer the
/// slots back (pulselog reads as many from a lane).
const RUN: usize = 256;

/// Rounds the writer yields, finding every ring empty, before it writes
/// what it has and sleeps.
const AWAKE_ROUNDS: u32 = 32;

/// How long the writer sleeps when there was nothing to write, unless a
/// producer waiting for room or the end of the run wakes it.
const DOZE: Duration = Duration::from_micros(250);

/// What the logging threads and the writer share. One logger per process.
struct Shared {
    /// Rings of threads that have logged their first event, for the writer
    /// to take.
    new_rings: Mutex<Vec<Consumer<Event>>>,
    /// Rings ever put in `new_rings`: the writer takes the lock only when
    /// this has moved.
    rings_made: AtomicUsize,
    /// Events per ring.
    capacity: AtomicUsize,
    /// Set when the run is over: the writer writes everything and exits.
    stop: AtomicBool,
    /// The writer, for a producer that waits for room to wake.
    writer: OnceLock<Thread>,
}

static SHARED: Shared = Shared {
    new_rings: Mutex::new(Vec::new()),
    rings_made: AtomicUsize::new(0),
    capacity: AtomicUsize::new(1),
    stop: AtomicBool::new(false),
    writer: OnceLock::new(),
};

thread_local! {
    static RING: RefCell<Option<Producer<Event>>> = const { RefCell::new(None) };
}

impl Logger for RingBound {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        SHARED.capacity.store(capacity.max(1), Ordering::Relaxed);
        let time = Time::calibrate();
        let sink = super::open(out);
        let writer = thread::Builder::new()
            .name("ring-bound".to_owned())
            .spawn(move || run(sink, time))
            .expect("the writer thread starts");
        let _ = SHARED.writer.set(writer.thread().clone());
        Box::new(move || {
            SHARED.stop.store(true, Ordering::Release);
            writer.thread().unpark();
            writer.join().expect("the writer thread ends");
        })
    }

    #[inline]
    fn event(i: u64) {
        let event = Event {
            stamp: ticks(),
            i,
            user_id: 99,
            gateway: "stripe",
        };
        RING.with_borrow_mut(|ring| match ring {
            Some(ring) => {
                if let Err(PushError::Full(event)) = ring.push(event) {
                    wait_for_room(ring, event);
                }
            }
            None => *ring = Some(first_ring(event)),
        });
    }

    /// No filter: an event filtered out is no code. Not run (W3 is not
    /// among this contender's workloads).
    #[inline]
    fn disabled(i: u64) {
        black_box(i);
    }
}

/// A thread's first event: its ring, handed to the writer.
#[cold]
#[inline(never)]
fn first_ring(event: Event) -> Producer<Event> {
    let (mut producer, consumer) = RingBuffer::new(SHARED.capacity.load(Ordering::Relaxed));
    producer.push(event).expect("a new ring has room");
    let mut rings = SHARED
        .new_rings
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    rings.push(consumer);
    SHARED.rings_made.fetch_add(1, Ordering::Release);
    producer
}

/// A full ring: the producer waits (lossless, as pulselog's
/// `Overflow::Block`), waking the writer should it sleep.
#[cold]
#[inline(never)]
fn wait_for_room(ring: &mut Producer<Event>, mut event: Event) {
    loop {
        if let Some(writer) = SHARED.writer.get() {
            writer.unpark();
        }
        thread::yield_now();
        match ring.push(event) {
            Ok(()) => return,
            Err(PushError::Full(back)) => event = back,
        }
    }
}

/// The writer thread's loop. Never inlined: `bench callgrind` finds the
/// writer thread by this function's name.
#[inline(never)]
fn run(mut sink: File, mut time: Time) {
    let mut rings: Vec<Consumer<Event>> = Vec::new();
    let mut taken = 0;
    let mut batch = Vec::with_capacity(BATCH + 1024);
    let mut idle_rounds = 0;
    loop {
        // Read before the rings: once it is set, every event is in a ring
        // the writer takes below.
        let stopping = SHARED.stop.load(Ordering::Acquire);
        if SHARED.rings_made.load(Ordering::Acquire) != taken {
            let mut new = SHARED
                .new_rings
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            taken += new.len();
            rings.append(&mut new);
        }
        let mut popped = 0;
        for ring in &mut rings {
            let n = ring.slots().min(RUN);
            if n == 0 {
                continue;
            }
            let chunk = ring.read_chunk(n).expect("the ring holds n events");
            let (first, second) = chunk.as_slices();
            for event in first.iter().chain(second) {
                line(&mut batch, &mut time, event);
                if batch.len() >= BATCH {
                    write(&mut sink, &mut batch);
                }
            }
            chunk.commit_all();
            popped += n;
        }
        if popped > 0 {
            idle_rounds = 0;
            continue;
        }
        if stopping {
            break;
        }
        idle_rounds += 1;
        if idle_rounds < AWAKE_ROUNDS {
            thread::yield_now();
        } else {
            write(&mut sink, &mut batch);
            // Rings of threads that have exited, emptied, are dropped.
            rings.retain(|r| !r.is_abandoned() || !r.is_empty());
            thread::park_timeout(DOZE);
        }
    }
    write(&mut sink, &mut batch);
}

fn write(sink: &mut File, batch: &mut Vec<u8>) {
    if !batch.is_empty() {
        sink.write_all(batch).expect("the sink takes the batch");
        batch.clear();
    }
}

/// Appends the event's line.
#[inline]
fn line(out: &mut Vec<u8>, time: &mut Time, event: &Event) {
    let mut numbers = itoa::Buffer::new();
    out.extend_from_slice(BEFORE_TIME);
    time.write(event.stamp, out);
    out.extend_from_slice(BEFORE_I);
    out.extend_from_slice(numbers.format(event.i).as_bytes());
    out.extend_from_slice(BEFORE_USER_ID);
    out.extend_from_slice(numbers.format(event.user_id).as_bytes());
    out.extend_from_slice(BEFORE_GATEWAY);
    write_str(out, event.gateway);
    out.extend_from_slice(END);
}

/// Appends `s` as a JSON string, quotes included, with the escapes JSON
/// requires. (pulselog also escapes DEL, C1 and bidi controls and the line
/// separators, which none of this event's values hold.)
#[inline]
fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        escape(out, s);
    } else {
        out.extend_from_slice(s.as_bytes());
    }
    out.push(b'"');
}

#[cold]
fn escape(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Every byte escaped is ASCII: the others, UTF-8 included, are copied.
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(br#"\""#),
            b'\\' => out.extend_from_slice(br"\\"),
            b'\n' => out.extend_from_slice(br"\n"),
            b'\r' => out.extend_from_slice(br"\r"),
            b'\t' => out.extend_from_slice(br"\t"),
            0x08 => out.extend_from_slice(br"\b"),
            0x0C => out.extend_from_slice(br"\f"),
            b if b < 0x20 => {
                out.extend_from_slice(br"\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xF)]);
            }
            b => out.push(b),
        }
    }
}

/// Wall time from a [`ticks`] stamp, rendered as pulselog's `asctime`:
/// ISO 8601 in UTC with microseconds and `Z`, the date and time of day
/// rendered once per second.
#[derive(Debug)]
struct Time {
    /// A stamp and the Unix time in nanoseconds, read together.
    base_stamp: u64,
    base_ns: u64,
    ns_per_tick: f64,
    /// The first nanosecond of the second `second` renders.
    second_start: u64,
    /// `YYYY-MM-DDTHH:MM:SS`.
    second: [u8; 19],
}

impl Time {
    /// Measures the stamps' rate (before the run is timed) and reads a
    /// stamp and the wall clock together.
    fn calibrate() -> Time {
        let clock = Clock::calibrate(Duration::from_millis(20));
        // Of a few tries, the pair with the fewest ticks around the wall
        // clock's read.
        let (_, base_stamp, base_ns) = (0..16)
            .map(|_| {
                let before = ticks();
                let now = SystemTime::now();
                let after = ticks();
                let ns = now.duration_since(UNIX_EPOCH).map_or(0, |d| {
                    u64::try_from(d.as_nanos()).expect("nanoseconds since 1970 fit in u64")
                });
                (after - before, before + (after - before) / 2, ns)
            })
            .min_by_key(|&(spread, _, _)| spread)
            .expect("16 tries");
        Time::new(base_stamp, base_ns, 1.0 / clock.ticks_per_ns)
    }

    /// Stamps `base_stamp` are Unix time `base_ns`, and `ns_per_tick`
    /// apart; the cache starts with `base_ns`'s second.
    fn new(base_stamp: u64, base_ns: u64, ns_per_tick: f64) -> Time {
        let mut time = Time {
            base_stamp,
            base_ns,
            ns_per_tick,
            second_start: 0,
            second: [0; 19],
        };
        time.new_second(base_ns);
        time
    }

    #[inline]
    fn write(&mut self, stamp: u64, out: &mut Vec<u8>) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ns =
            self.base_ns + (stamp.saturating_sub(self.base_stamp) as f64 * self.ns_per_tick) as u64;
        let mut into = ns.wrapping_sub(self.second_start);
        if into >= 1_000_000_000 {
            self.new_second(ns);
            into = ns - self.second_start;
        }
        let micros = into / 1000;
        let mut text = [0; 27];
        text[..19].copy_from_slice(&self.second);
        text[19] = b'.';
        for (k, pair) in [micros / 10_000, micros / 100 % 100, micros % 100]
            .into_iter()
            .enumerate()
        {
            #[allow(clippy::cast_possible_truncation)]
            let pair = pair as u8;
            text[20 + 2 * k] = b'0' + pair / 10;
            text[21 + 2 * k] = b'0' + pair % 10;
        }
        text[26] = b'Z';
        out.extend_from_slice(&text);
    }

    #[cold]
    #[inline(never)]
    fn new_second(&mut self, ns: u64) {
        let second = ns / 1_000_000_000;
        let ts = jiff::Timestamp::from_second(i64::try_from(second).unwrap_or(i64::MAX))
            .expect("a time stamp within jiff's range");
        let text = ts.strftime("%Y-%m-%dT%H:%M:%S").to_string();
        // Years 1970 to 9999: always 19 bytes.
        self.second.copy_from_slice(text.as_bytes());
        self.second_start = second * 1_000_000_000;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ns: u64) -> Time {
        Time::new(0, ns, 1.0)
    }

    fn render(time: &mut Time, stamp: u64) -> String {
        let mut out = Vec::new();
        time.write(stamp, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn asctime_as_pulselog_writes_it() {
        // 2026-04-09T10:15:30.123456789Z, pulselog's own test time.
        let mut time = at(1_775_729_730_123_456_789);
        assert_eq!(render(&mut time, 0), "2026-04-09T10:15:30.123456Z");
        assert_eq!(render(&mut time, 1_000), "2026-04-09T10:15:30.123457Z");
        assert_eq!(
            render(&mut time, 876_543_210),
            "2026-04-09T10:15:30.999999Z"
        );
        assert_eq!(
            render(&mut time, 876_543_211),
            "2026-04-09T10:15:31.000000Z"
        );
        assert_eq!(
            render(&mut time, 1_000_000_000),
            "2026-04-09T10:15:31.123456Z"
        );
        // Back to an earlier second, as two threads' stamps may go.
        assert_eq!(render(&mut time, 0), "2026-04-09T10:15:30.123456Z");
        assert_eq!(render(&mut at(0), 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            render(&mut at(1_000_000_000), 999),
            "1970-01-01T00:00:01.000000Z"
        );
    }

    #[test]
    fn the_line_is_pulselogs() {
        let mut out = Vec::new();
        let event = Event {
            stamp: 0,
            i: 7,
            user_id: 99,
            gateway: "stripe",
        };
        line(&mut out, &mut at(1_775_729_730_123_456_789), &event);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"asctime\": \"2026-04-09T10:15:30.123456Z\", \"levelname\": \"INFO\", \
             \"name\": \"pulselog_benches::contenders::pulselog\", \"message\": \"request 7 failed\", \
             \"filename\": \"benches/src/contenders/pulselog.rs\", \"lineno\": 24, \
             \"funcName\": \"event\", \"user_id\": 99, \"gateway\": \"stripe\"}\n"
        );
    }

    #[test]
    fn strings_escaped_as_json() {
        let esc = |s: &str| {
            let mut out = Vec::new();
            write_str(&mut out, s);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(esc("stripe"), r#""stripe""#);
        assert_eq!(esc("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(esc("l1\nl2\r\t\u{8}\u{c}"), r#""l1\nl2\r\t\b\f""#);
        assert_eq!(esc("\u{0}\u{1b}[31m"), r#""\u0000\u001b[31m""#);
        assert_eq!(esc("é ✓ €"), "\"é ✓ €\"");
    }
}
