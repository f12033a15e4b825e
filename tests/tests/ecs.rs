//! `PULSELOG_FORMAT=ecs`: every line of a run checked against Elastic's
//! ECS logging spec (`tests/data/ecs-spec.json`, a copy of
//! `elastic/ecs-logging`'s `spec/spec.json`), and lines compared with the
//! ones Elastic's own Python formatter writes for the same events.

mod common;

use common::child;
use common::object_members;
use pulselog::JsonFormat;
use pulselog::context::RequestId;
use pulselog::prelude::*;
use serde_json::{Map, Value};
use std::io::Write;
use std::process::{Command, Stdio};

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/ecs-spec.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the spec file")).expect("JSON")
}

/// Whether `value` is of the spec's `type`.
fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "object" => value.is_object(),
        "datetime" => value
            .as_str()
            .is_some_and(|s| s.parse::<jiff::Timestamp>().is_ok()),
        other => panic!("the spec has a type this test does not know: {other}"),
    }
}

/// The spec's rules, checked on one line; returns its members.
fn check_line(spec: &Value, line: &str) -> Vec<(String, Value)> {
    let members = object_members(line);
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    let mut seen = keys.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), keys.len(), "duplicate key: {line}");
    let fields = spec["fields"].as_object().expect("fields");
    for (name, rule) in fields {
        let at = keys.iter().position(|k| k == name);
        if rule["required"] == true {
            assert!(at.is_some(), "required `{name}` missing: {line}");
        }
        let Some(at) = at else { continue };
        let ty = rule["type"].as_str().expect("a type");
        assert!(
            has_type(&members[at].1, ty),
            "`{name}` is not a {ty}: {line}"
        );
        if let Some(index) = rule["index"].as_u64() {
            assert_eq!(at as u64, index, "`{name}` must be key #{index}: {line}");
        }
        if rule["top_level_field"] == true {
            let (head, _) = name.split_once('.').expect("a dotted name");
            assert!(
                !keys.contains(&head),
                "`{name}` must be a dotted top-level key, not nested under `{head}`: {line}"
            );
        }
    }
    // Elastic's spec pins the major version it describes.
    let major = spec["ecs"]["version"]
        .as_str()
        .unwrap()
        .trim_end_matches('x');
    let version = &members[keys.iter().position(|k| *k == "ecs.version").unwrap()].1;
    assert!(version.as_str().unwrap().starts_with(major), "{line}");
    // A field under a name that ECS gives an object would break the
    // mapping: no key is a prefix of another.
    for k in &keys {
        assert!(
            !keys.iter().any(|o| o.starts_with(&format!("{k}."))),
            "`{k}` is both a value and an object: {line}"
        );
    }
    members
}

#[test]
fn every_line_of_a_run_follows_elastics_spec() {
    let spec = spec();
    let lines = child::sample(
        "ecs",
        "service.version=1.4.2,deployment.environment.name=staging",
    );
    let mut traced = 0;
    for line in &lines {
        let m: Map<String, Value> = check_line(&spec, line).into_iter().collect();
        assert_eq!(m["service.name"], "checkout", "{line}");
        assert_eq!(m["event.dataset"], "checkout", "{line}");
        assert_eq!(m["service.version"], "1.4.2", "{line}");
        assert_eq!(m["service.environment"], "staging", "{line}");
        assert_eq!(m["process.pid"], first_pid(&lines), "{line}");
        assert!(m["log.logger"].is_string() && m["log.origin.function"].is_string());
        if m.get("request_id") == Some(&Value::from("req-7")) {
            traced += 1;
            assert_eq!(m["trace.id"], "4bf92f3577b34da6a3ce929d0e0e4736", "{line}");
            assert_eq!(m["span.id"], "00f067aa0ba902b7", "{line}");
            assert_eq!(m["user_id"], 99, "{line}");
        } else {
            assert!(!m.contains_key("trace.id"), "{line}");
        }
        if m.contains_key("error.type") {
            let trace = m["error.stack_trace"].as_str().unwrap();
            assert!(
                trace.starts_with(m["error.type"].as_str().unwrap()),
                "{line}"
            );
        }
    }
    assert_eq!(
        traced, 4,
        "enter, inside, exit and the error of the request"
    );
    let levels: Vec<Value> = lines
        .iter()
        .map(|l| object_members(l).swap_remove(1).1)
        .collect();
    for level in ["trace", "debug", "info", "warning", "error", "critical"] {
        assert!(
            levels.contains(&Value::from(level)),
            "{level} in {levels:?}"
        );
    }
    let errors: Vec<Map<String, Value>> = lines
        .iter()
        .map(|l| check_line(&spec, l).into_iter().collect::<Map<_, _>>())
        .filter(|m| m.contains_key("error.type"))
        .collect();
    assert_eq!(errors.len(), 3, "two logged errors and a panic");
    assert_eq!(
        errors[0]["error.message"],
        "could not load the \"config\"\nfile"
    );
    assert!(
        errors[0]["error.stack_trace"]
            .as_str()
            .unwrap()
            .contains("\n  Caused by: disk on fire"),
        "the chain is in the stack trace: {:?}",
        errors[0]
    );
    assert!(
        errors[1]["error.stack_trace"]
            .as_str()
            .unwrap()
            .contains("\nBacktrace:\n    pulselog_child::sample::run at "),
        "so is the backtrace, in its short form: {:?}",
        errors[1]
    );
    assert_eq!(errors[2]["error.type"], "panic");
}

