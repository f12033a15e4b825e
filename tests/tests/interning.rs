//! Run-time call sites within a bound: a `log` record's target made at run
//! time (`log::info!(target: &format!("tenant-{i}"), …)`) is kept as a call
//! site only up to a bound; past it the record carries its own, written the
//! same way, and memory stays flat.

mod common;

use common::child::{command, figure, json, within_time};
use std::io::{BufRead, BufReader, Read};

/// The peak resident set of a child that logged a million records from a
/// million targets (429 MB when every target was kept for good; about
/// 11 MB within the bound, as for a few thousand).
const MAX_RSS_KB: u64 = 48 * 1024;

#[test]
fn a_million_run_time_targets_keep_memory_flat_and_every_line_its_target() {
    const N: usize = 1_000_000;
    let mut child = command(&["targets", &N.to_string()])
        .env("PULSELOG_FORMAT", "json")
        .spawn()
        .expect("spawn child");
    let pid = child.id();
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    // Read as the child writes (a full pipe would stall it), checking every
    // line's target and every 100,000th line whole.
    let lines = std::thread::spawn(move || {
        let mut n = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("UTF-8 lines");
            let name = line
                .split_once(r#""name": ""#)
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(name, _)| name);
            assert_eq!(name, Some(&*format!("tenant-{n}")), "line {n}: {line}");
            if n % 100_000 == 0 {
                let v = json(&line);
                assert_eq!(v["i"], n, "{line}");
                assert_eq!(v["message"], "request served", "{line}");
                assert_eq!(v["levelname"], "INFO", "{line}");
                assert!(v["lineno"].as_u64().is_some_and(|l| l > 0), "{line}");
                assert_eq!(v["filename"], "tests/src/bin/pulselog-child/bridged.rs");
            }
            n += 1;
        }
        n
    });
    let status = within_time(&["targets"], pid, move || child.wait());
    let stderr = err.join().expect("stderr reader");
    assert!(status.success(), "{}", String::from_utf8_lossy(&stderr));
    assert_eq!(
        lines.join().expect("every line checked"),
        N,
        "one line per record"
    );
    let rss_kb = figure(&stderr, "rss_kb");
    assert!(
        rss_kb < MAX_RSS_KB,
        "peak RSS {rss_kb} kB for {N} targets, over {MAX_RSS_KB} kB"
    );
}
