//! The main demo, run as a user runs it: piped into a file it writes only
//! valid JSON lines; with `PULSELOG_FORMAT=text`, the text template.

use std::path::PathBuf;
use std::process::Command;

/// `cargo test` builds the examples next to the test binaries.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join("examples").join(name);
    assert!(path.exists(), "{} not built", path.display());
    path
}

fn run(format: Option<&str>) -> Vec<String> {
    let mut cmd = Command::new(example("observability_matrix"));
    cmd.env_remove("PULSELOG_LEVEL").env_remove("RUST_LOG");
    match format {
        Some(f) => cmd.env("PULSELOG_FORMAT", f),
        None => cmd.env_remove("PULSELOG_FORMAT"),
    };
    let out = cmd.output().expect("run the demo");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn piped_output_is_only_json_lines_with_the_standard_keys() {
    let lines = run(None);
    let mut tasks = std::collections::BTreeSet::new();
    let mut ids = std::collections::BTreeMap::<String, std::collections::BTreeSet<u64>>::new();
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("invalid JSON ({e}): {line}"));
        for key in [
            "asctime",
            "levelname",
            "name",
            "message",
            "filename",
            "lineno",
            "funcName",
        ] {
            assert!(v.get(key).is_some(), "`{key}` missing: {line}");
        }
        if let Some(t) = v.get("task") {
            let t = t.as_u64().unwrap();
            tasks.insert(t);
            // Every line of a request carries that request's id, nested
            // calls included, though no function passes it on.
            let id = v["request_id"].as_str().expect("request lines carry an id");
            ids.entry(id.to_owned()).or_default().insert(t);
        }
    }
    assert_eq!(tasks.len(), 10, "ten concurrent requests logged");
    assert_eq!(ids.len(), 10, "one request id per request: {ids:?}");
    assert!(ids.values().all(|t| t.len() == 1), "{ids:?}");
    let nested = lines
        .iter()
        .filter(|l| l.contains("\"funcName\": \"process_data\""))
        .count();
    assert!(nested >= 10 * 100, "nested calls log inside the request");
    let v = find(&lines, "Payment failed");
    assert_eq!(v["levelname"], "ERROR");
    assert_eq!(v["user_id"], 100);
    let returned = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["message"] == "charge failed" && e["funcName"] == "charge")
        .expect("#[logged(err)] logs the returned error");
    assert_eq!(returned["request_id"], v["request_id"]);
    assert_eq!(returned["exc_info"]["message"], "card declined by stripe");
    assert_eq!(v["gateway"], "stripe");
    assert_eq!(v["name"], "observability_matrix::payments");
    assert_eq!(v["funcName"], "charge");

    let config = find(&lines, "config load failed");
    assert_eq!(config["exc_info"]["chain"].as_array().unwrap().len(), 3);
    assert!(
        !config["exc_info"]["backtrace"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let anomaly = find(&lines, "Mathematical anomaly detected!");
    assert_eq!(anomaly["exc_info"]["type"], "panic");
    assert!(
        anomaly["exc_info"]["message"]
            .as_str()
            .unwrap()
            .contains("index out of bounds"),
        "{anomaly}"
    );
}

fn find(lines: &[String], message: &str) -> serde_json::Value {
    lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["message"] == message)
        .unwrap_or_else(|| panic!("no `{message}` line"))
}

#[test]
fn text_format_uses_the_template() {
    let lines = run(Some("text"));
    assert!(!lines.is_empty());
    let mut continuation = 0;
    for line in &lines {
        // A chain or backtrace continues the event above it, marked so it
        // cannot be taken for an event of its own.
        if line.starts_with("  | ") {
            continuation += 1;
            continue;
        }
        let parts: Vec<_> = line.splitn(4, " | ").collect();
        assert_eq!(parts.len(), 4, "{line}");
        assert_eq!(parts[0].len(), "2026-04-09 10:15:30".len(), "{line}");
        assert_eq!(parts[1].len(), 8, "{line}");
        assert!(
            parts[2].starts_with("[examples/examples/observability_matrix.rs:"),
            "{line}"
        );
    }
    assert!(
        continuation > 3,
        "the error chains are rendered below their events"
    );
}
