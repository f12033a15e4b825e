//! The pipeline's promises, from outside: each test runs the
//! `pulselog-pipeline-child` program and counts what it wrote, line by
//! line. Every line of every test must be whole, valid JSON; events written
//! plus events reported as dropped must account for every event logged.
//!
//! The in-process ordering tests are `order.rs`; a slow or stuck output
//! under the two overflow policies is `tests/tests/overflow.rs`.

mod common;

use common::child::{command, figure, json, run, run_ok, run_stalled, stdout_lines, within_time};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::process::Output;

/// What the tests read of an event's line: the numbers its role gave it.
#[derive(Debug, Clone, Copy)]
struct Ev {
    producer: Option<u64>,
    seq: Option<u64>,
    i: Option<u64>,
}

/// A line as [`tally`] reads it: every other key is parsed (a line must be
/// valid JSON) and skipped. Typed and borrowed rather than a `Value`: the
/// tests read millions of lines, and under AddressSanitizer building each
/// line's map took most of their time.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    levelname: Option<Cow<'a, str>>,
    dropped: Option<u64>,
    producer: Option<u64>,
    seq: Option<u64>,
    i: Option<u64>,
}

/// The events a child wrote (lines of its own) and the drops pulselog
/// reported, from stdout; panics on a torn or invalid line.
fn tally(lines: &[String]) -> (Vec<Ev>, u64) {
    let mut events = Vec::with_capacity(lines.len());
    let mut dropped = 0;
    for line in lines {
        let v: Line<'_> =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("invalid JSON ({e}): {line}"));
        if v.name == "pulselog" {
            assert_eq!(v.levelname.as_deref(), Some("WARNING"), "{line}");
            dropped += v.dropped.expect("a count");
        } else {
            events.push(Ev {
                producer: v.producer,
                seq: v.seq,
                i: v.i,
            });
        }
    }
    (events, dropped)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Each producer's `seq`s in the order written: must be 0, 1, 2, ….
fn assert_each_producer_in_order(events: &[Ev], producers: u64, per_producer: u64) {
    let mut next = vec![0u64; producers as usize];
    for e in events {
        let p = e.producer.expect("producer") as usize;
        assert_eq!(e.seq, Some(next[p]), "producer {p} out of order");
        next[p] += 1;
    }
    assert!(next.iter().all(|&n| n == per_producer), "{next:?}");
}

/// Defect 1: lossless means lossless, whatever the number of threads.
mod lossless {
    use super::*;

    fn threads(threads: u64, per_thread: u64, capacity: u64) {
        let out = run(
            &[
                "threads",
                &threads.to_string(),
                &per_thread.to_string(),
                &capacity.to_string(),
            ],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let (events, dropped) = tally(&stdout_lines(&out));
        assert_eq!(dropped, 0, "Block drops nothing while the output drains");
        assert_eq!(events.len() as u64, threads * per_thread);
        assert_each_producer_in_order(&events, threads, per_thread);
        // Waiting producers sleep until the writer frees room in their
        // ring: a few waits per ring's worth of events. Woken every 5 ms
        // instead, they made 160,000 (1.5 million under AddressSanitizer)
        // for 512,000 events, and took the CPU from the writer for so long
        // that a write looked stuck and events were dropped.
        let waits = figure(&out.stderr, "waits");
        let events = threads * per_thread;
        assert!(
            waits < events / 16,
            "{waits} context switches by waiting for {events} events"
        );
    }

    #[test]
    fn block_with_512_threads_writes_every_line_in_each_threads_order() {
        // Rings that grow to the default 4 Ki events until half the byte
        // budget is taken.
        threads(512, 1000, pulselog::DEFAULT_CAPACITY as u64);
    }

    #[test]
    fn block_with_512_threads_on_tiny_rings_writes_every_line() {
        // Rings of at most 64 events: producers wait for room again and
        // again, for as long as the writer makes progress.
        threads(512, 1000, 64);
    }
}

/// Defect 2: a write error never silences the logger.
mod write_errors {
    use super::*;

    #[test]
    fn a_write_that_fails_once_loses_nothing_and_says_so() {
        let out = run(&["fail-once", "5000"], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let (events, dropped) = tally(&stdout_lines(&out));
        assert_eq!((events.len(), dropped), (5000, 0));
        let err = stderr(&out);
        assert!(
            err.contains("writing the log output failed (No space left on device"),
            "{err}"
        );
        assert!(err.contains("works again"), "{err}");
    }

    #[test]
    fn output_resumes_after_an_outage_and_reports_what_it_dropped() {
        // Writes fail for 600 ms; producers give up after 100 ms of no
        // progress; the second half is logged after the outage.
        let n = 20_000;
        let out = run(&["fail-for", &n.to_string(), "600"], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let lines = stdout_lines(&out);
        let (events, dropped) = tally(&lines);
        assert!(dropped > 0, "the outage outlasts the block timeout");
        assert_eq!(events.len() as u64 + dropped, n);
        // Everything logged after the outage is there, in order.
        let tail: Vec<u64> = events[events.len() - n as usize / 2..]
            .iter()
            .map(|e| e.i.unwrap())
            .collect();
        assert_eq!(tail, (n / 2..n).collect::<Vec<_>>());
        let report = lines
            .iter()
            .map(|l| json(l))
            .find(|v| v["name"] == "pulselog")
            .unwrap();
        assert!(
            report["reason"]
                .as_str()
                .unwrap()
                .contains("No space left on device"),
            "{report}"
        );
        let err = stderr(&out);
        assert!(
            err.contains("works again") && err.contains(&format!("{dropped} events were dropped")),
            "{err}"
        );
    }

    #[test]
    fn a_reader_that_pauses_a_nonblocking_stdout_costs_only_what_it_could_not_take() {
        // Half the events at once into a reader that pauses for 1.5 s after
        // 100 KB; the other half 2.5 s later.
        let n = 30_000u64;
        let mut child = command(&["nonblocking", &n.to_string(), "2500"])
            .spawn()
            .expect("spawn");
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = vec![0; 100_000];
            stdout.read_exact(&mut buf).expect("the first lines");
            std::thread::sleep(std::time::Duration::from_millis(1500));
            stdout.read_to_end(&mut buf).expect("the rest");
            buf
        });
        let out = within_time(&["nonblocking"], child.id(), move || {
            child.wait_with_output()
        });
        assert!(out.status.success(), "{}", stderr(&out));
        let text = String::from_utf8(reader.join().unwrap()).unwrap();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let (events, dropped) = tally(&lines);
        assert!(dropped > 0, "the pause outlasts the block timeout");
        assert_eq!(events.len() as u64 + dropped, n);
        assert_eq!(events.last().unwrap().i, Some(n - 1), "output resumed");
        assert!(
            !stderr(&out).contains("failed"),
            "a full pipe is no error: {}",
            stderr(&out)
        );
    }

    #[test]
    fn a_panicking_writer_is_replaced_by_stderr() {
        let n = 1000;
        let out = run(&["panicking-writer", &n.to_string()], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let (on_stdout, _) = tally(&stdout_lines(&out));
        let err = stderr(&out);
        assert!(err.contains("the configured log writer panicked"), "{err}");
        let on_stderr: Vec<Value> = err
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(json)
            .collect();
        assert!(!on_stdout.is_empty() && !on_stderr.is_empty());
        let all: Vec<u64> = on_stdout
            .iter()
            .map(|e| e.i.unwrap())
            .chain(on_stderr.iter().map(|e| e["i"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            all,
            (0..n).collect::<Vec<_>>(),
            "every line, once, in order"
        );
    }
}

/// Defect 3: memory is bounded by bytes, not by events or threads.
mod memory {
    use super::*;

    fn big_values(mode: &str) {
        // 200 values of 1 MiB into a pipe nobody reads, with a 16 MiB
        // budget. Unbounded, the queue would hold 200 MiB.
        let out = run_stalled(&["big-values", mode, "200"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let before = figure(&out.stderr, "before_kib");
        let peak = figure(&out.stderr, "peak_kib");
        assert!(
            peak < before + 40 * 1024,
            "{mode}: peak RSS {peak} KiB from {before} KiB, budget 16 MiB"
        );
        assert!(
            stderr(&out).contains("events were not written"),
            "{}",
            stderr(&out)
        );
    }

    #[test]
    fn big_values_into_a_stalled_pipe_stay_within_the_budget_under_block() {
        big_values("block");
    }

    #[test]
    fn big_values_into_a_stalled_pipe_stay_within_the_budget_under_drop() {
        big_values("drop");
    }

    #[test]
    fn values_past_half_the_budget_are_cut_with_a_marker() {
        // A 1 MiB budget: one event's values may take 512 KiB, and so may
        // its error's text.
        let lines = run_ok(&["cut"]);
        let events: Vec<Value> = lines.iter().map(|l| json(l)).collect();
        assert_eq!(events.len(), 4);
        let values = [
            &events[0]["value"],
            &events[1]["value"],
            &events[2]["exc_info"]["message"],
        ];
        for (e, v) in events.iter().zip(values) {
            let v = v.as_str().unwrap();
            assert!(v.len() <= 512 * 1024, "{} bytes", v.len());
            let (kept, marker) = v.rsplit_once('…').unwrap();
            let cut: usize = marker
                .strip_prefix('<')
                .and_then(|m| m.strip_suffix(" bytes cut>"))
                .and_then(|m| m.parse().ok())
                .unwrap_or_else(|| panic!("marker {marker}"));
            assert_eq!(
                kept.len() + cut,
                2 << 20,
                "{}: kept and cut add up",
                e["message"]
            );
        }
        assert_eq!(events[3]["message"], "after");
    }

    #[test]
    fn a_thousand_logging_threads_stay_small() {
        let out = run(&["many-threads", "1000", "100"], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let (events, dropped) = tally(&stdout_lines(&out));
        assert_eq!((events.len(), dropped), (100_000, 0));
        let peak = figure(&out.stderr, "peak_kib");
        assert!(
            peak < 128 * 1024,
            "peak RSS {peak} KiB with 1000 live threads"
        );
    }

    #[test]
    fn short_lived_threads_leave_nothing_behind() {
        let out = run(&["short-lived", "20000"], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout_lines(&out).len(), 20_000);
        let (early, late) = (
            figure(&out.stderr, "early_kib"),
            figure(&out.stderr, "late_kib"),
        );
        assert!(
            late < early + 4 * 1024,
            "RSS {early} KiB after 2,000 threads, {late} KiB after 20,000"
        );
    }
}

/// Defect 4: every exit path writes what was logged before it, whole.
mod exits {
    use super::*;

    /// Runs `role` (eight threads of 25,000 events, joined, then the exits
    /// it races) three times: every line each time, the last one whole.
    fn every_line_of(role: &str) {
        for _ in 0..3 {
            let out = run(&[role, "25000"], &[]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            let (events, dropped) = tally(&stdout_lines(&out));
            assert_eq!((events.len(), dropped), (200_000, 0), "{}", stderr(&out));
            assert!(out.stdout.ends_with(b"}\n"), "the last line is whole");
        }
    }

    #[test]
    fn a_guard_drop_racing_exit_writes_every_line() {
        every_line_of("race-exit");
    }

    #[test]
    fn two_exits_at_once_write_every_line() {
        every_line_of("double-exit");
    }

    #[test]
    fn exit_with_a_stalled_output_reports_what_it_could_not_write() {
        let n = 20_000;
        let out = run_stalled(&["stalled-exit", &n.to_string()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let lines = stdout_lines(&out);
        let (events, _) = tally(&lines);
        let err = stderr(&out);
        let unwritten: u64 = err
            .split(';')
            .nth(1)
            .and_then(|s| s.trim().strip_suffix("events were not written"))
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("the count on stderr: {err}"));
        assert_eq!(events.len() as u64 + unwritten, n, "{err}");
        assert!(out.stdout.ends_with(b"}\n"), "the last line is whole");
    }

    #[test]
    fn two_threads_racing_init_lose_no_line() {
        for _ in 0..50 {
            let out = run(&["init-race"], &[("PULSELOG_FORMAT", "json")]);
            assert!(out.status.success(), "{}", stderr(&out));
            let mut producers: Vec<u64> = stdout_lines(&out)
                .iter()
                .map(|l| json(l)["producer"].as_u64().unwrap())
                .collect();
            producers.sort_unstable();
            assert_eq!(producers, [0, 1]);
        }
    }

    #[test]
    fn events_racing_the_shutdown_are_written_by_the_end() {
        // Eight threads log without pause while the guard drops; main then
        // returns, and what raced the shutdown is written at exit.
        let out = run(&["racing-shutdown"], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let logged = figure(&out.stderr, "logged");
        let (events, dropped) = tally(&stdout_lines(&out));
        assert_eq!((events.len() as u64, dropped), (logged, 0));
        assert_each_producer_order(&events);
    }

    /// Each producer's `seq`s increase by one (their count varies).
    fn assert_each_producer_order(events: &[Ev]) {
        let mut next = std::collections::HashMap::new();
        for e in events {
            let n = next.entry(e.producer.unwrap()).or_insert(0);
            assert_eq!(e.seq, Some(*n));
            *n += 1;
        }
    }
}

/// Defect 5: two processes that share one stdout pipe never tear each
/// other's lines.
mod shared_pipe {
    use super::*;

    #[test]
    fn two_processes_on_one_pipe_never_tear_lines() {
        let (mut reader, writer) = std::io::pipe().expect("a pipe");
        let n = 100_000;
        let children: Vec<_> = (0..2)
            .map(|_| {
                command(&["lines", &n.to_string()])
                    .stdout(writer.try_clone().expect("the write end"))
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        drop(writer);
        let read = std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut reader, &mut text).expect("UTF-8");
            text
        });
        for mut c in children {
            let pid = c.id();
            within_time(&["lines"], pid, move || c.wait());
        }
        let text = read.join().unwrap();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let (events, dropped) = tally(&lines);
        assert_eq!((events.len(), dropped), (2 * n, 0));
        // Each process logged `line 0` … `line n-1`: every one twice.
        let mut seen = vec![0u8; n];
        for e in &events {
            seen[e.i.unwrap() as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c == 2), "every line of both");
    }
}

/// Defect 7, the smaller ones that need a process.
mod smaller {
    use super::*;

    #[test]
    fn a_caught_display_panic_prints_no_report() {
        let out = run(&["display-panic"], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let lines = stdout_lines(&out);
        assert_eq!(json(&lines[0])["value"], "<panicked while formatting>");
        assert_eq!(json(&lines[1])["message"], "after");
        assert_eq!(stderr(&out), "", "the panic was caught: nothing to report");
    }
}
