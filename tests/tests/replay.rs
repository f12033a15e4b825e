//! Replay on error (`Config::replay_on_error`), from child processes: a
//! request's DEBUG events, which the INFO filter leaves out, are written
//! before its first error, once, in order and marked `replayed`; those of
//! a request that succeeds never are; every format marks them; an output
//! with its own filter decides for itself; the kept events stay within
//! the byte budget, and what is given up is counted exactly.

mod common;

use common::child::{figure, json, run, stdout_lines};
use serde_json::Value;
use std::collections::BTreeMap;

/// The child's JSON lines, grouped by request id, each group in output
/// order.
fn by_request(lines: &[String]) -> BTreeMap<String, Vec<Value>> {
    let mut requests: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for line in lines {
        let v = json(line);
        let id = v["request_id"]
            .as_str()
            .unwrap_or_else(|| panic!("a line outside any request: {line}"))
            .to_owned();
        requests.entry(id).or_default().push(v);
    }
    requests
}

fn run_ok(args: &[&str]) -> (Vec<String>, Vec<u8>) {
    let out = run(args, &[]);
    assert!(out.status.success(), "{out:?}");
    (stdout_lines(&out), out.stderr)
}

fn level(v: &Value) -> &str {
    v["levelname"].as_str().expect("levelname")
}

fn is_error(v: &Value) -> bool {
    matches!(level(v), "ERROR" | "CRITICAL")
}

fn replayed(v: &Value) -> bool {
    match v.get("replayed") {
        None => false,
        Some(Value::Bool(true)) => true,
        Some(other) => panic!("`replayed` is not `true`: {other}"),
    }
}

/// What a replayed line says: its function and message, and its step.
fn what(v: &Value) -> String {
    let step = v.get("i").map_or(String::new(), |i| format!(" {i}"));
    format!(
        "{} {}{step}",
        v["funcName"].as_str().unwrap(),
        v["message"].as_str().unwrap()
    )
}

