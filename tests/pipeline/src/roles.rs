//! Roles for the pipeline's promises: many threads, outputs that fail,
//! stall or panic, exits that race, memory under big values and many
//! threads. Each prints what the test cannot see from outside (counts,
//! peak memory) on stderr as `key=value`.

use pulselog::prelude::*;
use pulselog::{Config, Format, Overflow};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Runs the role `role` with its arguments; false if there is none.
pub fn run(role: &str, args: &[String]) -> bool {
    let num = |i: usize| -> u64 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("role {role}: argument {i} must be a number"))
    };
    match role {
        "lines" => init_lines(num(0)),
        "threads" => threads(num(0), num(1), num(2)),
        "fail-once" => fail_once(num(0)),
        "fail-for" => fail_for(num(0), Duration::from_millis(num(1))),
        "nonblocking" => nonblocking(num(0), Duration::from_millis(num(1))),
        "big-values" => big_values(&args[0], num(1)),
        "cut" => cut(),
        "many-threads" => many_threads(num(0), num(1)),
        "short-lived" => short_lived(num(0)),
        "race-exit" => race_exit(num(0)),
        "double-exit" => double_exit(num(0)),
        "stalled-exit" => stalled_exit(num(0)),
        "init-race" => init_race(),
        "racing-shutdown" => racing_shutdown(),
        "panicking-writer" => panicking_writer(num(0)),
        "display-panic" => display_panic(),
        _ => return false,
    }
    true
}

fn json() -> Config {
    Config::new().format(Format::Json)
}

/// `n` numbered lines with 40 bytes of payload each, configured as a
/// service is by default (`pulselog::init`): what each of two processes
/// that share one pipe writes.
fn init_lines(n: u64) {
    let _guard = pulselog::init();
    let payload = "p".repeat(40);
    for i in 0..n {
        info!("line {i}", i = i, payload = payload.as_str());
    }
}

/// `threads` threads, each logging `per_thread` events numbered by thread
/// and sequence, on rings of at most `capacity` events; then, on stderr,
/// the context switches the process's threads made by waiting
/// (`waits=N`, from `getrusage`).
fn threads(threads: u64, per_thread: u64, capacity: u64) {
    let guard = json()
        .capacity(capacity as usize)
        .install()
        .expect("install");
    log_from_threads(threads, per_thread);
    drop(guard);
    eprintln!("waits={}", voluntary_switches());
}

