//! The workloads, generic over the logger so that each contender's log call
//! is inlined into the timed loop exactly as in a user's code.

use crate::clock::{Clock, ticks};
use crate::stats::{Latencies, peak_rss_kib};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// The common record, as each logger spells it:
/// `info!("request {i} failed", user_id = 99, gateway = "stripe")`.
pub trait Logger {
    /// Installs the logger writing to `out`; the returned closure flushes
    /// everything logged and stops background threads.
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()>;
    /// One enabled INFO event carrying `i`.
    fn event(i: u64);
    /// One DEBUG event at an INFO threshold (filtered out).
    fn disabled(i: u64);
}

/// The function workload (W4): a trivial function whose entry and exit the
/// logger records.
pub trait Traced {
    /// Installs the logger writing to `out` with the function's events
    /// enabled or not.
    fn install(out: &Path, capacity: usize, enabled: bool) -> Box<dyn FnOnce()>;
    /// Runs `f` inside whatever root the logger needs (a trace root for
    /// fastrace when enabled); not timed.
    fn scope(enabled: bool, f: &mut dyn FnMut()) {
        let _ = enabled;
        f();
    }
    /// Calls the instrumented function (events enabled).
    fn call_enabled(i: u64) -> u64;
    /// Calls the instrumented function whose level is filtered out.
    fn call_disabled(i: u64) -> u64;
    /// Lines written for `n` calls (enabled).
    fn lines_for(n: u64) -> u64;
}

/// The request workload (W5): an async request handler that enters a
/// request scope carrying a request id and logs an error with its source
/// chain.
pub trait Request {
    /// Installs the logger writing to `out`.
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()>;
    /// Runs one request to completion (the handler never waits, so one
    /// poll completes it).
    fn handle(i: u64);
}

/// Runs a future that completes without waiting, on this thread.
pub fn run_ready<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("the request handler waited"),
    }
}

/// The error every W5 request logs: three levels, outermost first.
#[derive(Debug)]
pub struct ConfigError(pub ParseError);
/// Middle level of the W5 error chain.
#[derive(Debug)]
pub struct ParseError(pub RootError);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("config load failed")
    }
}
impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid config file")
    }
}
impl std::error::Error for ParseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Root cause of the W5 error chain.
#[derive(Debug)]
pub struct RootError;
impl std::fmt::Display for RootError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("permission denied")
    }
}
impl std::error::Error for RootError {}

/// Which workload a child runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Workload {
    /// One producer thread.
    W1,
    /// Two producer threads.
    W2,
    /// Disabled `debug!` vs an empty loop.
    W3,
    /// Instrumented function, events enabled.
    W4On,
    /// Instrumented function, events filtered out.
    W4Off,
    /// Request scope entered by an instrumented async fn, plus one error
    /// event with a three-level source chain.
    W5,
    /// One producer offering events at a fixed rate: this percentage of the
    /// logger's W1 capacity.
    Paced(u8),
    /// One producer logging bursts of [`BURST`] events back to back, with a
    /// [`BURST_PAUSE`] sleep after each.
    Bursts,
    /// W1's loop for the volume-control contenders, which write few of
    /// their calls or none: counted by `bench callgrind` only, not part of
    /// the timed report (whose W1 tables check that every event is
    /// written).
    Volume,
}

/// The loads of the paced workload, in percent of the W1 capacity.
pub const LOADS: [u8; 3] = [10, 50, 90];

/// Events per burst in [`Workload::Bursts`].
pub const BURST: u64 = 100;

/// The pause after each burst.
pub const BURST_PAUSE: Duration = Duration::from_millis(1);

