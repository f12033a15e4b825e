//! A command-line tool on `pulselog::cli!()` (the child's `cli-tool`
//! role), run as its user runs it: on a terminal, with its output
//! redirected, with `-q` and `-vv`, interrupted under load. Data goes to
//! stdout and only there; log lines go to stderr, in order with the data,
//! coloured by stderr's own terminal; a panic is reported once; Ctrl-C
//! and `SIGTERM` leave every line logged before them written and whole,
//! and the shell sees the signal's status.

mod common;

use common::child::{CHILD, run, run_on_terminal, shell_on_terminal};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

const DATA: [&str; 3] = ["a.txt 3", "b.txt 5", "total 8"];
const LOGS: [&str; 3] = [
    "INFO: counting files=2",
    "ERROR: cannot read file=missing.txt",
    "WARNING hyper::proto: dependency trouble",
];

/// `text` without its colour sequences (`ESC [ … m`).
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find('m').expect("a colour sequence ends with `m`");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn redirected_stdout_holds_only_the_data_and_stderr_only_the_log_lines_uncoloured() {
    let out = run(&["cli-tool", "count"], &[]);
    assert!(out.status.success(), "{out:?}");
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert_eq!(lines(&stdout), DATA);
    assert_eq!(lines(&stderr), LOGS);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

#[test]
fn on_a_terminal_the_log_lines_come_between_the_data_in_order_and_coloured() {
    let interleaved = [LOGS[0], DATA[0], LOGS[1], DATA[1], LOGS[2], DATA[2]];
    // Several runs: an order that held by luck would not hold in all.
    for _ in 0..5 {
        let screen = run_on_terminal(&["cli-tool", "count"], &[]);
        assert_eq!(lines(&plain(&screen)), interleaved, "{screen:?}");
        // The level is coloured: red and bold for ERROR.
        assert!(screen.contains("\u{1b}[1m\u{1b}[31mERROR"), "{screen:?}");
    }
    let screen = run_on_terminal(&["cli-tool", "count"], &[("NO_COLOR", "1")]);
    assert_eq!(lines(&screen), interleaved);
}

#[test]
fn stderr_in_a_file_is_not_coloured_while_stdout_is_the_terminal() {
    let dir = std::env::temp_dir().join(format!("pulselog-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stderr.log");
    let screen = shell_on_terminal(
        &format!("exec '{CHILD}' cli-tool count 2>'{}'", file.display()),
        &["cli-tool", "count"],
        &[],
    );
    assert_eq!(lines(&screen), DATA);
    let logged = std::fs::read_to_string(&file).unwrap();
    assert_eq!(lines(&logged), LOGS);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_panic_is_reported_once() {
    let screen = plain(&run_on_terminal(&["cli-tool", "panic"], &[]));
    assert_eq!(screen.matches("panicked at").count(), 1, "{screen}");
    assert!(screen.contains("CRITICAL"), "{screen}");
    // The standard hook's lines are not printed beside the CRITICAL one.
    assert!(!screen.contains("note: run with"), "{screen}");
    let out = run(&["cli-tool", "panic"], &[]);
    assert_eq!(out.status.code(), Some(101));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.matches("panicked at").count(), 1, "{stderr}");
}

#[test]
fn quiet_silences_everything_and_very_verbose_shows_the_programs_debug_lines_only() {
    let out = run(&["cli-tool", "-q", "count"], &[]);
    assert!(out.status.success());
    assert_eq!(lines(&String::from_utf8(out.stdout).unwrap()), DATA);
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");

    let out = run(&["cli-tool", "-vv", "count"], &[]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        lines(&stderr),
        [
            LOGS[0],
            "TRACE: read a.txt bytes=18",
            LOGS[1],
            "DEBUG: done counting",
            LOGS[2],
        ]
    );
    // `PULSELOG_LEVEL` still speaks over the flags.
    let out = run(
        &["cli-tool", "-q", "count"],
        &[("PULSELOG_LEVEL", "hyper=debug")],
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        lines(&stderr),
        [
            "DEBUG hyper::proto: dependency detail",
            "WARNING hyper::proto: dependency trouble"
        ]
    );
}

/// `cmd` with `SIGINT` and `SIGTERM` at their default action, as a
/// terminal's tool gets them: a process started in the background by a
/// shell without job control inherits them ignored, and a tool leaves an
/// ignored signal alone (`Config::flush_on_signal`), so that these tests
/// would wait for a tool that the signal does not end.
fn default_signals(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: between `fork` and `exec` the closure calls only `signal`,
    // which is async-signal-safe, and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM] {
                if libc::signal(sig, libc::SIG_DFL) == libc::SIG_ERR {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        })
    }
}

