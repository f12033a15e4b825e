//! The storm guard (`Config::sampling`): a storm from one call site is held
//! to the configured lines per second, and every event it drops is counted
//! in the `suppressed` of a later line, exactly, from the macros, through
//! the `log` bridge, from many threads; off by default.

mod common;

use common::child;

/// What the child's `guarded` role wrote.
struct Storm {
    /// Each line: its logger name and its `suppressed` count (0 for none).
    lines: Vec<(String, u64)>,
    /// Events logged.
    calls: u64,
    /// How long the storm took.
    storm_ms: u64,
}

impl Storm {
    fn written(&self) -> u64 {
        self.lines.len() as u64
    }

    fn suppressed(&self) -> u64 {
        self.lines.iter().map(|(_, n)| n).sum()
    }

    /// The most windows (seconds of the clock) the storm and the calls
    /// after it can touch: the storm's whole seconds, the seconds it
    /// begins and ends in, and the one of the last calls.
    fn windows(&self) -> u64 {
        self.storm_ms / 1_000 + 3
    }
}

/// Runs `guarded SOURCE THREADS PER_THREAD FIRST THEREAFTER`.
fn storm(source: &str, threads: u64, per_thread: u64, limits: &[&str]) -> Storm {
    let (t, p) = (threads.to_string(), per_thread.to_string());
    let mut args = vec!["guarded", source, &t, &p];
    args.extend(limits);
    let out = child::run(&args, &[]);
    assert!(out.status.success(), "{out:?}");
    let lines = child::stdout_lines(&out)
        .iter()
        .map(|line| {
            let json = child::json(line);
            assert_eq!(json["message"], "storm", "{line}");
            let name = json["name"].as_str().expect("a logger name").to_owned();
            let n = json
                .get("suppressed")
                .map_or(0, |n| n.as_u64().expect("an integer"));
            (name, n)
        })
        .collect();
    Storm {
        lines,
        calls: child::figure(&out.stderr, "calls"),
        storm_ms: child::figure(&out.stderr, "storm_ms"),
    }
}

const STORM: u64 = 1_000_000;

#[test]
fn a_storm_from_one_call_site_is_held_to_the_limit_and_counted_exactly() {
    // The first 100 of each second, none after: at most 100 lines a window.
    let s = storm("macro", 1, STORM, &["100", "0"]);
    assert_eq!(s.calls, STORM + 1);
    assert_eq!(s.written() + s.suppressed(), s.calls);
    assert!(s.written() > 100, "the first 100, then the last call");
    assert!(s.written() <= 100 * s.windows(), "{} lines", s.written());
    // Every 1000th past the first 100: a thousandth of the storm more.
    let s = storm("macro", 1, STORM, &["100", "1000"]);
    assert_eq!(s.written() + s.suppressed(), s.calls);
    // Each window's every-1000th count rounds down by less than one.
    assert!(s.written() + s.windows() >= 100 + (STORM - 100 * s.windows()) / 1_000);
    assert!(s.written() <= 100 * s.windows() + STORM / 1_000 + 1);
}

#[test]
fn a_storm_through_the_log_bridge_is_held_and_counted_exactly() {
    let s = storm("log", 1, STORM, &["100", "0"]);
    assert_eq!(s.calls, STORM + 1);
    assert_eq!(s.written() + s.suppressed(), s.calls);
    assert!(s.written() > 100 && s.written() <= 100 * s.windows());
}

#[test]
fn a_storm_from_16_threads_is_counted_exactly() {
    for source in ["macro", "log"] {
        let s = storm(source, 16, STORM / 16, &["100", "1000"]);
        assert_eq!(s.calls, STORM + 1);
        assert_eq!(s.written() + s.suppressed(), s.calls, "{source}");
        assert!(
            s.written() <= 100 * s.windows() + STORM / 1_000 + 1,
            "{source}"
        );
    }
}

#[test]
fn with_call_site_sampling_a_line_counts_both() {
    // `every: 10` under the guard: the guard lets the first 100 of each
    // second and every 100th after through, the macro writes a tenth of
    // those, and a line's count covers what either skipped. The calls after
    // the last written one (at most 9) are reported by none.
    let s = storm("every", 16, STORM / 16, &["100", "100"]);
    assert_eq!(s.calls, STORM + 10);
    let accounted = s.written() + s.suppressed();
    assert!(
        accounted <= s.calls && accounted + 9 >= s.calls,
        "{accounted} of {}",
        s.calls
    );
    assert!(s.written() <= (100 * s.windows() + STORM / 100) / 10 + 2);
}

#[test]
fn past_the_bound_of_kept_sites_records_share_one_key() {
    // 4,096 targets are kept, each a key of its own that writes its first
    // record; the other 16,000 records, each from a target of its own,
    // share one key.
    const KEPT: usize = 4_096;
    let s = storm("targets", 1, 20_000, &["10", "0"]);
    assert_eq!(s.calls, 20_001);
    assert_eq!(s.written() + s.suppressed(), s.calls);
    let past: Vec<&(String, u64)> = s
        .lines
        .iter()
        .filter(|(name, _)| {
            let i: usize = name["tenant-".len()..].parse().expect("tenant-N");
            i >= KEPT
        })
        .collect();
    assert!(!past.is_empty());
    assert!(
        past.len() as u64 <= 10 * s.windows(),
        "{} lines",
        past.len()
    );
    // Each past the bound is written with its own target.
    assert_eq!(
        past.last().map(|(name, _)| name.as_str()),
        Some("tenant-20000")
    );
}

#[test]
fn off_by_default_a_storm_writes_every_line() {
    let s = storm("macro", 4, 50_000, &["off"]);
    assert_eq!(s.calls, 200_000);
    assert_eq!((s.written(), s.suppressed()), (200_000, 0));
}
