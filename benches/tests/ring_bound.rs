//! `ring-bound` writes pulselog's line: run the way the driver runs them,
//! the two contenders' outputs for the same events are the same lines,
//! key for key and byte for byte, but for the time stamp.

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const N: u64 = 1_000;

/// The key whose value must differ: the time each event was logged.
const TIME: &str = "asctime";

fn run(name: &str, workload: &str, out: &Path) -> Vec<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["child", name, workload, &N.to_string(), "1024"])
        .arg(out)
        .output()
        .expect("bench binary runs");
    assert!(
        output.status.success(),
        "{name} {workload}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(out).expect("the output file");
    assert!(text.ends_with('\n'), "{name}: the last line is not ended");
    text.lines().map(str::to_owned).collect()
}

/// The line parsed, and the line with its time's value cut out: what must
/// be the same bytes (key order, spacing and separators included).
fn split(line: &str) -> (Map<String, Value>, String) {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(line) else {
        panic!("not a JSON object: {line}");
    };
    let Some(Value::String(time)) = map.get(TIME) else {
        panic!("no `{TIME}` string: {line}");
    };
    assert!(
        is_iso(time),
        "`{TIME}` is not ISO 8601 with µs and Z: {line}"
    );
    let quoted = format!("\"{time}\"");
    let masked = line.replacen(&quoted, "\"…\"", 1);
    (map, masked)
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn is_iso(s: &str) -> bool {
    let pattern = b"dddd-dd-ddTdd:dd:dd.ddddddZ";
    s.len() == pattern.len()
        && s.bytes().zip(pattern).all(|(b, &p)| {
            if p == b'd' {
                b.is_ascii_digit()
            } else {
                b == p
            }
        })
}

/// Checks one pair of lines: same keys in the same order, same values but
/// the time, same bytes with the time cut out.
fn same_line(pulselog: &str, bound: &str) {
    let (p, p_masked) = split(pulselog);
    let (b, b_masked) = split(bound);
    let keys = |m: &Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&b), keys(&p), "keys or their order differ");
    for (key, value) in &p {
        if key != TIME {
            assert_eq!(&b[key], value, "`{key}` differs");
        }
    }
    assert_eq!(b_masked, p_masked, "the bytes differ (separators, spacing)");
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pulselog-bench-ring-bound-{test}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn one_thread_line_for_line() {
    let dir = scratch("w1");
    let pulselog = run("pulselog", "w1", &dir.join("pulselog.log"));
    let bound = run("ring-bound", "w1", &dir.join("ring-bound.log"));
    assert_eq!(pulselog.len() as u64, N);
    assert_eq!(bound.len(), pulselog.len());
    for (p, b) in pulselog.iter().zip(&bound) {
        same_line(p, b);
    }
    // The bound's time is the wall clock's, not only its format.
    let time = |line: &str| -> jiff::Timestamp {
        let (map, _) = split(line);
        map[TIME].as_str().unwrap().parse().unwrap()
    };
    let apart = time(&bound[0]).duration_since(time(&pulselog[0]));
    assert!(
        apart.abs() < jiff::SignedDuration::from_secs(60),
        "the bound's first time is {apart:?} from pulselog's"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_threads_each_in_order() {
    let dir = scratch("w2");
    let pulselog = run("pulselog", "w2", &dir.join("pulselog.log"));
    let bound = run("ring-bound", "w2", &dir.join("ring-bound.log"));
    assert_eq!(bound.len(), pulselog.len());
    // Threads interleave differently: compare the lines by event.
    let by_event = |lines: &[String]| {
        let mut v: Vec<(u64, String)> = lines
            .iter()
            .map(|l| {
                let (map, _) = split(l);
                let message = map["message"].as_str().unwrap().to_owned();
                let i = message
                    .strip_prefix("request ")
                    .and_then(|m| m.strip_suffix(" failed"))
                    .and_then(|i| i.parse().ok())
                    .unwrap_or_else(|| panic!("unexpected message: {message}"));
                (i, l.clone())
            })
            .collect();
        // Each thread's events (the first logs 0..N/2, the second the rest)
        // come in the order it logged them.
        for half in [0..N / 2, N / 2..N] {
            let order: Vec<u64> = v
                .iter()
                .map(|(i, _)| *i)
                .filter(|i| half.contains(i))
                .collect();
            assert_eq!(order, half.collect::<Vec<_>>(), "a thread's order");
        }
        v.sort_by_key(|(i, _)| *i);
        v
    };
    for ((_, p), (_, b)) in by_event(&pulselog).iter().zip(&by_event(&bound)) {
        same_line(p, b);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
