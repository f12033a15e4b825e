//! A child after `fork()` gets a writer of its own and never hangs. Each
//! test runs this binary again in a role (`fork_role`): it installs
//! pulselog on stdout, starts a thread that logs without pause, and forks
//! while that thread logs; the child logs its own lines and ends in one of
//! the ways a program ends, while the parent logs its own and waits for the
//! child under a watchdog (a child that hangs is killed and fails the test).
//! Every line of the three (or four) writers, on the one pipe, must be
//! valid JSON and written exactly once; a child of a parent that writes
//! through a custom writer writes its lines to stderr instead.
//!
//! A child also makes request and span ids of its own: none repeats one
//! its parent makes after the fork (`ids_role`).

mod common;

use common::child::within_time;
use pulselog::context::RequestId;
use pulselog::{Config, Format, info};
use serde_json::Value;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Selects the role.
const ROLE: &str = "PULSELOG_TEST_FORK_ROLE";

/// Lines the child (and the grandchild) log.
const CHILD_LINES: u64 = 1_000;
/// Lines the parent logs after the fork.
const PARENT_LINES: u64 = 1_000;
/// The most lines the background thread logs (it stops earlier when the
/// parent is done). It logs without pause, so that a fork often finds it
/// in the middle of a write (holding stdout's lock, in the parent that
/// dropped its guard).
const BACKGROUND_CAP: u64 = 100_000;
/// How long a child may take before it counts as hung.
const WATCHDOG: Duration = Duration::from_secs(20);

/// `fork()`, or a panic if it fails.
fn fork() -> libc::pid_t {
    // SAFETY: the child runs only this test's code (logging, pulselog's
    // own calls, `fork`, `waitpid`, `_exit`), and pulselog's fork handlers
    // make its state usable there.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    pid
}

/// Ends the process at once: no `atexit` handler, no destructor.
fn quick_exit(code: i32) -> ! {
    // SAFETY: `_exit` has no preconditions.
    unsafe { libc::_exit(code) }
}

/// Waits for `pid` for up to the watchdog's time; kills it if it has not
/// ended by then. Its exit code, or `None` if it hung or did not exit.
fn reap(pid: libc::pid_t, who: &str) -> Option<i32> {
    let start = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid place for the status; `pid` is a
        // child of this process.
        let done = unsafe { libc::waitpid(pid, &raw mut status, libc::WNOHANG) };
        if done == pid {
            eprintln!("{who}-took-ms={}", start.elapsed().as_millis());
            return libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
        }
        if start.elapsed() > WATCHDOG {
            eprintln!("{who} hung: killed after {WATCHDOG:?}");
            // SAFETY: signalling and reaping a child of this process.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &raw mut status, 0);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How a forked child ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Drops its guard, then `_exit`s (no `atexit` handler runs).
    GuardDrop,
    /// `pulselog::exit`.
    Exit,
    /// `pulselog::flush`, then `_exit`.
    Flush,
    /// `std::process::exit` with the guard never dropped (the `atexit`
    /// handler writes).
    ProcessExit,
    /// Forks a grandchild (before or after logging its own lines), which
    /// logs and drops its guard; then waits for it and drops its own.
    Grandchild { before_logging: bool },
    /// The parent dropped its guard before the fork (its events, the
    /// background thread's among them, are written on the threads that
    /// log them); the child logs and calls `pulselog::exit`.
    AfterShutdown,
    /// The parent's lines are written by the threads that log them from
    /// the start (`Config::synchronous`); the child logs and calls
    /// `pulselog::exit`.
    Synchronous,
    /// The parent writes through a custom writer (to stdout), which the
    /// child does not have: the child's lines go to stderr.
    CustomWriter,
}

impl End {
    fn parse(role: &str) -> End {
        match role {
            "guard-drop" => End::GuardDrop,
            "exit" => End::Exit,
            "flush" => End::Flush,
            "process-exit" => End::ProcessExit,
            "grandchild-first" => End::Grandchild {
                before_logging: true,
            },
            "grandchild-after" => End::Grandchild {
                before_logging: false,
            },
            "after-shutdown" => End::AfterShutdown,
            "synchronous" => End::Synchronous,
            "custom-writer" => End::CustomWriter,
            other => panic!("no role {other}"),
        }
    }
}

fn log_lines(who: &str, n: u64) {
    for i in 0..n {
        info!("{who} {i}", who = who, i = i);
    }
}

/// The forked child's part.
fn child(end: End, guard: Option<pulselog::Guard>) -> ! {
    match end {
        End::GuardDrop => {
            log_lines("child", CHILD_LINES);
            drop(guard);
            quick_exit(0);
        }
        End::Exit | End::AfterShutdown | End::Synchronous | End::CustomWriter => {
            log_lines("child", CHILD_LINES);
            pulselog::exit(0);
        }
        End::Flush => {
            log_lines("child", CHILD_LINES);
            pulselog::flush();
            quick_exit(0);
        }
        End::ProcessExit => {
            log_lines("child", CHILD_LINES);
            std::mem::forget(guard);
            std::process::exit(0);
        }
        End::Grandchild { before_logging } => {
            if !before_logging {
                log_lines("child", CHILD_LINES);
            }
            let pid = fork();
            if pid == 0 {
                log_lines("grandchild", CHILD_LINES);
                drop(guard);
                quick_exit(0);
            }
            if before_logging {
                log_lines("child", CHILD_LINES);
            }
            let code = reap(pid, "grandchild");
            drop(guard);
            quick_exit(if code == Some(0) { 0 } else { 1 });
        }
    }
}

/// The role: the parent's part, around the fork.
fn role(end: End) -> ! {
    let config = Config::new()
        .format(Format::Json)
        .synchronous(end == End::Synchronous);
    let config = if end == End::CustomWriter {
        config.writer(std::io::stdout())
    } else {
        config
    };
    let mut guard = Some(config.install().expect("a logger installed"));
    let stop = Arc::new(AtomicBool::new(false));
    let logged = Arc::new(AtomicU64::new(0));
    let background = {
        let (stop, logged) = (Arc::clone(&stop), Arc::clone(&logged));
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < BACKGROUND_CAP {
                info!("background {i}", i = i);
                i += 1;
                logged.store(i, Ordering::Relaxed);
            }
            i
        })
    };
    // Fork while the background thread logs.
    while logged.load(Ordering::Relaxed) < 1_000 {
        std::thread::yield_now();
    }
    if end == End::AfterShutdown {
        drop(guard.take());
    }
    let pid = fork();
    if pid == 0 {
        child(end, guard);
    }
    log_lines("parent", PARENT_LINES);
    let code = reap(pid, "child");
    stop.store(true, Ordering::Relaxed);
    let background = background.join().expect("the background thread");
    eprintln!("background={background}");
    drop(guard);
    quick_exit(if code == Some(0) { 0 } else { 1 });
}

