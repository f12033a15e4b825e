//! Roles for outputs that fail: a stdout on a file system that fills up
//! and is freed again (`full-disk`), and an OTLP collector that accepts
//! connections and never answers (`hung-export`).

use pulselog::prelude::*;
use pulselog::{Config, Format};
use std::io::BufRead;
use std::time::{Duration, Instant};

/// Runs the role `role` with its arguments; false if there is none.
pub fn run(role: &str, args: &[String]) -> bool {
    let num = |i: usize| -> u64 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("role {role}: argument {i} must be a number"))
    };
    match role {
        "full-disk" => full_disk(
            num(0),
            num(1),
            Duration::from_millis(num(2)),
            args.get(3).map_or("one", String::as_str),
        ),
        "hung-export" => hung_export(num(0), Duration::from_millis(num(1))),
        _ => return false,
    }
    true
}

/// `full-disk <before> <after> <block timeout ms> [two]`: stdout is a file on a
/// small file system, which `before` events fill; once the test has freed
/// space there and says so on stdin, `after` numbered events are logged.
/// `filled` on stderr when the first phase is logged, `flushed` once the
/// second is written. With `two`, stdout is one of two outputs (the
/// other stderr, for errors), each writing on a thread of its own; with
/// `sync`, the thread that logs writes (`Config::synchronous`).
///
/// (The test's word, not the file's absence: a deleted file's name is gone
/// before its space is free.)
fn full_disk(before: u64, after: u64, block_timeout: Duration, outputs: &str) {
    let mut config = Config::new()
        .format(Format::Json)
        .block_timeout(block_timeout)
        .synchronous(outputs == "sync");
    if outputs == "two" {
        config = config
            .output(pulselog::Output::stdout())
            .output(pulselog::Output::stderr().filter("error"));
    }
    let _guard = config.install().expect("install");
    let payload = "f".repeat(60);
    let start = Instant::now();
    for i in 0..before {
        info!("fill {i}", i = i, payload = payload.as_str());
    }
    eprintln!("filled log_ms={}", start.elapsed().as_millis());
    let mut freed = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut freed)
        .expect("the test says the disk is freed");
    for seq in 0..after {
        info!("after {seq}", seq = seq);
    }
    pulselog::flush();
    eprintln!("flushed");
}

/// `hung-export <events> <block timeout ms>`: the OTLP export goes where
/// the environment says (a collector that never answers); `events` are
/// logged, then a flush, a second one and the guard's drop; the times of
/// each step are printed on stderr as `log_ms=`, `flush_ms=`,
/// `second_flush_ms=` and `drop_ms=`.
fn hung_export(n: u64, block_timeout: Duration) {
    let guard = Config::from_env()
        .block_timeout(block_timeout)
        .install()
        .expect("install");
    let start = Instant::now();
    for i in 0..n {
        info!("export {i}", seq = i);
    }
    let logged = start.elapsed();
    let start = Instant::now();
    pulselog::flush();
    let flushed = start.elapsed();
    let start = Instant::now();
    pulselog::flush();
    let again = start.elapsed();
    let start = Instant::now();
    drop(guard);
    let dropped = start.elapsed();
    eprintln!(
        "log_ms={} flush_ms={} second_flush_ms={} drop_ms={}",
        logged.as_millis(),
        flushed.as_millis(),
        again.as_millis(),
        dropped.as_millis()
    );
}
