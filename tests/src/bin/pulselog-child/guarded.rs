//! The `guarded` role: `guarded SOURCE THREADS PER_THREAD FIRST THEREAFTER`
//! has `THREADS` threads log `PER_THREAD` events each from one call site
//! under the storm guard (`Config::sampling`, FIRST and THEREAFTER; `off`
//! for FIRST: no guard), JSON on stdout. SOURCE is where the events come
//! from: `macro` (`info!`), `every` (`info!(every: 10, …)`), `log` (the
//! `log` bridge), or `targets` (the `log`
//! bridge, each event from a target of its own, `tenant-N`, so that past
//! the bound of kept sites they share the guard's one key).
//!
//! Under the guard, once the storm is over, the main thread waits for the
//! next second of the clock and logs once more from the same site (for
//! `targets`, from a new target past the bound), which the guard writes
//! as the first event of its window: its line reports every event dropped
//! before it. (For `every`, ten times: the guard lets all ten through, and
//! the macro writes one of them.) stderr gets `calls=N`, the events logged, and
//! `storm_ms=N`, how long the storm took.

use pulselog::prelude::*;
use pulselog::{Config, Format, Sampling};
use std::time::{Duration, Instant};

fn from_macro(i: u64) {
    info!("storm", i);
}

fn from_every(i: u64) {
    info!(every: 10, "storm", i);
}

fn from_log(i: u64) {
    log::info!(i = i; "storm");
}

fn from_targets(i: u64) {
    log::info!(target: &format!("tenant-{i}"), i = i; "storm");
}

pub fn run(role: &str, args: &[String]) -> bool {
    if role != "guarded" {
        return false;
    }
    let arg = |i: usize| args.get(i).map_or("", String::as_str);
    let number = |i: usize| -> u64 {
        arg(i)
            .parse()
            .expect("guarded SOURCE THREADS PER_THREAD FIRST THEREAFTER")
    };
    let log: fn(u64) = match arg(0) {
        "macro" => from_macro,
        "every" => from_every,
        "log" => from_log,
        "targets" => from_targets,
        other => panic!("unknown source {other:?}"),
    };
    let (threads, per_thread) = (number(1), number(2));
    let mut config = Config::new().format(Format::Json);
    let guarded = arg(3) != "off";
    if guarded {
        let limits = |i: usize| -> u32 { arg(i).parse().expect("FIRST THEREAFTER") };
        config = config.sampling(Sampling::new().first(limits(3)).thereafter(limits(4)));
    }
    let guard = config.install().expect("logger installed");
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    log(t * per_thread + i);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("logging thread");
    }
    let storm = start.elapsed();
    let mut calls = threads * per_thread;
    if guarded {
        // A second of the clock later, the first event of a new window.
        std::thread::sleep(Duration::from_millis(1_100));
        let last = if arg(0) == "every" { 10 } else { 1 };
        for i in 0..last {
            log(calls + i);
        }
        calls += last;
    }
    drop(guard);
    eprintln!("calls={calls}");
    eprintln!("storm_ms={}", storm.as_millis());
    true
}
