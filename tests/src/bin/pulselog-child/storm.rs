//! The `error-storm` role: `threads` threads log `per_thread` errors each
//! with a backtrace, while one more thread logs `ordinary` plain events;
//! stderr gets `symbolizations=N`, the lookups the process made.

use pulselog::prelude::*;
use pulselog::{Config, Format};
use std::sync::{Arc, Barrier};

/// The error both storms log (`repeats.rs` too).
#[derive(Debug)]
pub struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for Declined {}

pub fn run(threads: u64, per_thread: u64, ordinary: u64) {
    let guard = Config::new()
        .format(Format::Json)
        .install()
        .expect("install");
    let start = Arc::new(Barrier::new(threads as usize + 1));
    let mut handles: Vec<_> = (0..threads)
        .map(|t| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for seq in 0..per_thread {
                    log_error!(
                        Declined,
                        "payment failed",
                        exc_info,
                        producer = t,
                        seq = seq
                    );
                }
            })
        })
        .collect();
    handles.push(std::thread::spawn(move || {
        start.wait();
        for seq in 0..ordinary {
            info!("ordinary", seq = seq);
        }
    }));
    for h in handles {
        h.join().expect("a logging thread");
    }
    drop(guard);
    eprintln!("symbolizations={}", pulselog::testing::symbolizations());
}
