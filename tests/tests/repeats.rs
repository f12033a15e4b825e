//! Collapsed repeats (`Config::collapse_repeats`), counted from a child
//! process's stdout: an error storm from one place becomes a few lines,
//! and the errors written plus the counts add up to every error logged.

mod common;

use common::child::{json, run, stdout_lines};
use serde_json::Value;

/// What one child's output holds.
#[derive(Debug, Default)]
struct Tally {
    /// `payment failed` lines written.
    written: u64,
    /// Count lines, and the repeats they count.
    counts: u64,
    repeated: u64,
    ordinary: u64,
    /// Events the drop reports count.
    dropped: u64,
}

/// Reads every line: errors, count lines (each right after the error it
/// counts, or after an earlier count of the same run, from the same thread
/// when lines show it) and ordinary events in their order.
fn tally(lines: &[String]) -> Tally {
    let mut t = Tally::default();
    // The error line the next count line would count.
    let mut last: Option<Value> = None;
    for line in lines {
        let v = json(line);
        match v["message"].as_str().unwrap_or_default() {
            "payment failed" => {
                assert_eq!(v["exc_info"]["message"], "card declined", "{line}");
                t.written += 1;
                last = Some(v);
            }
            "ordinary" => {
                assert_eq!(v["seq"], t.ordinary, "the ordinary thread's order");
                t.ordinary += 1;
                last = None;
            }
            m if m.starts_with("pulselog dropped ") => {
                t.dropped += v["dropped"].as_u64().expect("a count");
                // pulselog's own line: its short file and its function.
                assert_eq!(v["filename"], "pulselog/src/writer.rs", "{line}");
                assert_eq!(v["funcName"], "report_dropped", "{line}");
                // A count line belongs above the report, never below it.
                last = None;
            }
            m if m.starts_with("last message repeated ") => {
                let n = v["repeated"].as_u64().expect("a count");
                assert!(n > 0, "{line}");
                assert_eq!(m, format!("last message repeated {n} times"));
                assert_eq!(v["levelname"], "ERROR", "the repeated event's level");
                assert_eq!(v["name"], "pulselog", "{line}");
                let error = last.as_ref().unwrap_or_else(|| {
                    panic!("a count line after something else than the error: {line}")
                });
                assert_eq!(v["threadName"], error["threadName"], "{line}");
                t.counts += 1;
                t.repeated += n;
            }
            _ => panic!("unexpected line: {line}"),
        }
    }
    t
}

fn storm(args: &[&str]) -> Tally {
    let mut all = vec!["repeat-storm"];
    all.extend_from_slice(args);
    let out = run(&all, &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tally(&stdout_lines(&out))
}

#[test]
fn a_storm_of_one_error_from_eight_threads_takes_a_few_lines_and_loses_no_count() {
    // 8 × 12,500 errors; 200 ordinary events break the runs.
    let t = storm(&["8", "12500", "200", "60000", "0", "hidden"]);
    assert_eq!(t.written + t.repeated, 100_000, "{t:?}");
    assert_eq!(t.ordinary, 200);
    // Only an ordinary event ends a run (the window is a minute).
    assert!(t.written <= t.ordinary + 1, "{t:?}");
    assert!(t.counts <= t.written, "{t:?}");
    assert!(
        t.repeated > 90_000,
        "most errors were counted, not written: {t:?}"
    );
}

#[test]
fn with_a_slow_output_that_drops_every_error_is_written_counted_or_reported_dropped() {
    let t = storm(&["8", "5000", "0", "60000", "0", "hidden", "drop"]);
    assert_eq!(t.written + t.repeated + t.dropped, 40_000, "{t:?}");
    assert!(t.dropped > 0, "the slow output made the queues drop: {t:?}");
    assert!(t.repeated > 0, "{t:?}");
}

#[test]
fn errors_from_threads_a_line_names_are_counted_per_thread() {
    let t = storm(&["4", "5000", "0", "60000", "0", "shown"]);
    assert_eq!(t.written + t.repeated, 20_000, "{t:?}");
    assert!(t.counts <= t.written, "{t:?}");
}

#[test]
fn a_run_that_lasts_is_counted_once_per_window() {
    // One error a millisecond or slower for 400 errors, a 50 ms window.
    let t = storm(&["1", "400", "0", "50", "1000", "hidden"]);
    assert_eq!(t.written, 1, "{t:?}");
    assert_eq!(t.written + t.repeated, 400, "{t:?}");
    assert!(t.counts >= 3, "a count at least every 50 ms of 400: {t:?}");
}

#[test]
fn flush_writes_the_count_of_repeats_so_far() {
    use pulselog::prelude::*;
    use pulselog::{Config, Format};
    let out = common::Shared::default();
    let _guard = Config::new()
        .format(Format::Json)
        .collapse_repeats(Some(std::time::Duration::from_secs(60)))
        .writer(out.clone())
        .install()
        .unwrap();
    let disk = |free: u64| warning!("disk almost full", free_mib = free);
    for _ in 0..5 {
        disk(12);
    }
    pulselog::flush();
    let lines = out.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["message"], "disk almost full");
    assert_eq!(lines[1]["message"], "last message repeated 4 times");
    assert_eq!(lines[1]["levelname"], "WARNING");
    assert_eq!(lines[1]["filename"], "pulselog/src/repeats.rs");
    assert_eq!(lines[1]["funcName"], "count_line");
    // A different value is a different line, and so is another call site
    // with the same text; nothing is left to count.
    disk(11);
    disk(11);
    disk(10);
    warning!("disk almost full", free_mib = 10);
    pulselog::flush();
    let lines = out.lines();
    let tail: Vec<_> = lines[2..]
        .iter()
        .map(|l| (l["free_mib"].clone(), l["repeated"].clone()))
        .collect();
    assert_eq!(
        tail,
        [
            (Value::from(11), Value::Null),
            (Value::Null, Value::from(1)),
            (Value::from(10), Value::Null),
            (Value::from(10), Value::Null),
        ]
    );
}
