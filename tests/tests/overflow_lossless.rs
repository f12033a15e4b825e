//! The queue under pressure: tiny per-thread rings, several producers, a
//! blocking overflow policy. Every event must come out, each thread's in
//! order, and `flush` / dropping the guard must write everything logged
//! before them, on any thread.

// A test binary of its own: it installs the process's one logger. The rest
// of the overflow cases are in `overflow.rs`.
mod common;

use common::Shared;
use pulselog::prelude::*;
use pulselog::{Config, Format, Overflow};

const THREADS: u64 = 4;
const PER_THREAD: u64 = 3_000;

struct LogsOnDrop;

impl Drop for LogsOnDrop {
    fn drop(&mut self) {
        info!("from a thread-local destructor");
    }
}

thread_local! {
    static ON_EXIT: LogsOnDrop = const { LogsOnDrop };
}

#[test]
fn nothing_is_lost_and_flush_waits_for_every_thread() {
    let out = Shared::default();
    let guard = Config::new()
        .format(Format::Json)
        .capacity(4)
        .overflow(Overflow::Block)
        .writer(out.clone())
        .install()
        .unwrap();

    // Several producers on rings of 4 events: they block again and again.
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                for seq in 0..PER_THREAD {
                    info!("event", producer = t, seq = seq);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    pulselog::flush();
    let lines = out.lines();
    assert_eq!(lines.len() as u64, THREADS * PER_THREAD);
    for t in 0..THREADS {
        let seqs: Vec<u64> = lines
            .iter()
            .filter(|l| l["producer"] == t)
            .map(|l| l["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, (0..PER_THREAD).collect::<Vec<_>>(), "thread {t}");
    }

    // Short-lived threads: each gets a ring, exits, and the writer drains
    // and drops the ring; nothing is lost.
    let churn: Vec<_> = (0..64)
        .map(|t| std::thread::spawn(move || info!("short-lived", worker = t)))
        .collect();
    for h in churn {
        h.join().unwrap();
    }
    pulselog::flush();
    let workers: std::collections::BTreeSet<u64> = out
        .lines()
        .iter()
        .filter_map(|l| l.get("worker").and_then(serde_json::Value::as_u64))
        .collect();
    assert_eq!(workers, (0..64).collect());
    let before_exit = out.lines().len() as u64;
    assert_eq!(before_exit, THREADS * PER_THREAD + 64);

    // An event logged while a thread's storage is torn down still arrives.
    std::thread::spawn(|| ON_EXIT.with(|_| ())).join().unwrap();
    pulselog::flush();
    let lines = out.lines();
    assert_eq!(lines.len() as u64, before_exit + 1);
    assert_eq!(
        lines.last().unwrap()["message"],
        "from a thread-local destructor"
    );

    // Dropping the guard writes what was logged before it; later events are
    // written on the caller's thread.
    let logged_before = std::thread::spawn(|| info!("just before the guard drops"));
    logged_before.join().unwrap();
    drop(guard);
    assert_eq!(
        out.lines().last().unwrap()["message"],
        "just before the guard drops"
    );
    info!("after the guard dropped");
    pulselog::flush();
    assert_eq!(
        out.lines().last().unwrap()["message"],
        "after the guard dropped"
    );
}
