//! Call-site sampling (`every:`, `first:`, `per_sec:`): which calls are
//! written, the `suppressed` count their lines carry, exact under many
//! threads, in every format; a skipped call evaluates none of its
//! arguments.

mod common;

use common::object_members;
use pulselog::context::Context;
use pulselog::prelude::*;
use pulselog::testing::{Captured, CapturedEvent, Owned, capture};
use pulselog::{JsonFormat, TextFormat};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const THREADS: u64 = 16;

/// The `suppressed` count of a line, 0 when it has none.
fn suppressed(e: &CapturedEvent) -> u64 {
    match e.field("suppressed") {
        None => 0,
        Some(Owned::U64(n)) => n,
        Some(other) => panic!("`suppressed` is not an unsigned integer: {other:?}"),
    }
}

/// Lines written and the sum of their `suppressed` counts.
fn tally(events: &Captured) -> (u64, u64) {
    let written = events.len() as u64;
    (written, events.events().iter().map(suppressed).sum())
}

/// Runs `per_thread` calls of `call` on each of [`THREADS`] threads, all
/// inside the current capture.
fn from_threads(per_thread: u64, call: fn(u64)) {
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(
                (move || {
                    for i in 0..per_thread {
                        call(t * per_thread + i);
                    }
                })
                .in_current_context(),
            )
        })
        .collect();
    for h in handles {
        h.join().expect("logging thread");
    }
}

#[test]
fn every_100_of_10_000_calls_writes_exactly_100_lines() {
    let ((), events) = capture(|| {
        for i in 0..10_000u64 {
            info!(every: 100, "cache miss", key = i);
        }
    });
    assert_eq!(events.len(), 100);
    let keys: Vec<Owned> = events
        .events()
        .iter()
        .map(|e| e.field("key").unwrap())
        .collect();
    let expected: Vec<Owned> = (0..100).map(|k| Owned::U64(k * 100)).collect();
    assert_eq!(keys, expected, "the 1st, 101st, 201st … call");
    let counts: Vec<u64> = events.events().iter().map(suppressed).collect();
    assert_eq!(counts[0], 0);
    assert!(counts[1..].iter().all(|&n| n == 99), "{counts:?}");
    // The first line has no `suppressed` key at all.
    assert_eq!(events.events()[0].field("suppressed"), None);
}

fn every_site(i: u64) {
    info!(every: 100, "every from threads", i);
}

#[test]
fn every_counts_exactly_from_16_threads() {
    let per_thread = 1_000;
    let ((), events) = capture(|| {
        from_threads(per_thread, every_site);
        // Call number 16,000 is written and reports the calls since the
        // line before: then every call is in a line or in a count.
        every_site(u64::MAX);
    });
    let calls = THREADS * per_thread + 1;
    let (written, skipped) = tally(&events);
    assert_eq!(written, calls.div_ceil(100));
    assert_eq!(written + skipped, calls);
}

fn first_site(i: u64) {
    info!(first: 10, "first from threads", i);
}

#[test]
fn first_writes_exactly_n_lines_from_16_threads() {
    let ((), events) = capture(|| from_threads(1_000, first_site));
    // The 15,990 calls after the tenth are never written, and nothing
    // reports them: no later line from this call site exists.
    assert_eq!(tally(&events), (10, 0));
}

fn first_roomy_site(i: u64) {
    info!(first: 1_000_000, "first, fewer calls than the limit", i);
}

#[test]
fn first_writes_every_call_below_its_limit_from_16_threads() {
    let ((), events) = capture(|| from_threads(500, first_roomy_site));
    assert_eq!(tally(&events), (THREADS * 500, 0));
    let mut seen: Vec<u64> = events
        .events()
        .iter()
        .map(|e| match e.field("i") {
            Some(Owned::U64(i)) => i,
            other => panic!("{other:?}"),
        })
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..THREADS * 500).collect::<Vec<_>>());
}

fn per_sec_site(i: u64) {
    info!(per_sec: 5, "per_sec from threads", i);
}