#[test]
fn a_failing_request_writes_its_debug_events_before_its_error_and_no_other_does() {
    let (lines, _) = run_ok(&["replay-requests", "json"]);
    let requests = by_request(&lines);
    assert_eq!(requests.len(), 1_000);
    let mut failed = 0;
    for (id, events) in &requests {
        let r: u64 = id.strip_prefix("req-").unwrap().parse().unwrap();
        if !r.is_multiple_of(10) {
            assert!(
                events.iter().all(|v| level(v) == "INFO" && !replayed(v)),
                "{id} succeeded, and wrote {events:#?}"
            );
            continue;
        }
        failed += 1;
        let at = events.iter().position(is_error).expect("its error");
        let error = &events[at];
        assert!(!replayed(error), "{error}");
        let kept: Vec<&Value> = events[..at].iter().filter(|v| replayed(v)).collect();
        // Just before its error, among the request's own lines.
        assert_eq!(events[at - kept.len()..at].len(), kept.len());
        assert!(
            events[at - kept.len()..at].iter().all(replayed),
            "{events:#?}"
        );
        assert!(kept.iter().all(|v| level(v) == "DEBUG"), "{kept:#?}");
        let mut expected = vec![
            "handle step 0",
            "load enter",
            "load loading",
            "load exit",
            "handle step 1",
        ];
        match (r / 10) % 3 {
            0 => assert_eq!(error["message"], "failed"),
            1 => {
                expected.push("charge enter");
                assert_eq!(error["message"], "charge failed");
            }
            _ => {
                assert_eq!(level(error), "CRITICAL");
                let message = error["message"].as_str().unwrap();
                assert!(
                    message.ends_with(&format!("request {r} broke")),
                    "{message}"
                );
            }
        }
        let said: Vec<String> = kept.iter().map(|v| what(v)).collect();
        assert_eq!(said, expected, "{id}: once each, in order");
        // Each with its own time, in the order they happened.
        let times: Vec<&str> = kept
            .iter()
            .map(|v| v["asctime"].as_str().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert!(
            times.last().unwrap() <= &error["asctime"].as_str().unwrap(),
            "{events:#?}"
        );
        // What it logged after its error was kept, never written.
        assert!(
            events[at + 1..].iter().all(|v| level(v) != "DEBUG"),
            "{events:#?}"
        );
    }
    assert_eq!(failed, 100);
}

#[test]
fn every_format_marks_replayed_lines() {
    // 34 requests replay 5 events at `error!`, 33 replay 6 at their
    // `#[logged(err)]` failure, 33 replay 5 at a panic.
    let expected = 34 * 5 + 33 * 6 + 33 * 5;
    for (format, mark, debug) in [
        ("json", r#""replayed": true}"#, r#""levelname": "DEBUG""#),
        ("ecs", r#""replayed":true}"#, r#""log.level":"debug""#),
        (
            "otel",
            r#"{"key":"replayed","value":{"boolValue":true}}]"#,
            r#""severityText":"DEBUG""#,
        ),
        ("text", " replayed=true", "| DEBUG "),
    ] {
        let (lines, _) = run_ok(&["replay-requests", format]);
        let marked = lines.iter().filter(|l| l.contains(mark)).count();
        assert_eq!(
            marked,
            expected,
            "{format}: {:?}",
            &lines[..lines.len().min(20)]
        );
        let debugs = lines.iter().filter(|l| l.contains(debug)).count();
        assert_eq!(debugs, expected, "{format}: only replayed lines are DEBUG");
        let both = lines
            .iter()
            .filter(|l| l.contains(debug) && l.contains(mark))
            .count();
        assert_eq!(both, expected, "{format}");
    }
}

#[test]
fn an_output_with_its_own_filter_decides_whether_it_wants_replayed_lines() {
    let out = run(&["replay-outputs"], &[]);
    assert!(out.status.success(), "{out:?}");
    let stdout = by_request(&stdout_lines(&out));
    let stderr: Vec<Value> = String::from_utf8(out.stderr.clone())
        .unwrap()
        .lines()
        .map(json)
        .collect();
    for r in 0..20 {
        let events = &stdout[&format!("req-{r}")];
        let kept: Vec<String> = events.iter().filter(|v| replayed(v)).map(what).collect();
        if r % 2 == 0 {
            assert_eq!(kept, ["outputs step 0", "outputs step 1"], "{events:#?}");
        } else {
            assert!(kept.is_empty(), "{events:#?}");
        }
    }
    // stderr (`warning`): the warnings and errors, no replayed line.
    assert_eq!(stderr.len(), 20 + 10, "{stderr:#?}");
    assert!(
        stderr.iter().all(|v| !replayed(v) && level(v) != "DEBUG"),
        "{stderr:#?}"
    );
}

#[test]
fn a_request_keeps_what_it_logs_across_awaits_tasks_and_threads() {
    let (lines, _) = run_ok(&["replay-await"]);
    let requests = by_request(&lines);
    assert_eq!(requests.len(), 100, "only failing requests write lines");
    for (id, events) in &requests {
        let r: u64 = id.strip_prefix("req-").unwrap().parse().unwrap();
        assert_eq!(r % 2, 0, "{id}: {events:#?}");
        let steps: Vec<Value> = events.iter().map(|v| v["i"].clone()).collect();
        let expected = [0, 1, 2, 3].map(Value::from);
        assert_eq!(steps[..4], expected, "{events:#?}");
        assert_eq!(events.len(), 5, "{events:#?}");
        assert!(
            events[..4].iter().all(replayed) && is_error(&events[4]),
            "{events:#?}"
        );
    }
}

#[test]
fn ten_thousand_requests_keep_within_the_byte_budget_and_count_what_they_give_up() {
    let (requests, events) = (10_000u64, 1_000u64);
    let (lines, stderr) = run_ok(&["replay-flood", &requests.to_string(), &events.to_string()]);
    let all = by_request(&lines);
    assert_eq!(all.len() as u64, requests);
    let mut kept_total = 0;
    for (id, lines) in &all {
        let (error, before) = lines.split_last().unwrap();
        assert!(is_error(error), "{id}: {lines:#?}");
        assert!(before.iter().all(replayed), "{id}: {lines:#?}");
        let (given_up, kept) = match before.first() {
            Some(v) if v.get("given_up").is_some() => {
                (v["given_up"].as_u64().unwrap(), &before[1..])
            }
            _ => (0, before),
        };
        let steps: Vec<u64> = kept.iter().map(|v| v["i"].as_u64().unwrap()).collect();
        assert!(
            steps.len() <= 200,
            "{id}: past the capacity: {}",
            steps.len()
        );
        // kept + given up = logged, and what is kept is the newest.
        assert_eq!(given_up + steps.len() as u64, events, "{id}");
        assert!(
            steps.iter().copied().eq(given_up..events),
            "{id}: {steps:?}"
        );
        kept_total += steps.len();
    }
    assert!(kept_total > 0);
    // 10,000 requests of 200 kept events of 128 bytes would be 256 MB.
    let peak_kib = figure(&stderr, "vmhwm_kib");
    assert!(peak_kib < 64 << 10, "peak resident memory {peak_kib} KiB");
}
