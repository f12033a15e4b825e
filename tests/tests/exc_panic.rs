//! The panic hook, seen from outside: each test re-runs this binary as a
//! child that installs a logger, panics inside a request, and dies; the
//! parent reads the child's stdout. The hook does not wait for its line:
//! the children end in each way a panic's line must survive (`exit` after
//! a thread's panic, a panic out of `main` with and without a guard).

mod common;

use pulselog::context::Context;
use pulselog::prelude::*;
use serde_json::Value as Json;
use std::process::Command;

/// Selects the child's role.
const ROLE: &str = "PULSELOG_TEST_PANIC_ROLE";

/// Indexes `v` at `i`; also returns the line of the indexing, so that the
/// parent knows where the child's panic happens.
#[inline(never)]
fn element(v: &[u32], i: usize) -> (u32, u32) {
    (v[i], line!())
}

/// Runs `test` in a child process with `role`; returns its stdout and
/// whether it exited successfully.
fn run_child(test: &str, role: &str, format: &str) -> (String, bool) {
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env("PULSELOG_FORMAT", format)
        .env_remove("PULSELOG_LEVEL")
        .env_remove("RUST_LOG")
        .output()
        .expect("child runs");
    (
        String::from_utf8(out.stdout).expect("UTF-8 output"),
        out.status.success(),
    )
}

/// The child's JSON lines. The test harness writes to stdout too, and its
/// `test name ... ` may precede a line of ours.
fn json_lines(stdout: &str) -> Vec<Json> {
    stdout
        .lines()
        .filter_map(|l| l.find("{\"asctime\"").map(|at| &l[at..]))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn critical(stdout: &str) -> Json {
    let lines = json_lines(stdout);
    let mut critical = lines.iter().filter(|l| l["levelname"] == "CRITICAL");
    let line = critical
        .next()
        .unwrap_or_else(|| panic!("no CRITICAL line in:\n{stdout}"))
        .clone();
    assert!(critical.next().is_none(), "one panic, one line:\n{stdout}");
    line
}

/// A request that indexes out of bounds on a worker thread; the process then
/// exits at once through `std::process::exit`, while the writer may still
/// be symbolizing the backtrace.
fn thread_child() {
    let _guard = pulselog::init();
    let ctx = Context::current()
        .with_request_id("req-thread-7")
        .with_field("user_id", 42);
    let worker = std::thread::Builder::new()
        .name("worker".into())
        .spawn(move || {
            ctx.scope(|| {
                info!("handling");
                let v = vec![1, 2, 3];
                element(&v, v.len() + 4)
            })
        })
        .expect("thread starts");
    assert!(worker.join().is_err());
    std::process::exit(70);
}

#[test]
fn panic_in_a_worker_thread_is_logged_with_its_request_id() {
    if std::env::var(ROLE).as_deref() == Ok("thread") {
        thread_child();
    }
    let (stdout, ok) = run_child(
        "panic_in_a_worker_thread_is_logged_with_its_request_id",
        "thread",
        "json",
    );
    assert!(!ok, "the child exits with 70");
    let handling = json_lines(&stdout)
        .into_iter()
        .find(|l| l["message"] == "handling")
        .expect("the request's own line");
    assert_eq!(handling["request_id"], "req-thread-7");

    let line = critical(&stdout);
    let (_, panic_line) = element(&[0], 0);
    assert_eq!(line["request_id"], "req-thread-7", "{line}");
    assert_eq!(line["user_id"], 42);
    assert_eq!(line["name"], "panic");
    assert_eq!(line["filename"], file!());
    assert_eq!(line["lineno"], panic_line);
    assert_eq!(line["funcName"], "element");
    let message = line["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "thread 'worker' panicked at {}:{panic_line}:",
            file!()
        )),
        "{message}"
    );
    assert!(
        message.ends_with("index out of bounds: the len is 3 but the index is 7"),
        "{message}"
    );
    let exc = &line["exc_info"];
    assert_eq!(exc["type"], "panic");
    assert_eq!(
        exc["message"],
        "index out of bounds: the len is 3 but the index is 7"
    );
    assert_eq!(exc["chain"].as_array().unwrap().len(), 1);
    let bt = exc["backtrace"].as_array().expect("a backtrace");
    let top = bt[0].as_str().unwrap();
    assert!(top.starts_with("exc_panic::element at "), "{bt:#?}");
    assert!(top.contains(&format!("{}:{panic_line}:", file!())), "{top}");
    assert!(
        bt.iter()
            .any(|f| f.as_str().unwrap().starts_with("exc_panic::thread_child")),
        "{bt:#?}"
    );
}