/// The voluntary context switches of every thread of the process so far.
fn voluntary_switches() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` fills the `rusage` it is given; RUSAGE_SELF
    // is a valid `who`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage");
    // SAFETY: filled by the successful call above (and zeroed before).
    let usage = unsafe { usage.assume_init() };
    u64::try_from(usage.ru_nvcsw).expect("a count")
}

/// `threads` threads log `per_thread` numbered events each and are joined.
fn log_from_threads(threads: u64, per_thread: u64) {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                for seq in 0..per_thread {
                    info!("event", producer = t, seq = seq);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a logging thread");
    }
}

/// Writes to stdout; its writes fail with `ENOSPC` as `fail` says.
struct Failing<F> {
    calls: u64,
    fail: F,
}

impl<F: FnMut(u64) -> bool> Write for Failing<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        if (self.fail)(self.calls) {
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        io::stdout().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

fn lines(n: u64) {
    for i in 0..n {
        info!("line {i}", i = i);
    }
}

/// The second write fails once.
fn fail_once(n: u64) {
    let _guard = json()
        .writer(Failing {
            calls: 0,
            fail: |call| call == 2,
        })
        .install()
        .expect("install");
    lines(n);
}

/// Every write fails for `outage` from the second one on (a disk that
/// filled and was freed again), while producers give up after 100 ms: half
/// the events are logged as it starts, the other half once it is over.
fn fail_for(n: u64, outage: Duration) {
    let mut since = None;
    let _guard = json()
        .capacity(64)
        .block_timeout(Duration::from_millis(100))
        .writer(Failing {
            calls: 0,
            fail: move |call| {
                call >= 2 && since.get_or_insert_with(Instant::now).elapsed() < outage
            },
        })
        .install()
        .expect("install");
    for i in 0..n {
        if i == n / 2 {
            std::thread::sleep(outage + Duration::from_millis(500));
        }
        info!("line {i}", i = i);
    }
}

/// Stdout in non-blocking mode, while the test pauses its reader: half
/// the events are logged at once, the other half after `later`.
fn nonblocking(n: u64, later: Duration) {
    // SAFETY: fcntl on descriptor 1 with valid commands; no memory involved.
    unsafe {
        let flags = libc::fcntl(1, libc::F_GETFL);
        assert!(flags >= 0, "F_GETFL");
        assert!(libc::fcntl(1, libc::F_SETFL, flags | libc::O_NONBLOCK) == 0);
    }
    let _guard = json()
        .capacity(64)
        .block_timeout(Duration::from_millis(200))
        .install()
        .expect("install");
    let payload = "p".repeat(100);
    for i in 0..n {
        if i == n / 2 {
            std::thread::sleep(later);
        }
        info!("line {i}", i = i, payload = payload.as_str());
    }
}

/// A figure from `/proc/self/status`, in KiB.
fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{key} in /proc/self/status"))
}

/// `n` values of 1 MiB into stdout, which the test does not read: a budget
/// of 16 MiB must bound the memory, under `Block` and `Drop` alike.
fn big_values(mode: &str, n: u64) {
    let overflow = match mode {
        "block" => Overflow::Block,
        "drop" => Overflow::Drop,
        other => panic!("overflow {other}"),
    };
    let guard = json()
        .byte_budget(16 << 20)
        .overflow(overflow)
        .block_timeout(Duration::from_millis(200))
        .install()
        .expect("install");
    let before = status_kib("VmRSS:");
    let value = "v".repeat(1 << 20);
    for i in 0..n {
        info!("big {i}", i = i, value = value.as_str());
    }
    drop(guard);
    eprintln!("before_kib={before} peak_kib={}", status_kib("VmHWM:"));
}

/// Values larger than an event may hold (half of a 1 MiB budget): a string,
/// a `Display` and an error's message, each of 2 MiB.
fn cut() {
    struct Big;
    impl std::fmt::Display for Big {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            for _ in 0..(2 << 10) {
                f.write_str(&"é".repeat(512))?; // 1 KiB a call
            }
            Ok(())
        }
    }
    #[derive(Debug)]
    struct BigError;
    impl std::fmt::Display for BigError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            Big.fmt(f)
        }
    }
    impl std::error::Error for BigError {}
    let _guard = json().byte_budget(1 << 20).install().expect("install");
    let s = "s".repeat(2 << 20);
    info!("string", value = s.as_str());
    info!("display", value = %Big);
    log_error!(BigError, "error");
    info!("after");
}

/// `threads` live threads that each log `per_thread` events, then wait
/// for one another before they exit.
fn many_threads(threads: u64, per_thread: u64) {
    let guard = json().install().expect("install");
    let barrier = Arc::new(Barrier::new(threads as usize + 1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                for seq in 0..per_thread {
                    info!("event", producer = t, seq = seq);
                }
                barrier.wait();
                barrier.wait();
            })
        })
        .collect();
    barrier.wait();
    pulselog::flush();
    let peak = status_kib("VmHWM:");
    barrier.wait();
    for h in handles {
        h.join().expect("a logging thread");
    }
    drop(guard);
    eprintln!("peak_kib={peak}");
}

/// `total` threads, fifty at a time, that each log one event and exit.
fn short_lived(total: u64) {
    let _guard = json().install().expect("install");
    let mut early = 0;
    for batch in 0..total / 50 {
        let handles: Vec<_> = (0..50)
            .map(|i| std::thread::spawn(move || info!("short-lived", worker = batch * 50 + i)))
            .collect();
        for h in handles {
            h.join().expect("a logging thread");
        }
        if batch == total / 50 / 10 {
            pulselog::flush();
            early = status_kib("VmRSS:");
        }
    }
    pulselog::flush();
    eprintln!("early_kib={early} late_kib={}", status_kib("VmRSS:"));
}

/// The guard dropped on one thread while `exit` runs on another.
fn race_exit(per_thread: u64) {
    let guard = json().install().expect("install");
    log_from_threads(8, per_thread);
    let _dropper = std::thread::spawn(move || drop(guard));
    pulselog::exit(0);
}

/// Two threads call `exit` at once.
fn double_exit(per_thread: u64) {
    let _guard = json().install().expect("install");
    log_from_threads(8, per_thread);
    std::thread::spawn(|| pulselog::exit(0));
    pulselog::exit(0);
}

/// `n` events into stdout, which the test does not read until the program
/// has ended.
fn stalled_exit(n: u64) {
    let _guard = json()
        .capacity(64)
        .block_timeout(Duration::from_millis(200))
        .install()
        .expect("install");
    lines(n);
}

/// Two threads call `init` at once and log at once.
fn init_race() {
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2u64)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let guard = pulselog::init();
                info!("from a racing init", producer = t);
                guard
            })
        })
        .collect();
    let guards: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("an init thread"))
        .collect();
    drop(guards);
}

/// Eight threads log without pause while the guard is dropped; the program
/// then returns from `main` (the exit handler writes what raced).
fn racing_shutdown() {
    let guard = json().install().expect("install");
    let stop = Arc::new(AtomicBool::new(false));
    let logged = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..8u64)
        .map(|t| {
            let (stop, logged) = (Arc::clone(&stop), Arc::clone(&logged));
            std::thread::spawn(move || {
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    info!("event", producer = t, seq = seq);
                    seq += 1;
                }
                logged.fetch_add(seq, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(30));
    drop(guard);
    std::thread::sleep(Duration::from_millis(30));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("a logging thread");
    }
    eprintln!("logged={}", logged.load(Ordering::Relaxed));
}

/// A custom writer that panics on its third write.
fn panicking_writer(n: u64) {
    struct Panicky(u64);
    impl Write for Panicky {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += 1;
            assert!(self.0 != 3, "the writer's own bug");
            io::stdout().write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            io::stdout().flush()
        }
    }
    let _guard = json().writer(Panicky(0)).install().expect("install");
    for i in 0..n {
        info!("line {i}", i = i);
        if i % 100 == 99 {
            pulselog::flush(); // one write per hundred events
        }
    }
}

/// A value whose `Display` panics, with the panic hook installed.
fn display_panic() {
    struct Boom;
    impl std::fmt::Display for Boom {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            panic!("boom in Display")
        }
    }
    let _guard = json().install().expect("install");
    info!("caught", value = %Boom);
    info!("after");
}
