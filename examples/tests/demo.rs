//! The main demo, run as a user runs it: on a terminal (a pseudo-terminal
//! that `script` provides) it fits a screen, coloured, backtraces short;
//! piped into a file it writes only valid JSON lines; `--full` logs every
//! step; with `PULSELOG_FORMAT=text`, the text template.

mod common;

use common::example;
use std::process::{Command, Stdio};

/// Variables of the caller's environment that would change the demo.
const UNSET: &[&str] = &[
    "PULSELOG_LEVEL",
    "RUST_LOG",
    "PULSELOG_FORMAT",
    "RUST_BACKTRACE",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    // A CI service's `CI` counts as a terminal that shows colour.
    "CI",
];

fn demo() -> Command {
    let mut cmd = Command::new(example("observability_matrix"));
    for var in UNSET {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn run(format: Option<&str>, args: &[&str]) -> Vec<String> {
    let mut cmd = demo();
    cmd.args(args);
    if let Some(f) = format {
        cmd.env("PULSELOG_FORMAT", f);
    }
    let out = cmd.output().expect("run the demo");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn parse(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("invalid JSON ({e}): {l}")))
        .collect()
}

fn find<'a>(lines: &'a [serde_json::Value], message: &str) -> &'a serde_json::Value {
    lines
        .iter()
        .find(|v| v["message"] == message)
        .unwrap_or_else(|| panic!("no `{message}` line"))
}

/// A backtrace line: the demo's own frame, or a counted run of plumbing.
fn assert_short_frame(frame: &str) {
    assert!(
        frame.starts_with("observability_matrix::")
            || (frame.starts_with("… ") && frame.contains(" in ") && frame.ends_with(" …")),
        "{frame}"
    );
    assert!(
        !frame.contains("/rustc/") && !frame.contains("/.cargo/"),
        "{frame}"
    );
}

#[test]
fn piped_output_is_only_json_lines_with_the_standard_keys() {
    let lines = parse(&run(None, &[]));
    let mut ids = std::collections::BTreeMap::<String, std::collections::BTreeSet<u64>>::new();
    for v in &lines {
        for key in [
            "asctime",
            "levelname",
            "name",
            "message",
            "filename",
            "lineno",
            "funcName",
        ] {
            assert!(v.get(key).is_some(), "`{key}` missing: {v}");
        }
        if let Some(t) = v.get("task") {
            // Every line of a request carries that request's id, nested
            // calls included, though no function passes it on.
            let id = v["request_id"].as_str().expect("request lines carry an id");
            ids.entry(id.to_owned())
                .or_default()
                .insert(t.as_u64().unwrap());
        }
    }
    assert_eq!(ids.len(), 10, "one request id per request: {ids:?}");
    assert!(ids.values().all(|t| t.len() == 1), "{ids:?}");
    let nested: Vec<_> = lines
        .iter()
        .filter(|v| v["funcName"] == "process_data" && v["levelname"] == "INFO")
        .collect();
    assert_eq!(nested.len(), 10, "a nested call logs inside each request");
    assert!(nested.iter().all(|v| v["request_id"].is_string()));

    let v = find(&lines, "Payment failed");
    assert_eq!(v["levelname"], "ERROR");
    assert_eq!(v["user_id"], 100);
    assert_eq!(v["gateway"], "stripe");
    assert_eq!(v["name"], "observability_matrix::payments");
    assert_eq!(v["funcName"], "charge");
    let returned = find(&lines, "charge failed");
    assert_eq!(returned["funcName"], "charge");
    assert_eq!(returned["request_id"], v["request_id"]);
    assert_eq!(returned["exc_info"]["message"], "card declined by stripe");

    let config = find(&lines, "config load failed");
    assert_eq!(config["exc_info"]["chain"].as_array().unwrap().len(), 3);
    let frames = config["exc_info"]["backtrace"].as_array().unwrap();
    assert!(
        frames[0]
            .as_str()
            .unwrap()
            .starts_with("observability_matrix::config::load at ")
    );
    frames
        .iter()
        .for_each(|f| assert_short_frame(f.as_str().unwrap()));

    // The panic: one CRITICAL line, in the request that panicked.
    let panics: Vec<_> = lines
        .iter()
        .filter(|v| v["levelname"] == "CRITICAL")
        .collect();
    assert_eq!(panics.len(), 1, "{panics:?}");
    let panic = panics[0];
    assert_eq!(panic["name"], "panic");
    assert_eq!(panic["exc_info"]["type"], "panic");
    assert_eq!(panic["funcName"], "lookup");
    assert_eq!(panic["task"], 7);
    let msg = panic["exc_info"]["message"].as_str().unwrap();
    assert!(msg.contains("index out of bounds"), "{msg}");
    let frames = panic["exc_info"]["backtrace"].as_array().unwrap();
    frames
        .iter()
        .for_each(|f| assert_short_frame(f.as_str().unwrap()));
    let after = find(&lines, "lookup failed, answering None");
    assert_eq!(after["request_id"], panic["request_id"]);

    // `#[logged]` exits: durations to the microsecond.
    for exit in lines.iter().filter(|v| v["message"] == "exit") {
        let ms = exit["elapsed_ms"].to_string();
        assert!(ms.split_once('.').is_none_or(|(_, d)| d.len() <= 3), "{ms}");
    }

    // The summary: the last line, with the counts it states.
    let summary = lines.last().unwrap();
    assert!(
        summary["message"]
            .as_str()
            .unwrap()
            .starts_with("10 concurrent requests: "),
        "{summary}"
    );
    // Two calls per step of 200 steps, one summary per worker, one warning.
    assert_eq!(summary["log_calls"], 10 * (200 * 2 + 1) + 1);
    assert_eq!(summary["lines"], 11, "the workers' INFO and WARNING lines");
    assert!(summary["mean_ns_per_call"].as_f64().unwrap() > 0.0);
}