/// Events logged, untimed and at the same pace, before a paced or burst
/// run is timed: the first calls' one-time costs (registering the call
/// site, a thread's first queue) are not what a running service sees.
pub const WARM_UP: u64 = 1_000;

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 11] = [
        Workload::W1,
        Workload::W2,
        Workload::W3,
        Workload::W4On,
        Workload::W4Off,
        Workload::W5,
        Workload::Paced(LOADS[0]),
        Workload::Paced(LOADS[1]),
        Workload::Paced(LOADS[2]),
        Workload::Bursts,
        Workload::Volume,
    ];

    /// Command-line name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Workload::W1 => "w1",
            Workload::W2 => "w2",
            Workload::W3 => "w3",
            Workload::W4On => "w4-on",
            Workload::W4Off => "w4-off",
            Workload::W5 => "w5",
            Workload::Paced(10) => "paced-10",
            Workload::Paced(50) => "paced-50",
            Workload::Paced(90) => "paced-90",
            Workload::Paced(_) => "paced",
            Workload::Bursts => "bursts",
            Workload::Volume => "volume",
        }
    }

    /// Parses a command-line name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == s)
    }

    /// Whether the workload runs at an offered rate (it needs the logger's
    /// W1 capacity).
    #[must_use]
    pub fn is_paced(self) -> bool {
        matches!(self, Workload::Paced(_))
    }
}

type Figures = BTreeMap<&'static str, f64>;

/// Times `n` calls of `f`, one sample per call.
#[inline(never)]
fn timed(lat: &mut Latencies, first: u64, n: u64, f: impl Fn(u64)) {
    for i in first..first + n {
        let t0 = ticks();
        f(i);
        let t1 = ticks();
        lat.record(t1.wrapping_sub(t0));
    }
}

fn finish_figures(
    clock: &Clock,
    lat: &Latencies,
    start: Instant,
    finish: Box<dyn FnOnce()>,
    out: &Path,
) -> Figures {
    finish();
    let wall = start.elapsed().as_secs_f64();
    let mut m = lat.summary(clock);
    m.insert("wall_ms", wall * 1e3);
    m.insert("lines_per_s", lat.len() as f64 / wall);
    if let Some(kib) = peak_rss_kib() {
        m.insert("rss_kib", kib as f64);
    }
    if let Some(lines) = count_lines(out) {
        m.insert("lines", lines as f64);
    }
    m.insert("calls", lat.len() as f64);
    m
}

/// Lines in the output file; `None` for `/dev/null`.
fn count_lines(out: &Path) -> Option<u64> {
    if out == Path::new("/dev/null") {
        return None;
    }
    let bytes = std::fs::read(out).ok()?;
    Some(bytes.iter().filter(|&&b| b == b'\n').count() as u64)
}

/// W1 and W2: `threads` producers log `n` events in total.
pub fn producers<L: Logger>(
    clock: &Clock,
    out: &Path,
    capacity: usize,
    n: u64,
    threads: u64,
) -> Figures {
    let finish = L::install(out, capacity);
    let start = Instant::now();
    let mut lat = Latencies::new();
    if threads <= 1 {
        timed(&mut lat, 0, n, L::event);
    } else {
        let per = n / threads;
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let count = if t == threads - 1 {
                        n - per * (threads - 1)
                    } else {
                        per
                    };
                    s.spawn(move || {
                        let mut lat = Latencies::new();
                        timed(&mut lat, t * per, count, L::event);
                        lat
                    })
                })
                .collect();
            for h in handles {
                lat.merge(&h.join().expect("producer thread"));
            }
        });
    }
    finish_figures(clock, &lat, start, finish, out)
}

/// W3: a filtered-out `debug!` per iteration, against the same loop with
/// nothing in it. Best of three passes each (the loops are short and a
/// preempted pass would only add noise).
pub fn disabled<L: Logger>(out: &Path, capacity: usize, n: u64) -> Figures {
    let finish = L::install(out, capacity);
    let mut best_empty = f64::INFINITY;
    let mut best_disabled = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        for i in 0..n {
            black_box(i);
        }
        best_empty = best_empty.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for i in 0..n {
            L::disabled(black_box(i));
        }
        best_disabled = best_disabled.min(t.elapsed().as_secs_f64());
    }
    finish();
    let mut m = Figures::new();
    m.insert("empty_ns", best_empty * 1e9 / n as f64);
    m.insert("disabled_ns", best_disabled * 1e9 / n as f64);
    m.insert("calls", n as f64);
    m.insert("lines", count_lines(out).map_or(-1.0, |l| l as f64));
    m
}

