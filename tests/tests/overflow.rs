//! What happens when the output stops draining, in one place.
//!
//! The policy is `Overflow::Block` unless `Overflow::Drop` is asked for: a
//! full ring makes a log call wait for as long as the writer makes
//! progress, and drop only after a whole block timeout without any; with
//! `Drop` it drops at once. Either way every dropped event is counted and
//! the count reported in a line (written + reported = logged), a slow
//! output is still waited for at exit, and a stuck one never hangs the
//! program.
//!
//! The cases here run the `pulselog-child` program. Those that install a
//! logger in the test process need a process each (a logger is global per
//! process), so they are test binaries of their own, next to this one:
//! `overflow_drop.rs` (a stuck output under `Drop`),
//! `overflow_block_timeout.rs` (a stuck output under `Block`) and
//! `overflow_lossless.rs` (`Block` with many producers on tiny rings).
//! Outputs that fail, pause or panic, and hundreds of threads, are
//! `tests/pipeline/tests/pipeline.rs`'s.

mod common;

/// `Overflow::Drop`: a slow output.
mod drop_policy {
    use super::common::child::{json, run_ok};

    #[test]
    fn overflow_drop_counts_and_reports_what_it_dropped() {
        let n = 3000;
        let lines = run_ok(&["overflow-drop", &n.to_string()]);
        let mut written = 0;
        let mut dropped = 0;
        for line in &lines {
            let v = json(line);
            if v["name"] == "pulselog" {
                assert_eq!(v["levelname"], "WARNING");
                dropped += v["dropped"].as_u64().unwrap();
            } else {
                written += 1;
            }
        }
        assert!(dropped > 0, "a slow output with 8 slots must drop");
        assert_eq!(
            written + dropped,
            n,
            "every event is either written or counted"
        );
    }
}

/// `Overflow::Block`, the default: a slow output, a stuck one.
mod block_policy {
    use super::common::child::{run, run_ok};

    #[test]
    fn a_slow_output_is_waited_for_at_exit_however_long_the_backlog() {
        // Each write takes 40 ms and the timeout is 300 ms: the backlog (about
        // 20 writes) takes far longer than one timeout to drain, but it keeps
        // draining.
        let n = 8000;
        assert_eq!(run_ok(&["slow-drain", &n.to_string()]).len(), n);
    }

    #[test]
    fn a_stuck_output_does_not_hang_the_program() {
        let out = run(&["stalled", "50"], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        for step in ["logging returned", "flush returned", "guard dropped"] {
            assert!(stderr.contains(step), "{step}: {stderr}");
        }
    }
}