#[test]
fn full_volume_logs_every_step() {
    let lines = parse(&run(None, &["--full"]));
    let steps = lines
        .iter()
        .filter(|v| {
            v["funcName"] == "process_data"
                && v["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("processed batch ")
        })
        .count();
    assert_eq!(steps, 10 * 200);
    assert_eq!(lines.last().unwrap()["lines"], 10 * 201 + 1);
}

#[test]
fn text_format_uses_the_template() {
    let lines = run(Some("text"), &[]);
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
    assert!(
        !lines.iter().any(|l| l.contains('\u{1b}')),
        "a pipe gets no colour"
    );
}

#[test]
fn on_a_terminal_it_fits_a_screen_in_colour_with_short_backtraces() {
    // `script` gives the demo a pseudo-terminal for stdin, stdout and
    // stderr, and copies what the terminal shows to its own stdout.
    let exe = example("observability_matrix");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &format!("exec '{}'", exe.display()), "/dev/null"]);
    for var in UNSET {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) runs");
    assert!(out.status.success(), "{out:?}");
    // What the terminal showed: stdout and stderr, as a person sees them.
    let screen = String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines.len() < 80, "{} lines:\n{screen}", lines.len());
    assert!(
        screen.contains("\u{1b}[32mINFO\u{1b}[0m"),
        "coloured:\n{screen}"
    );
    assert!(screen.contains("\u{1b}[1m\u{1b}[31mERROR\u{1b}[0m"));
    // One report of the panic: no second one from the standard hook.
    assert_eq!(screen.matches("panicked at").count(), 1, "{screen}");
    let plain = anstream::adapter::strip_str(&screen).to_string();
    let mut in_backtrace = false;
    let mut frames = 0;
    for line in plain.lines() {
        let Some(rest) = line.strip_prefix("  | ") else {
            in_backtrace = false;
            // Every other line is an event of the template.
            assert_eq!(line.splitn(4, " | ").count(), 4, "{line}");
            continue;
        };
        if rest == "Backtrace:" {
            in_backtrace = true;
        } else if in_backtrace {
            frames += 1;
            assert_short_frame(rest.trim_start());
        }
    }
    assert!(frames >= 5, "{plain}");
    let last = plain.lines().last().unwrap();
    assert!(last.contains("| 10 concurrent requests: "), "{last}");
}