#[test]
fn per_sec_counts_exactly_from_16_threads() {
    let per_thread = 20_000;
    let started = Instant::now();
    let ((), events) = capture(|| {
        from_threads(per_thread, per_sec_site);
    });
    let took = started.elapsed();
    let (written, skipped) = tally(&events);
    // Calls skipped after the last line are reported by the next line the
    // site writes: call it until it writes once more (in the next second
    // at the latest), counting the calls.
    let mut more = 0;
    let carried = loop {
        more += 1;
        let ((), one) = capture(|| per_sec_site(u64::MAX));
        if let Some(e) = one.events().first() {
            break suppressed(e);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let calls = THREADS * per_thread + more;
    assert_eq!(written + skipped + 1 + carried, calls);
    // Windows are seconds of the clock: the threads' calls touched at most
    // one more window than the seconds they took (one more again for the
    // clock's rate error), five lines each.
    let windows = took.as_secs() + 3;
    assert!(
        (1..=5 * windows).contains(&written),
        "{written} lines in {windows} windows"
    );
}

/// A value whose evaluation is counted.
fn counted(counter: &AtomicU64) -> u64 {
    counter.fetch_add(1, Ordering::Relaxed) + 1
}

#[test]
fn a_skipped_call_evaluates_no_argument() {
    let every = AtomicU64::new(0);
    let first = AtomicU64::new(0);
    let per_sec = AtomicU64::new(0);
    let message = AtomicU64::new(0);
    let ((), events) = capture(|| {
        for _ in 0..1_000 {
            info!(every: 10, "every", n = counted(&every));
            debug!(first: 3, "first {}", counted(&message));
            warning!(per_sec: 2, "per_sec", n = counted(&per_sec));
            log_error!(
                every: 500,
                std::io::Error::other(format!("{}", counted(&first))),
                "error operand"
            );
        }
    });
    let lines = |m: &str| {
        events
            .events()
            .iter()
            .filter(|e| e.message().starts_with(m))
            .count() as u64
    };
    assert_eq!(every.load(Ordering::Relaxed), 100);
    assert_eq!(lines("every"), 100);
    assert_eq!(message.load(Ordering::Relaxed), 3);
    assert_eq!(lines("first"), 3);
    assert_eq!(per_sec.load(Ordering::Relaxed), lines("per_sec"));
    assert!(lines("per_sec") >= 2);
    assert_eq!(first.load(Ordering::Relaxed), 2);
    assert_eq!(lines("error operand"), 2);
}

#[test]
fn every_level_macro_samples() {
    let ((), events) = capture(|| {
        for _ in 0..4 {
            trace!(every: 2, "trace");
            debug!(every: 2, "debug");
            info!(every: 2, "info");
            warning!(every: 2, "warning");
            warn!(every: 2, "warn");
            error!(every: 2, "error");
            critical!(every: 2, "critical");
            log!(Level::Info, every: 2, "log");
            log!(target: "audit", Level::Info, every: 2, "log with target");
            log_error!(every: 2, std::io::Error::other("x"), "log_error, key first");
            log_error!(std::io::Error::other("x"), every: 2, "log_error, key last");
        }
    });
    for m in [
        "trace",
        "debug",
        "info",
        "warning",
        "warn",
        "error",
        "critical",
        "log",
        "log with target",
        "log_error, key first",
        "log_error, key last",
    ] {
        let lines: Vec<u64> = events
            .events()
            .iter()
            .filter(|e| e.message() == m)
            .map(suppressed)
            .collect();
        assert_eq!(lines, [0, 1], "{m}");
    }
    assert_eq!(events.find("log with target").target(), "audit");
}

#[test]
fn sampling_keys_combine_with_target_and_fields() {
    let user = 7;
    let ((), events) = capture(|| {
        for i in 0..3u64 {
            info!(target: "audit", every: 2, "a {i}", user, k = 1);
            info!(first: 1, target: "audit", "b",);
            info!(per_sec: 1_000, "c {}", i, k = %i,);
        }
    });
    let a: Vec<_> = events
        .events()
        .iter()
        .filter(|e| e.template() == "a {i}")
        .collect();
    assert_eq!(a.len(), 2);
    assert_eq!(a[1].message(), "a 2");
    assert_eq!(a[1].target(), "audit");
    let fields: Vec<String> = a[1].fields().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        fields,
        ["user", "k", "suppressed"],
        "the count after the call's fields"
    );
    let b = events.find("b");
    assert_eq!((b.target(), b.field("suppressed")), ("audit", None));
    let c: Vec<_> = events
        .events()
        .iter()
        .filter(|e| e.template() == "c {}")
        .collect();
    assert_eq!(c.len(), 3, "1,000 a second: none skipped");
}

/// Two lines from one `every: 3` call site of the test's own (a call
/// site's count is shared by every caller): the first without a count,
/// the second with `suppressed: 2`. A context field `suppressed` is bound
/// around each call.
macro_rules! two_lines {
    () => {{
        let ((), events) = capture(|| {
            for i in 0..4u64 {
                Context::current()
                    .with_field("suppressed", "from the context")
                    .with_field("tenant", "acme")
                    .scope(|| warning!(every: 3, "queue full", depth = i));
            }
        });
        assert_eq!(events.len(), 2);
        events
    }};
}

#[test]
fn json_and_ecs_write_the_count_as_an_integer() {
    let events = two_lines!();
    let [first, second] = events.events() else {
        unreachable!()
    };
    for line in [second.to_json(&JsonFormat::new()), second.to_ecs()] {
        let members = object_members(&line);
        let counts: Vec<_> = members.iter().filter(|(k, _)| k == "suppressed").collect();
        // The event's count wins over the context's field of that name:
        // one key.
        assert_eq!(counts.len(), 1, "{line}");
        assert_eq!(counts[0].1, serde_json::json!(2), "{line}");
        assert!(
            members.iter().any(|(k, v)| k == "tenant" && v == "acme"),
            "{line}"
        );
    }
    for line in [first.to_json(&JsonFormat::new()), first.to_ecs()] {
        let members = object_members(&line);
        let counts: Vec<_> = members.iter().filter(|(k, _)| k == "suppressed").collect();
        // No count on a line with none skipped: the context's field stays.
        assert_eq!(counts.len(), 1, "{line}");
        assert_eq!(counts[0].1, "from the context", "{line}");
    }
}

#[test]
fn otel_writes_the_count_as_an_int_attribute() {
    let events = two_lines!();
    let line: serde_json::Value = serde_json::from_str(&events.events()[1].to_otel()).unwrap();
    let attributes = line["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
        .as_array()
        .expect("attributes");
    let counts: Vec<_> = attributes
        .iter()
        .filter(|a| a["key"] == "suppressed")
        .collect();
    assert_eq!(counts.len(), 1, "{line}");
    assert_eq!(
        counts[0]["value"],
        serde_json::json!({"intValue": "2"}),
        "{line}"
    );
    let first: serde_json::Value = serde_json::from_str(&events.events()[0].to_otel()).unwrap();
    let attributes = first["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
        .as_array()
        .expect("attributes");
    assert!(
        attributes
            .iter()
            .all(|a| a["key"] != "suppressed" || a["value"]["stringValue"] == "from the context"),
        "{first}"
    );
}

#[test]
fn text_writes_the_count_after_the_fields() {
    let events = two_lines!();
    let second = events.events()[1].to_text(&TextFormat::new());
    assert!(second.ends_with(" depth=3 suppressed=2"), "{second}");
    assert_eq!(second.matches("suppressed=").count(), 1, "{second}");
    let first = events.events()[0].to_text(&TextFormat::new());
    assert!(first.ends_with(" depth=0"), "{first}");
    assert!(first.contains("suppressed=\"from the context\""), "{first}");
}

/// Runs the child's `sampled` role in `format`; returns its lines' counts
/// (written, sum of `suppressed`) and the calls it made.
fn child_counts(mode: &str, threads: u64, per_thread: u64, format: &str) -> (u64, u64, u64) {
    let (t, p) = (threads.to_string(), per_thread.to_string());
    let out = common::child::run(&["sampled", mode, &t, &p], &[("PULSELOG_FORMAT", format)]);
    assert!(out.status.success(), "{out:?}");
    let calls = common::child::figure(&out.stderr, "calls");
    let lines = common::child::stdout_lines(&out);
    let counts = lines.iter().map(|line| match format {
        "json" => {
            let json = common::child::json(line);
            assert_eq!(json["message"], "sampled", "{line}");
            json.get("suppressed")
                .map_or(0, |n| n.as_u64().expect("an integer"))
        }
        _ => line
            .split(' ')
            .find_map(|w| w.strip_prefix("suppressed="))
            .map_or(0, |n| n.parse().expect("an integer")),
    });
    let skipped = counts.sum();
    (lines.len() as u64, skipped, calls)
}

#[test]
fn a_process_writes_every_call_or_counts_it_from_16_threads() {
    for format in ["json", "text"] {
        let (written, skipped, calls) = child_counts("every", THREADS, 1_000, format);
        assert_eq!(calls, 16_001);
        assert_eq!((written, written + skipped), (161, calls), "{format}");
    }
    let (written, skipped, calls) = child_counts("per_sec", THREADS, 20_000, "json");
    assert_eq!(written + skipped, calls);
    let (written, skipped, _) = child_counts("first", THREADS, 1_000, "json");
    assert_eq!((written, skipped), (10, 0));
}