#[test]
fn fork_role() {
    if let Ok(role_name) = std::env::var(ROLE) {
        role(End::parse(&role_name));
    }
}

/// Runs the role; checks that every process ended well and wrote each of
/// its lines once, and nothing else.
fn run(role_name: &str) {
    let end = End::parse(role_name);
    let child = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["fork_role", "--exact", "--nocapture", "--quiet"])
        .args(["--test-threads=1"])
        .env(ROLE, role_name)
        .env_remove("PULSELOG_LEVEL")
        .env_remove("PULSELOG_FORMAT")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the role runs");
    let out = within_time(&[role_name], child.id(), move || child.wait_with_output());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    for took in stderr.lines().filter(|l| l.contains("-took-ms=")) {
        eprintln!("{role_name}: {took}");
    }
    assert!(
        out.status.success(),
        "{role_name}: {:?}\n{stderr}",
        out.status
    );
    let background = common::child::figure(stderr.as_bytes(), "background");

    let lines = |who: &'static str, n: u64| (0..n).map(move |i| format!("{who} {i}"));
    let parent: Vec<String> = lines("background", background)
        .chain(lines("parent", PARENT_LINES))
        .collect();
    let mut child: Vec<String> = lines("child", CHILD_LINES).collect();
    if matches!(end, End::Grandchild { .. }) {
        child.extend(lines("grandchild", CHILD_LINES));
    }
    if end == End::CustomWriter {
        // The parent's writer is not the child's: the child writes to
        // stderr, and says so.
        assert!(
            stderr.contains("writes its log lines to stderr"),
            "{role_name}: the child says where its lines go: {stderr}"
        );
        check_lines(role_name, "stdout", &stdout, &parent, true);
        check_lines(role_name, "stderr", &stderr, &child, false);
    } else {
        let all: Vec<String> = parent.into_iter().chain(child).collect();
        check_lines(role_name, "stdout", &stdout, &all, true);
        check_lines(role_name, "stderr", &stderr, &[], false);
    }
}

