//! No panic escapes a log call and nothing deadlocks: each case runs in a
//! child process under a watchdog (`common::child::run` kills a child that
//! has not ended within its time and fails the test), which must end
//! normally, having written every line the case promises.
//!
//! The matrix, with the cases other files already run the same way:
//!
//! | case | test |
//! |---|---|
//! | `Display`/`Debug` that panics or returns `fmt::Error`, hook installed | `format_faults_leave_placeholders_and_no_report` |
//! | a `Display` that panics, no report on stderr | `tests/pipeline/tests/pipeline.rs` `a_caught_display_panic_prints_no_report` |
//! | an error whose `Display` panics or logs itself | `exc_panic.rs` `hostile_errors_with_the_hook_installed` |
//! | a field whose `Display` logs itself, without end | `a_field_that_logs_itself_is_cut_a_few_levels_down` |
//! | a `Display` that sleeps while others log and flush | `a_sleeping_display_holds_up_only_its_own_caller` |
//! | logging after shutdown (the guard dropped) | `process.rs` `events_after_the_guard_dropped_are_still_written` |
//! | logging from a thread-local destructor | `process.rs` `logging_from_a_thread_local_destructor_works` |
//! | logging from `Drop` during unwinding | `drop_during_unwinding_logs` |
//! | logging from a panic hook | `a_panic_hook_that_logs_and_flushes` |
//! | logging and flushing from a custom writer | `a_writer_that_logs_and_flushes_does_not_wait_for_itself` |
//! | a custom writer that panics | `tests/pipeline/tests/pipeline.rs` `a_panicking_writer_is_replaced_by_stderr` |
//! | `init`/`flush`/guard drop/`exit` from many threads at once | `init_flush_and_exit_from_many_threads_at_once` |
//! | racing `init`s, guard drop racing `exit`, two `exit`s, shutdown racing loggers | `tests/pipeline/tests/pipeline.rs` module `exits` |

mod common;

use common::child::{run, stdout_lines};
use common::object_members;
use serde_json::Value;
use std::process::Output;

/// Runs the role, checks that it ended normally and printed `done`, and
/// returns its lines parsed (each a JSON object without duplicate keys).
fn run_role(role: &str) -> (Vec<Value>, String) {
    let out: Output = run(&[role], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{role}: {out:?}");
    assert!(
        stderr.lines().any(|l| l == "done"),
        "{role} did not finish: {stderr}"
    );
    let lines = stdout_lines(&out)
        .iter()
        .map(|l| {
            object_members(l);
            common::child::json(l)
        })
        .collect();
    (lines, stderr)
}

fn messages(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .map(|l| l["message"].as_str().expect("a message"))
        .collect()
}

fn with_message<'a>(lines: &'a [Value], m: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["message"] == m).collect()
}

#[test]
fn format_faults_leave_placeholders_and_no_report() {
    let (lines, stderr) = run_role("format-faults");
    assert_eq!(
        messages(&lines),
        [
            "display panics <panicked while formatting>",
            "debug panics <panicked while formatting>",
            "display fails <error while formatting>",
            "debug fails <error while formatting>",
            "after",
        ]
    );
    assert_eq!(lines[1]["field"], "<panicked while formatting>");
    // A formatting error is labelled as one, not as a panic.
    assert_eq!(lines[3]["field"], "<error while formatting>");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_field_that_logs_itself_is_cut_a_few_levels_down() {
    let (lines, stderr) = run_role("recursive-field");
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert_eq!(lines[0]["inner"], "<recursion while formatting>");
    assert_eq!(with_message(&lines, "recursive")[0]["value"], "level 0");
    assert_eq!(lines[5]["message"], "after");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_sleeping_display_holds_up_only_its_own_caller() {
    let (lines, stderr) = run_role("sleepy-display");
    assert_eq!(with_message(&lines, "meanwhile").len(), 1000);
    assert_eq!(with_message(&lines, "slow value")[0]["value"], "slept");
    assert!(stderr.contains("flushed while the value slept"), "{stderr}");
}

#[test]
fn drop_during_unwinding_logs() {
    let (lines, _) = run_role("drop-while-unwinding");
    let dropped = with_message(&lines, "dropped");
    assert_eq!(dropped.len(), 2, "{lines:#?}");
    assert!(dropped.iter().all(|l| l["unwinding"] == true));
    let panics: Vec<_> = lines
        .iter()
        .filter(|l| l["levelname"] == "CRITICAL")
        .collect();
    assert_eq!(panics.len(), 2, "{lines:#?}");
    assert_eq!(lines.last().expect("a line")["message"], "after");
}

#[test]
fn a_panic_hook_that_logs_and_flushes() {
    let (lines, _) = run_role("logging-panic-hook");
    let from_hook = with_message(&lines, "from the program's hook");
    assert_eq!(from_hook.len(), 1, "{lines:#?}");
    assert_eq!(from_hook[0]["panicking"], true);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["levelname"] == "CRITICAL")
            .count(),
        1
    );
    assert_eq!(lines.last().expect("a line")["message"], "after");
}

#[test]
fn a_writer_that_logs_and_flushes_does_not_wait_for_itself() {
    let (lines, _) = run_role("logging-writer");
    let seqs: Vec<u64> = with_message(&lines, "event")
        .iter()
        .map(|l| l["i"].as_u64().expect("i"))
        .collect();
    assert_eq!(seqs, (0..100).collect::<Vec<_>>());
    assert_eq!(with_message(&lines, "after the guard").len(), 1);
    assert!(with_message(&lines, "from the writer").len() >= 10);
}

#[test]
fn init_flush_and_exit_from_many_threads_at_once() {
    let (lines, stderr) = run_role("everything-at-once");
    for producer in 0..8u64 {
        let seqs: Vec<u64> = lines
            .iter()
            .filter(|l| l["producer"] == producer)
            .map(|l| l["seq"].as_u64().expect("seq"))
            .collect();
        assert_eq!(seqs, (0..200).collect::<Vec<_>>(), "producer {producer}");
    }
    assert_eq!(lines.len(), 1600);
    assert_eq!(
        stderr.matches("already installed").count(),
        1,
        "said once: {stderr}"
    );
}