/// Two panics at two places, each on its own thread; then a clean exit.
fn two_panics_child() {
    let guard = pulselog::init();
    let first = std::thread::spawn(|| element(&[], 1));
    assert!(first.join().is_err());
    let second = std::thread::spawn(|| -> u32 { panic!("second at {}", line!()) });
    assert!(second.join().is_err());
    drop(guard);
    std::process::exit(0);
}

#[test]
fn each_panic_has_its_own_location() {
    if std::env::var(ROLE).as_deref() == Ok("two") {
        two_panics_child();
    }
    let (stdout, ok) = run_child("each_panic_has_its_own_location", "two", "json");
    assert!(ok, "the child exits cleanly:\n{stdout}");
    let lines: Vec<Json> = json_lines(&stdout)
        .into_iter()
        .filter(|l| l["levelname"] == "CRITICAL")
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let (_, element_line) = element(&[0], 0);
    assert_eq!(lines[0]["lineno"], element_line, "{}", lines[0]);
    assert_eq!(lines[0]["funcName"], "element");
    let message = lines[1]["exc_info"]["message"].as_str().unwrap();
    let second_line: u32 = message["second at ".len()..].parse().unwrap();
    assert_eq!(lines[1]["lineno"], second_line, "{}", lines[1]);
    assert_eq!(lines[1]["funcName"], "two_panics_child");
    assert_eq!(lines[1]["filename"], file!());
}

/// A tokio task that panics inside a request; the process then exits.
fn tokio_child() {
    let _guard = pulselog::init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ctx = Context::current().with_request_id("req-task-9");
        let task = ctx.wrap(async {
            info!("task started");
            tokio::task::yield_now().await;
            panic!("task failed after {} retries", 3);
        });
        let joined = tokio::spawn(task).await;
        assert!(joined.is_err_and(|e| e.is_panic()));
    });
    std::process::exit(70);
}

#[test]
fn panic_in_a_tokio_task_is_logged_with_its_request_id() {
    if std::env::var(ROLE).as_deref() == Ok("tokio") {
        tokio_child();
    }
    let (stdout, ok) = run_child(
        "panic_in_a_tokio_task_is_logged_with_its_request_id",
        "tokio",
        "json",
    );
    assert!(!ok, "the child exits with 70");
    let line = critical(&stdout);
    assert_eq!(line["request_id"], "req-task-9", "{line}");
    assert_eq!(line["exc_info"]["message"], "task failed after 3 retries");
    assert_eq!(line["filename"], file!());
    assert_eq!(line["funcName"], "tokio_child");
    let top = line["exc_info"]["backtrace"][0].as_str().unwrap();
    assert!(
        top.starts_with("exc_panic::tokio_child::{{closure}}"),
        "{top}"
    );
}

/// A panic on the main thread, text output: the event line, then the
/// continuation lines; the process dies of the panic.
fn text_child() {
    let _guard = pulselog::init();
    Context::current().with_request_id("req-text").scope(|| {
        let v: Vec<u32> = Vec::new();
        element(&v, 1);
    });
}

#[test]
fn a_panic_in_text_output_is_one_event_with_continuation_lines() {
    if std::env::var(ROLE).as_deref() == Ok("text") {
        text_child();
    }
    let (stdout, ok) = run_child(
        "a_panic_in_text_output_is_one_event_with_continuation_lines",
        "text",
        "text",
    );
    assert!(!ok, "the child dies of its panic");
    let (_, panic_line) = element(&[0], 0);
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("| CRITICAL |"))
        .unwrap_or_else(|| panic!("no CRITICAL line in:\n{stdout}"));
    let event = lines[at];
    assert!(
        event.contains(&format!("| [{}:{panic_line}] | thread '", file!())),
        "{event}"
    );
    assert!(event.ends_with(" request_id=req-text"), "{event}");
    let cont = pulselog::CONTINUATION;
    assert_eq!(
        lines[at + 1],
        format!("{cont}panic: index out of bounds: the len is 0 but the index is 1")
    );
    assert_eq!(lines[at + 2], format!("{cont}Backtrace:"));
    assert!(
        lines[at + 3].starts_with(&format!("{cont}    exc_panic::element at {}:", file!())),
        "{stdout}"
    );
}

/// A panic out of `main` with no guard to drop on the way (it was
/// forgotten): the process ends through `exit`, whose handler writes the
/// line.
fn main_unguarded_child() {
    std::mem::forget(pulselog::init());
    info!("before the panic");
    let v: Vec<u32> = Vec::new();
    element(&v, 2);
}

