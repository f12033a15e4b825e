//! The `sampled` role: `sampled MODE THREADS PER_THREAD` has `THREADS`
//! threads call one sampled call site `PER_THREAD` times each (`MODE`:
//! `every` for `every: 100`, `first` for `first: 10`, `per_sec` for
//! `per_sec: 5`), then (`every`, `per_sec`) the main thread calls it once
//! more where that call is written, so that its line reports every call
//! skipped before it. stderr gets `calls=N`, the calls made.

use pulselog::prelude::*;

fn every(i: u64) {
    info!(every: 100, "sampled", i);
}

fn first(i: u64) {
    info!(first: 10, "sampled", i);
}

fn per_sec(i: u64) {
    info!(per_sec: 5, "sampled", i);
}

pub fn run(role: &str, args: &[String]) -> bool {
    if role != "sampled" {
        return false;
    }
    let number = |i: usize| -> u64 {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .expect("sampled MODE THREADS PER_THREAD")
    };
    let (threads, per_thread) = (number(1), number(2));
    let call: fn(u64) = match args.first().map(String::as_str) {
        Some("every") => every,
        Some("first") => first,
        Some("per_sec") => per_sec,
        other => panic!("unknown mode {other:?}"),
    };
    let guard = pulselog::init();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    call(t * per_thread + i);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("logging thread");
    }
    let mut calls = threads * per_thread;
    match args[0].as_str() {
        // The call numbered `calls` is written when `calls` is a multiple
        // of 100 (the test chooses the counts so).
        "every" => {
            assert_eq!(calls % 100, 0, "THREADS * PER_THREAD: a multiple of 100");
            call(u64::MAX);
            calls += 1;
        }
        // A window of the clock later, the first call of the new window is
        // written.
        "per_sec" => {
            std::thread::sleep(std::time::Duration::from_millis(1_500));
            call(u64::MAX);
            calls += 1;
        }
        _ => {}
    }
    drop(guard);
    eprintln!("calls={calls}");
    true
}
