//! What only a whole process shows: lines flushed at exit, a closed stdout,
//! configuration from the environment, overflow. Each test runs the
//! `pulselog-child` program and reads its output.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

const CHILD: &str = env!("CARGO_BIN_EXE_pulselog-child");

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(CHILD);
    cmd.args(args)
        .env_remove("PULSELOG_LEVEL")
        .env_remove("PULSELOG_FORMAT")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn child");
    let pid = child.id();
    // Read the pipes while the child runs (a full pipe would stall it), and
    // treat a hang as a failure rather than a stuck test run.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => out.expect("child output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("child {args:?} hung");
        }
    }
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("invalid JSON ({e}): {line}"))
}

#[test]
fn dropping_the_guard_flushes_every_line_in_order() {
    let n = 100_000;
    let out = run(&["lines", &n.to_string()], &[]);
    assert!(out.status.success(), "{out:?}");
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), n, "lossless");
    for (i, line) in lines.iter().enumerate() {
        let v = json(line);
        assert_eq!(v["i"], i, "order and content");
        assert_eq!(v["message"], format!("line {i}"));
    }
}

#[test]
fn exit_flushes_then_exits_with_the_code() {
    let out = run(&["exit", "20000"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stdout_lines(&out).len(), 20_000);
}

#[test]
fn events_after_the_guard_dropped_are_still_written() {
    let out = run(&["after-guard"], &[("PULSELOG_FORMAT", "json")]);
    let msgs: Vec<_> = stdout_lines(&out)
        .iter()
        .map(|l| json(l)["message"].clone())
        .collect();
    assert_eq!(msgs, ["before drop", "after drop"]);
}

#[test]
fn closed_stdout_ends_output_quietly() {
    let script = format!("set -o pipefail; '{CHILD}' epipe 300000 | head -n 1");
    let out = Command::new("bash")
        .args(["-c", &script])
        .env_remove("PULSELOG_FORMAT")
        .output()
        .expect("bash");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed after EPIPE: {out:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("child finished logging"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    json(String::from_utf8_lossy(&out.stdout).lines().next().unwrap());
}

fn messages_for(env: &[(&str, &str)]) -> (Vec<String>, String) {
    let out = run(&["levels"], env);
    assert!(out.status.success(), "{out:?}");
    let msgs = stdout_lines(&out)
        .iter()
        .map(|l| json(l)["message"].as_str().unwrap().to_owned())
        .collect();
    (msgs, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn default_level_is_info_and_disabled_calls_evaluate_nothing() {
    let (msgs, stderr) = messages_for(&[]);
    assert_eq!(
        msgs,
        [
            "root info",
            "root warning",
            "root error",
            "root critical",
            "db info",
            "db warning",
            "db error",
            "db critical",
            "enabled info-arg"
        ]
    );
    assert!(
        !stderr.contains("debug-arg") && !stderr.contains("debug-field"),
        "{stderr}"
    );
    assert!(stderr.contains("EVALUATED info-arg"), "{stderr}");
}

#[test]
fn pulselog_level_directives_apply_per_module() {
    let (msgs, _) = messages_for(&[("PULSELOG_LEVEL", "error,pulselog_child::db=debug")]);
    assert_eq!(
        msgs,
        [
            "root error",
            "root critical",
            "db debug",
            "db info",
            "db warning",
            "db error",
            "db critical"
        ]
    );
    let (msgs, _) = messages_for(&[("PULSELOG_LEVEL", "CRITICAL")]);
    assert_eq!(msgs, ["root critical", "db critical"]);
    let (msgs, _) = messages_for(&[("PULSELOG_LEVEL", "trace,pulselog_child::db=off")]);
    assert_eq!(msgs.len(), 6 + 2, "{msgs:?}");
    assert!(msgs.iter().all(|m| !m.starts_with("db ")), "{msgs:?}");
}

#[test]
fn config_filter_and_level_work_like_the_environment() {
    let messages = |args: &[&str]| -> Vec<String> {
        let out = run(args, &[("PULSELOG_LEVEL", "trace")]);
        assert!(out.status.success(), "{out:?}");
        stdout_lines(&out)
            .iter()
            .map(|l| json(l)["message"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        messages(&["config-filter", "warning,pulselog_child::db=error"]),
        [
            "root warning",
            "root error",
            "root critical",
            "db error",
            "db critical"
        ]
    );
    assert_eq!(
        messages(&["config-level"]),
        ["root warning", "root error", "root critical"]
    );
}

#[test]
fn rust_log_is_read_when_pulselog_level_is_unset() {
    let (msgs, _) = messages_for(&[("RUST_LOG", "warn")]);
    assert_eq!(msgs[0], "root warning");
    let (msgs, _) = messages_for(&[("RUST_LOG", "warn"), ("PULSELOG_LEVEL", "error")]);
    assert_eq!(msgs[0], "root error");
}

#[test]
fn invalid_environment_is_reported_and_defaults_apply() {
    let (msgs, stderr) = messages_for(&[("PULSELOG_LEVEL", "info,db=loud")]);
    assert!(
        stderr.contains("PULSELOG_LEVEL") && stderr.contains("loud"),
        "{stderr}"
    );
    assert_eq!(msgs[0], "root info");
    let out = run(&["levels"], &[("PULSELOG_FORMAT", "xml")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format `xml`"));
    json(&stdout_lines(&out)[0]);
}

#[test]
fn format_env_selects_text_and_json_is_the_default_off_a_terminal() {
    let out = run(&["levels"], &[("PULSELOG_FORMAT", "text")]);
    let lines = stdout_lines(&out);
    let first: Vec<_> = lines[0].split(" | ").collect();
    assert_eq!(first.len(), 4, "{}", lines[0]);
    assert_eq!(first[1], "INFO    ");
    assert!(
        first[2].starts_with("[tests/src/bin/pulselog-child.rs:"),
        "{}",
        first[2]
    );
    assert_eq!(first[3], "root info");
    let out = run(&["levels"], &[]);
    json(&stdout_lines(&out)[0]);
}

#[test]
fn logging_from_a_thread_local_destructor_works() {
    let out = run(&["tls-destructor"], &[]);
    assert!(out.status.success(), "{out:?}");
    let msgs: Vec<_> = stdout_lines(&out)
        .iter()
        .map(|l| json(l)["message"].clone())
        .collect();
    assert_eq!(msgs, ["from a thread-local destructor", "joined"]);
}

#[test]
fn a_second_init_is_inert_and_never_panics() {
    let out = run(&["double-init"], &[]);
    assert!(out.status.success(), "{out:?}");
    let v = json(&stdout_lines(&out)[0]);
    assert_eq!(v["first"], true);
    assert_eq!(v["second"], false);
    assert_eq!(v["third"], false);
    assert!(v["err"].as_str().unwrap().contains("already installed"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("already installed").count(),
        1,
        "said once: {stderr}"
    );
}

#[test]
fn overflow_drop_counts_and_reports_what_it_dropped() {
    let n = 3000;
    let out = run(&["overflow-drop", &n.to_string()], &[]);
    assert!(out.status.success(), "{out:?}");
    let lines = stdout_lines(&out);
    let mut written = 0;
    let mut dropped = 0;
    for line in &lines {
        let v = json(line);
        if v["name"] == "pulselog" {
            assert_eq!(v["levelname"], "WARNING");
            dropped += v["dropped"].as_u64().unwrap();
        } else {
            written += 1;
        }
    }
    assert!(dropped > 0, "a slow output with 8 slots must drop");
    assert_eq!(
        written + dropped,
        n,
        "every event is either written or counted"
    );
}

#[test]
fn a_slow_output_is_waited_for_at_exit_however_long_the_backlog() {
    // Each write takes 40 ms and the timeout is 300 ms: the backlog (about
    // 20 writes) takes far longer than one timeout to drain, but it keeps
    // draining.
    let n = 8000;
    let out = run(&["slow-drain", &n.to_string()], &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout_lines(&out).len(), n);
}

#[test]
fn a_stuck_output_does_not_hang_the_program() {
    let out = run(&["stalled", "50"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for step in ["logging returned", "flush returned", "guard dropped"] {
        assert!(stderr.contains(step), "{step}: {stderr}");
    }
}
