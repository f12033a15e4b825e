//! Error storms are bounded: 100,000 `log_error!` calls with backtraces
//! from 8 threads cost the writer thread a bounded number of symbol
//! lookups (counted by `pulselog::testing::symbolizations`), and the
//! ordinary events a ninth thread logs meanwhile are all written, in order,
//! with nothing dropped.

mod common;

use common::child::{figure, run, stdout_lines};

const THREADS: u64 = 8;
const PER_THREAD: u64 = 12_500;
const ORDINARY: u64 = 20_000;

#[test]
fn a_storm_of_errors_with_backtraces_symbolizes_each_address_once() {
    let out = run(
        &[
            "error-storm",
            &THREADS.to_string(),
            &PER_THREAD.to_string(),
            &ORDINARY.to_string(),
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    let lines = stdout_lines(&out);
    assert_eq!(lines.len() as u64, THREADS * PER_THREAD + ORDINARY);

    let mut next = vec![0u64; THREADS as usize];
    let mut ordinary = 0u64;
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let seq = v["seq"].as_u64().expect("seq");
        match v["message"].as_str() {
            Some("payment failed") => {
                let p = v["producer"].as_u64().expect("producer") as usize;
                assert_eq!(seq, next[p], "producer {p}'s order");
                next[p] += 1;
                let frames = v["exc_info"]["backtrace"].as_array().expect("frames");
                assert!(
                    frames[0]
                        .as_str()
                        .is_some_and(|f| f.starts_with("pulselog_child::storm::run")),
                    "{line}"
                );
            }
            Some("ordinary") => {
                assert_eq!(seq, ordinary, "the ordinary thread's order");
                ordinary += 1;
            }
            _ => panic!("unexpected line (a drop report?): {line}"),
        }
    }
    assert!(next.iter().all(|&n| n == PER_THREAD), "{next:?}");
    assert_eq!(ordinary, ORDINARY);

    // Every error comes from one call path: its addresses are looked up
    // once each, however many errors share them.
    let lookups = figure(&out.stderr, "symbolizations");
    assert!(lookups > 0, "the backtraces were symbolized");
    assert!(
        lookups <= pulselog::MAX_FRAMES as u64,
        "{lookups} lookups for one call path of at most {} frames",
        pulselog::MAX_FRAMES
    );
}