/// Runs the tool's `load` under `sh`, sends `signal` once it has logged a
/// while, and returns the status the shell saw and the log lines.
fn interrupted(signal: libc::c_int) -> (String, String) {
    let mut shell = default_signals(&mut Command::new("sh"))
        .args(["-c", r#""$0" cli-tool load; echo "status=$?""#, CHILD])
        .env_remove("PULSELOG_LEVEL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(shell.stdout.take().unwrap());
    let mut stderr = shell.stderr.take().unwrap();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let pid: libc::pid_t = first.trim().strip_prefix("pid=").unwrap().parse().unwrap();
    // Read stderr as it comes, and signal once a good many lines are in.
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0; 1 << 16];
        let mut told = false;
        loop {
            let n = stderr.read(&mut buf).unwrap();
            if n == 0 {
                return String::from_utf8(all).unwrap();
            }
            all.extend_from_slice(&buf[..n]);
            if !told && all.len() > 4 << 20 {
                told = true;
                tx.send(()).unwrap();
            }
        }
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the tool logs");
    // SAFETY: `kill` has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    shell.wait().unwrap();
    let status = rest
        .lines()
        .find_map(|l| l.strip_prefix("status="))
        .expect("the shell's status line")
        .to_owned();
    let mut log = reader.join().unwrap();
    // What the shell says of a child that `SIGTERM` ended, on the same
    // stderr: a line of its own after the child's last.
    if signal == libc::SIGTERM
        && let Some(cut) = log.strip_suffix("Terminated\n")
        && cut.ends_with('\n')
    {
        log = cut.to_owned();
    }
    (status, log)
}

/// Checks that every line is a whole `tick` line, and that each thread's
/// numbers run from 0 without a gap: nothing it logged before the signal
/// was lost.
fn every_line_whole_and_none_missing(log: &str) {
    assert!(
        log.ends_with('\n'),
        "torn last line: {:?}",
        &log[log.len().saturating_sub(80)..]
    );
    let mut next: BTreeMap<u32, u64> = BTreeMap::new();
    for line in log.lines() {
        let rest = line
            .strip_prefix("INFO: tick worker=")
            .unwrap_or_else(|| panic!("not a whole line: {line:?}"));
        let (worker, rest) = rest.split_once(" n=").expect("worker and n");
        let (n, pad) = rest.split_once(" pad=").unwrap_or((rest, ""));
        let (worker, n): (u32, u64) = (worker.parse().unwrap(), n.parse().unwrap());
        let want = if worker == 0 { 256 << 10 } else { 0 };
        assert_eq!(
            pad.trim_matches('"').len(),
            want,
            "worker {worker} n={n}: a line cut short"
        );
        let expected = next.entry(worker).or_insert(0);
        assert_eq!(n, *expected, "worker {worker}: a line is missing");
        *expected += 1;
    }
    assert_eq!(next.len(), 4, "{next:?}");
}

#[test]
fn ctrl_c_under_load_writes_every_line_logged_before_it_whole_and_exits_130() {
    // Several times: without the handling, about one signal in three
    // cuts one of worker 0's long lines.
    for _ in 0..4 {
        let (status, log) = interrupted(libc::SIGINT);
        assert_eq!(status, "130");
        every_line_whole_and_none_missing(&log);
        // Signalled under load: once more than 4 MiB of lines were in.
        assert!(log.len() > 4 << 20, "{} bytes", log.len());
    }
}

#[test]
fn sigterm_does_the_same_and_exits_143() {
    let (status, log) = interrupted(libc::SIGTERM);
    assert_eq!(status, "143");
    every_line_whole_and_none_missing(&log);
}

#[test]
fn a_signal_writes_what_the_writer_thread_still_had_queued() {
    const N: u64 = 100_000;
    let mut child = default_signals(&mut common::child::command(&[
        "signal-backlog",
        &N.to_string(),
    ]))
    .spawn()
    .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    stderr.read_line(&mut said).unwrap();
    assert_eq!(said, "logged\n");
    // Nobody has read stdout yet: most events are still queued.
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: `kill` has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    let written: Vec<u64> = stdout
        .lines()
        .map(|l| common::child::json(l)["i"].as_u64().expect("i"))
        .collect();
    assert_eq!(written, (0..N).collect::<Vec<_>>());
}

#[test]
fn pulselog_format_still_chooses_the_format_and_a_bad_one_does_not_stop_the_tool() {
    let out = run(&["cli-tool", "count"], &[("PULSELOG_FORMAT", "json")]);
    assert!(out.status.success());
    assert_eq!(lines(&String::from_utf8(out.stdout).unwrap()), DATA);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let messages: Vec<String> = stderr
        .lines()
        .map(|l| {
            common::child::json(l)["message"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(messages, ["counting", "cannot read", "dependency trouble"]);

    let out = run(&["cli-tool", "count"], &[("PULSELOG_FORMAT", "yaml")]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(lines(&String::from_utf8(out.stdout).unwrap()), DATA);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stderr = lines(&stderr);
    assert!(
        stderr[0].starts_with("pulselog: PULSELOG_FORMAT: unknown format `yaml`"),
        "{stderr:?}"
    );
    assert_eq!(stderr[1..], LOGS);
}