/// Checks that the JSON lines of `stream` are `expected`, each once, and
/// (`only_json`) that every line but the test harness's is JSON.
fn check_lines(role_name: &str, name: &str, stream: &str, expected: &[String], only_json: bool) {
    let mut seen: HashMap<String, u64> = HashMap::new();
    for line in stream.lines() {
        // The test harness's own lines; on stderr, pulselog's and the
        // role's messages.
        if line.is_empty() || line == "running 1 test" || (!only_json && !line.starts_with('{')) {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{role_name}: not a JSON line on {name} ({e}): {line}"));
        let message = v["message"].as_str().expect("a message").to_owned();
        *seen.entry(message).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{role_name}: written twice on {name}: {twice:?}"
    );
    let missing: Vec<_> = expected.iter().filter(|m| !seen.contains_key(*m)).collect();
    assert!(
        missing.is_empty(),
        "{role_name}: {} lines missing on {name}, the first {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(
        seen.len(),
        expected.len(),
        "{role_name}: lines nobody logged on {name}"
    );
}

#[test]
fn a_child_that_drops_its_guard_writes_its_lines_once() {
    run("guard-drop");
}

#[test]
fn a_child_that_calls_exit_writes_its_lines_once() {
    run("exit");
}

#[test]
fn a_child_that_flushes_has_written_its_lines() {
    run("flush");
}

#[test]
fn a_child_that_exits_without_dropping_its_guard_writes_its_lines_once() {
    run("process-exit");
}

#[test]
fn a_grandchild_forked_before_the_child_logs_writes_its_lines_once() {
    run("grandchild-first");
}

#[test]
fn a_grandchild_forked_after_the_child_logged_writes_its_lines_once() {
    run("grandchild-after");
}

#[test]
fn a_child_of_a_parent_that_dropped_its_guard_writes_its_lines_once() {
    run("after-shutdown");
}

#[test]
fn a_child_of_a_parent_that_writes_synchronously_writes_its_lines_once() {
    run("synchronous");
}

#[test]
fn a_child_of_a_parent_with_a_custom_writer_writes_its_lines_to_stderr_once() {
    run("custom-writer");
}

/// Selects the role of [`ids_role`].
const IDS_ROLE: &str = "PULSELOG_TEST_FORK_IDS";

/// Request ids (and as many span ids) each process makes.
const IDS: usize = 10_000;

/// Writes `IDS` lines of `who`, a new request id and a new span id.
fn write_ids(who: &str, tp: &pulselog::context::TraceParent, out: &mut dyn std::io::Write) {
    for _ in 0..IDS {
        let span = tp.next_hop().span_id_hex();
        writeln!(out, "{who} {} {span}", RequestId::new()).expect("written");
    }
    out.flush().expect("flushed");
}

/// The role: ids made before the fork, then after it in the parent (on
/// stdout) and the child (on stderr). No logger is installed: the ids'
/// generator alone must see the fork.
#[test]
fn ids_role() {
    if std::env::var_os(IDS_ROLE).is_none() {
        return;
    }
    let id = RequestId::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    let id = id.expect("a traceparent");
    let tp = id.trace_parent().expect("its trace");
    write_ids("before", tp, &mut std::io::stdout().lock());
    let pid = fork();
    if pid == 0 {
        write_ids("child", tp, &mut std::io::stderr().lock());
        quick_exit(0);
    }
    write_ids("parent", tp, &mut std::io::stdout().lock());
    let code = reap(pid, "child");
    quick_exit(if code == Some(0) { 0 } else { 1 });
}

#[test]
fn a_child_makes_ids_its_parent_does_not() {
    let child = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["ids_role", "--exact", "--nocapture", "--quiet"])
        .args(["--test-threads=1"])
        .env(IDS_ROLE, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the role runs");
    let out = within_time(&["ids"], child.id(), move || child.wait_with_output());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(out.status.success(), "{:?}\n{stderr}", out.status);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut ids = HashMap::new();
    let mut spans = HashMap::new();
    for line in stdout.lines().chain(stderr.lines()) {
        let mut words = line.split(' ');
        let (Some(who @ ("before" | "parent" | "child")), Some(id), Some(span)) =
            (words.next(), words.next(), words.next())
        else {
            continue;
        };
        *counts.entry(who).or_default() += 1;
        assert_eq!((id.len(), &id[14..15]), (36, "4"), "a UUID v4: {line}");
        if let Some(first) = ids.insert(id, who) {
            panic!("request id {id} made by the {first} and the {who}");
        }
        if let Some(first) = spans.insert(span, who) {
            panic!("span id {span} made by the {first} and the {who}");
        }
    }
    for who in ["before", "parent", "child"] {
        assert_eq!(counts.get(who), Some(&IDS), "{who}\n{stderr}");
    }
}
