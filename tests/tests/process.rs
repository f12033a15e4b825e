//! What only a whole process shows: lines flushed at exit, a closed stdout,
//! configuration from the environment. Each test runs the `pulselog-child`
//! program and reads its output. A stuck or slow output is `overflow.rs`'s.

mod common;

use common::child::{CHILD, json, run, run_ok, stdout_lines};
use std::process::Command;

#[test]
fn dropping_the_guard_flushes_every_line_in_order() {
    let n = 100_000;
    let lines = run_ok(&["lines", &n.to_string()]);
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
        first[2].starts_with("[tests/src/bin/pulselog-child/main.rs:"),
        "{}",
        first[2]
    );
    assert_eq!(first[3], "root info");
    let out = run(&["levels"], &[]);
    json(&stdout_lines(&out)[0]);
}

#[test]
fn logging_from_a_thread_local_destructor_works() {
    let msgs: Vec<_> = run_ok(&["tls-destructor"])
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
