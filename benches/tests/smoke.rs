//! Every contender, run the way the driver runs it with a tiny N, writes
//! exactly the lines it should: the harness measures what it claims to.

use pulselog_benches::CONTENDERS;
use pulselog_benches::stats::parse_result;
use pulselog_benches::workload::{WARM_UP, Workload};
use std::process::Command;

const N: u64 = 300;

/// A W1 capacity for the paced workloads: 300 events at 10 % of it take
/// 3 ms.
const W1_RATE: &str = "1000000";

fn run(name: &str, w: Workload, out: &std::path::Path) -> std::collections::BTreeMap<String, f64> {
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["child", name, w.name(), &N.to_string(), "1024"])
        .arg(out)
        .args(w.is_paced().then_some(W1_RATE))
        .output()
        .expect("bench binary runs");
    assert!(
        output.status.success(),
        "{name} {}: {}",
        w.name(),
        String::from_utf8_lossy(&output.stderr)
    );
    parse_result(&String::from_utf8_lossy(&output.stdout))
        .unwrap_or_else(|| panic!("{name} {}: no result line", w.name()))
}

#[test]
fn every_contender_writes_every_line() {
    let dir = std::env::temp_dir().join(format!("pulselog-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for c in CONTENDERS.iter().filter(|c| c.name != "baseline") {
        for &w in c.workloads.iter().filter(|w| **w != Workload::W3) {
            let out = dir.join(format!("{}-{}.log", c.name, w.name()));
            let fig = run(c.name, w, &out);
            if w == Workload::Volume {
                // Their calls are skipped, dropped or kept unwritten; a limit
                // per second writes one line more if the run spans the turn
                // of a second.
                let lines = match c.name {
                    "pulselog-guard-pass" => N..=N,
                    "pulselog-every" => 1..=1,
                    "pulselog-per-sec" | "pulselog-guard-drop" => 1..=2,
                    _ => 0..=0,
                };
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let found = fig["lines"] as u64;
                assert!(lines.contains(&found), "{}: {found} lines", c.name);
                assert_eq!(fig["calls"], N as f64, "{}", c.name);
                continue;
            }
            let expected = match w {
                Workload::W4On => fig["expected_lines"],
                // The untimed warm-up is written too.
                Workload::Paced(_) | Workload::Bursts => (N + WARM_UP) as f64,
                Workload::W4Off => 0.0,
                _ => N as f64,
            };
            assert_eq!(fig["lines"], expected, "{} {}", c.name, w.name());
            assert_eq!(fig["calls"], N as f64, "{} {}", c.name, w.name());
            assert!(fig["mean_ns"] >= 0.0 && fig["p99_ns"] >= fig["p50_ns"]);
            if w.is_paced() {
                let offered = fig["offered_per_s"];
                assert!(offered > 0.0 && fig["achieved_per_s"] > 0.0, "{}", c.name);
            }
            if w == Workload::W1 {
                let text = std::fs::read_to_string(&out).unwrap();
                let last = format!("request {} failed", N - 1);
                assert!(text.contains(&last), "{}: no `{last}` line", c.name);
            }
        }
        // The disabled workload writes nothing.
        if c.workloads.contains(&Workload::W3) {
            let out = dir.join(format!("{}-w3.log", c.name));
            let fig = run(c.name, Workload::W3, &out);
            assert_eq!(fig["lines"], 0.0, "{} w3", c.name);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