/// W4: `n` calls of the instrumented function, timed one by one, in roots
/// of 100 calls.
pub fn function<T: Traced>(
    clock: &Clock,
    out: &Path,
    capacity: usize,
    n: u64,
    enabled: bool,
) -> Figures {
    const CHUNK: u64 = 100;
    let finish = T::install(out, capacity, enabled);
    let start = Instant::now();
    let mut lat = Latencies::new();
    let mut done = 0;
    while done < n {
        let count = CHUNK.min(n - done);
        T::scope(enabled, &mut || {
            if enabled {
                timed(&mut lat, done, count, |i| {
                    black_box(T::call_enabled(i));
                });
            } else {
                timed(&mut lat, done, count, |i| {
                    black_box(T::call_disabled(i));
                });
            }
        });
        done += count;
    }
    let mut m = finish_figures(clock, &lat, start, finish, out);
    m.insert(
        "expected_lines",
        if enabled { T::lines_for(n) as f64 } else { 0.0 },
    );
    m
}

/// W5: `n` requests, each timed whole.
pub fn requests<R: Request>(clock: &Clock, out: &Path, capacity: usize, n: u64) -> Figures {
    let finish = R::install(out, capacity);
    let start = Instant::now();
    let mut lat = Latencies::new();
    timed(&mut lat, 0, n, R::handle);
    finish_figures(clock, &lat, start, finish, out)
}

/// The paced workload: one producer offers `n` events at `rate` events per
/// second, each due at a fixed time from the start (spinning on the clock
/// until it is due). An event whose time has passed, because the calls
/// before it took longer than the period, is logged at once: the schedule
/// is the offered load, and a logger that falls behind gets its events
/// back to back until it catches up. Each call is timed alone.
pub fn paced<L: Logger>(clock: &Clock, out: &Path, capacity: usize, n: u64, rate: f64) -> Figures {
    let finish = L::install(out, capacity);
    let period = clock.ticks_per_ns * 1e9 / rate;
    let mut lat = Latencies::new();
    let mut warm_up = Latencies::new();
    // A closure of its own, not `L::event`: W1's loop is the only caller
    // of that, which keeps the log call inlined into it.
    #[allow(clippy::redundant_closure)]
    let event = |i| L::event(i);
    on_schedule(&mut warm_up, 0, WARM_UP, period, event);
    let start = Instant::now();
    on_schedule(&mut lat, WARM_UP, n, period, event);
    let sent = start.elapsed().as_secs_f64();
    let mut m = finish_figures(clock, &lat, start, finish, out);
    m.insert("offered_per_s", rate);
    m.insert("achieved_per_s", n as f64 / sent);
    m.insert("expected_lines", (WARM_UP + n) as f64);
    m
}

/// Logs `n` events, the `k`-th due `k * period` ticks after the first.
#[inline(never)]
fn on_schedule(lat: &mut Latencies, first: u64, n: u64, period: f64, f: impl Fn(u64)) {
    let start = ticks();
    for k in 0..n {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let due = start + (k as f64 * period) as u64;
        while ticks() < due {
            std::hint::spin_loop();
        }
        let t0 = ticks();
        f(first + k);
        let t1 = ticks();
        lat.record(t1.wrapping_sub(t0));
    }
}

/// The burst workload: `n` events in bursts of [`BURST`], logged back to
/// back, with a [`BURST_PAUSE`] sleep after each burst; each call timed
/// alone.
pub fn bursts<L: Logger>(clock: &Clock, out: &Path, capacity: usize, n: u64) -> Figures {
    let finish = L::install(out, capacity);
    let mut warm_up = Latencies::new();
    let mut lat = Latencies::new();
    let burst = |lat: &mut Latencies, first: u64, n: u64| {
        let mut done = 0;
        while done < n {
            let count = BURST.min(n - done);
            // Not `L::event`: see `paced`.
            #[allow(clippy::redundant_closure)]
            timed(lat, first + done, count, |i| L::event(i));
            done += count;
            std::thread::sleep(BURST_PAUSE);
        }
    };
    burst(&mut warm_up, 0, WARM_UP);
    let start = Instant::now();
    burst(&mut lat, WARM_UP, n);
    let mut m = finish_figures(clock, &lat, start, finish, out);
    m.insert("expected_lines", (WARM_UP + n) as f64);
    m
}
