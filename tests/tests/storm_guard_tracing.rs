//! The storm guard (`Config::sampling`) on `tracing` events, in a process
//! of their own (the guard is set with the logger): a storm from one
//! `tracing` call site, from 16 threads, is held to the limit and counted
//! exactly; `enabled!` checks are not counted.

mod common;

use common::Shared;
use pulselog::{Config, Format, Level, Sampling};
use std::time::Duration;

const THREADS: u64 = 16;
const PER_THREAD: u64 = 10_000;

fn storm(i: u64) {
    tracing::info!(i, "storm");
}

#[test]
fn a_tracing_storm_is_held_to_the_limit_and_counted_exactly() {
    let out = Shared::default();
    let guard = Config::new()
        .format(Format::Json)
        .writer(out.clone())
        .sampling(Sampling::new().first(10).thereafter(0))
        .install()
        .expect("logger installed");
    // A check logs nothing: the guard neither counts it nor says no.
    assert!((0..1_000).all(|_| pulselog::enabled!(Level::Info)));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    storm(t * PER_THREAD + i);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("logging thread");
    }
    // A second of the clock later, the first event of a new window: its
    // line reports every event dropped before it.
    std::thread::sleep(Duration::from_millis(1_100));
    storm(u64::MAX);
    drop(guard);
    let calls = THREADS * PER_THREAD + 1;
    let lines = out.lines();
    let suppressed: u64 = lines
        .iter()
        .map(|l| {
            assert_eq!(l["message"], "storm", "{l}");
            l.get("suppressed")
                .map_or(0, |n| n.as_u64().expect("an integer"))
        })
        .sum();
    let written = lines.len() as u64;
    assert_eq!(written + suppressed, calls);
    assert!(written > 10, "the first 10, then the last event");
    // Ten a window, for however many windows the storm took: far fewer
    // than the events.
    assert!(written < calls / 100, "{written} lines");
    assert_eq!(lines.last().map(|l| l["i"].clone()), Some(u64::MAX.into()));
}
