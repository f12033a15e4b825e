//! The `repeat-storm` role: `threads` threads log the same error with a
//! backtrace `per_thread` times each, one more thread logs `ordinary`
//! numbered events between them, and repeats are collapsed with a window
//! of `window_ms`. With `shown`, lines name the thread that logged; with
//! `drop`, the output is slow and full queues drop (`Overflow::Drop`, 64
//! events a thread), so that drop reports come between the lines.

use crate::storm::Declined;
use pulselog::prelude::*;
use pulselog::{Config, Format, JsonFormat, Overflow};
use std::sync::{Arc, Barrier};
use std::time::Duration;

pub struct Storm {
    pub threads: u64,
    pub per_thread: u64,
    pub ordinary: u64,
    pub window_ms: u64,
    /// Sleep between two errors of one thread, in microseconds.
    pub pause_us: u64,
    pub shown: bool,
    pub drop: bool,
}

pub fn run(storm: &Storm) {
    let mut json = JsonFormat::new();
    if storm.shown {
        json = json.keys("asctime levelname name message threadName");
    }
    let mut config = Config::new()
        .format(Format::Json)
        .json(json)
        .collapse_repeats(Some(Duration::from_millis(storm.window_ms)));
    if storm.drop {
        config = config
            .overflow(Overflow::Drop)
            .capacity(64)
            .writer(crate::Slow(std::io::stdout()));
    }
    let guard = config.install().expect("install");
    let start = Arc::new(Barrier::new(storm.threads as usize + 1));
    let (per_thread, pause) = (storm.per_thread, Duration::from_micros(storm.pause_us));
    let mut handles: Vec<_> = (0..storm.threads)
        .map(|t| {
            let start = Arc::clone(&start);
            std::thread::Builder::new()
                .name(format!("storm-{t}"))
                .spawn(move || {
                    start.wait();
                    for _ in 0..per_thread {
                        log_error!(Declined, "payment failed", exc_info, gateway = "stripe");
                        if !pause.is_zero() {
                            std::thread::sleep(pause);
                        }
                    }
                })
                .expect("spawn")
        })
        .collect();
    let ordinary = storm.ordinary;
    handles.push(std::thread::spawn(move || {
        start.wait();
        for seq in 0..ordinary {
            info!("ordinary", seq = seq);
            std::thread::sleep(Duration::from_micros(200));
        }
    }));
    for h in handles {
        h.join().expect("a logging thread");
    }
    drop(guard);
}