/// The `process.pid` of the first line: every line has the same one.
fn first_pid(lines: &[String]) -> Value {
    object_members(&lines[0])
        .into_iter()
        .find(|(k, _)| k == "process.pid")
        .expect("process.pid")
        .1
}

/// Flattens nested objects into dotted keys, as Elasticsearch reads them.
fn flatten(prefix: &str, value: Value, out: &mut Map<String, Value>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        v => {
            out.insert(prefix.to_owned(), v);
        }
    }
}

/// What Elastic's formatter writes that a pulselog record does not hold:
/// the thread (a record does not capture it), Python's process name, and
/// the message again as `log.original`.
const PYTHON_ONLY: [&str; 4] = [
    "process.name",
    "process.thread.id",
    "process.thread.name",
    "log.original",
];

#[test]
fn lines_match_what_elastics_own_formatter_writes() {
    #[derive(Debug)]
    struct Declined;
    impl std::fmt::Display for Declined {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("card \"declined\"")
        }
    }
    impl std::error::Error for Declined {}

    let traced = pulselog::context::Context::current()
        .with_id(RequestId::from_headers(Some("req-1"), Some(TRACEPARENT)))
        .with_field("tenant", "acme");
    let ((), events) = pulselog::testing::capture(|| {
        info!("Server started on port {port}", port = 8080);
        warning!(
            "types",
            i = -7,
            u = 42u64,
            f = 0.25,
            b = false,
            s = "é \" \n \u{2028} 😀"
        );
        trace!("a trace-level event");
        traced.scope(|| error!("Payment failed", user_id = 99, gateway = "stripe"));
        log_error!(Declined, "charge failed", amount = 30);
        critical!("shutting down");
    });
    // The input for Python: the same events in the python-json-logger
    // schema, whose keys are the attributes of Python's `LogRecord`.
    let json =
        JsonFormat::new().keys("asctime levelname name message filename lineno funcName process");
    let input: String = events
        .events()
        .iter()
        .map(|e| e.to_json(&json) + "\n")
        .collect();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ecs-logging");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ecs_logging.sh");
    let mut py = Command::new(script)
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the script");
    py.stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = py.wait_with_output().unwrap();
    if out.status.code() == Some(3) {
        // CI installs what the script needs: there, not installing is a
        // failure, not a reason to skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "ecs-logging could not be installed in CI: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "SKIPPED: Elastic's ecs-logging could not be installed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return;
    }
    assert!(out.status.success(), "{out:?}");
    let theirs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(theirs.len(), events.len(), "{theirs:?}");

    for (event, their_line) in events.events().iter().zip(&theirs) {
        let ours_line = event.to_ecs();
        let ours_members = object_members(&ours_line);
        let their_members = object_members(their_line);
        // The first three keys, in the spec's order, in both.
        let head =
            |m: &[(String, Value)]| m[..3].iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        assert_eq!(head(&ours_members), head(&their_members));
        let ours: Map<String, Value> = ours_members
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect();
        let mut theirs = Map::new();
        flatten("", serde_json::from_str(their_line).unwrap(), &mut theirs);
        let context = format!("\nours:   {ours_line}\ntheirs: {their_line}");
        for (key, their_value) in &theirs {
            if PYTHON_ONLY.contains(&key.as_str()) {
                continue;
            }
            let our_value = ours
                .get(key)
                .unwrap_or_else(|| panic!("`{key}` missing{context}"));
            match key.as_str() {
                // Ours has microseconds, Elastic's milliseconds.
                "@timestamp" => {
                    let ours = our_value.as_str().unwrap();
                    assert_eq!(format!("{}Z", &ours[..23]), *their_value, "{context}");
                }
                // A Rust backtrace and a Python traceback differ; both are
                // text.
                "error.stack_trace" => assert!(our_value.is_string(), "{context}"),
                _ => assert_eq!(our_value, their_value, "`{key}`{context}"),
            }
        }
        for key in ours.keys() {
            assert!(theirs.contains_key(key), "`{key}` only in ours{context}");
        }
    }
}