#[test]
fn a_panic_that_ends_the_process_still_has_its_line() {
    if std::env::var(ROLE).as_deref() == Ok("main-unguarded") {
        main_unguarded_child();
    }
    let (stdout, ok) = run_child(
        "a_panic_that_ends_the_process_still_has_its_line",
        "main-unguarded",
        "json",
    );
    assert!(!ok, "the child dies of its panic");
    let line = critical(&stdout);
    let (_, panic_line) = element(&[0], 0);
    assert_eq!(line["lineno"], panic_line, "{line}");
    assert_eq!(
        line["exc_info"]["message"],
        "index out of bounds: the len is 0 but the index is 2"
    );
    assert!(
        line["exc_info"]["backtrace"]
            .as_array()
            .is_some_and(|b| !b.is_empty())
    );
}

/// The hook's cost on the panicking thread, measured by the child program
/// (`panic-cost`): figures for the record, every panic's line written. Run
/// it in a release build for the figures that matter
/// (`target/release/pulselog-child panic-cost 20 >/dev/null`).
#[test]
fn many_caught_panics_each_get_their_line_and_the_cost_is_measured() {
    let out = common::child::run(&["panic-cost", "12"], &[("PULSELOG_FORMAT", "json")]);
    assert!(out.status.success(), "{out:?}");
    let lines = common::child::stdout_lines(&out);
    let critical = lines
        .iter()
        .filter(|l| common::child::json(l)["levelname"] == "CRITICAL")
        .count();
    assert_eq!(critical, 12, "{lines:#?}");
    for key in ["bare_first_us", "hook_first_us", "hook_median_us"] {
        eprintln!("{key}={}", common::child::figure(&out.stderr, key));
    }
}

/// `Config::panic_hook(false)`: the panic is not logged.
fn hook_off_child() {
    let _guard = pulselog::Config::new()
        .format(pulselog::Format::Json)
        .panic_hook(false)
        .install()
        .expect("installed");
    info!("before the panic");
    let v: Vec<u32> = Vec::new();
    element(&v, 1);
}

#[test]
fn the_panic_hook_can_be_turned_off() {
    if std::env::var(ROLE).as_deref() == Ok("off") {
        hook_off_child();
    }
    let (stdout, ok) = run_child("the_panic_hook_can_be_turned_off", "off", "json");
    assert!(!ok);
    let lines = json_lines(&stdout);
    assert!(
        lines.iter().any(|l| l["message"] == "before the panic"),
        "{stdout}"
    );
    assert!(
        lines.iter().all(|l| l["levelname"] != "CRITICAL"),
        "{stdout}"
    );
}

/// Errors whose `Display` panics or logs itself, with the hook installed: a
/// panic that pulselog catches while formatting is not reported as a crash,
/// and the logger keeps working.
#[derive(Debug)]
struct Hostile {
    logs: bool,
}

impl std::fmt::Display for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.logs {
            log_error!(Hostile { logs: true }, "while formatting");
            f.write_str("hostile")
        } else {
            panic!("Display exploded")
        }
    }
}

impl std::error::Error for Hostile {}

fn hostile_child() {
    let guard = pulselog::init();
    log_error!(Hostile { logs: false }, "panicking display", exc_info);
    log_error!(Hostile { logs: true }, "recursive display");
    info!("still working");
    drop(guard);
}

#[test]
fn hostile_errors_with_the_hook_installed() {
    if std::env::var(ROLE).as_deref() == Ok("hostile") {
        hostile_child();
        return;
    }
    let (stdout, ok) = run_child("hostile_errors_with_the_hook_installed", "hostile", "json");
    assert!(ok, "{stdout}");
    let lines = json_lines(&stdout);
    assert!(
        lines.iter().all(|l| l["levelname"] != "CRITICAL"),
        "{stdout}"
    );
    let find = |m: &str| {
        lines
            .iter()
            .find(|l| l["message"] == m)
            .unwrap_or_else(|| panic!("no `{m}` in:\n{stdout}"))
    };
    assert_eq!(
        find("panicking display")["exc_info"]["chain"][0],
        "<panicked while formatting>"
    );
    assert_eq!(find("recursive display")["exc_info"]["chain"][0], "hostile");
    assert!(
        lines.iter().any(|l| l["message"] == "while formatting"
            && l["exc_info"]["chain"][0] == "<recursion while formatting>"),
        "{stdout}"
    );
    assert_eq!(find("still working")["levelname"], "INFO");
}
