//! Several outputs at once (`Config::output`): each gets exactly the events
//! its filter wants, in its own format, and decides colour from its own
//! terminal. Counted from child processes.

mod common;

use common::child::{CHILD, run, shell_on_terminal};
use serde_json::Value;

const ESC: char = '\u{1b}';

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pulselog-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

/// The messages of `lines` with their level, in order.
fn messages(lines: &[Value], level_key: &str) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|l| {
            (
                l[level_key].as_str().expect("a level").to_uppercase(),
                l["message"].as_str().expect("a message").to_owned(),
            )
        })
        .collect()
}

fn expected(n: u64, levels: &[&str]) -> Vec<(String, String)> {
    (0..n)
        .flat_map(|i| {
            ["DEBUG", "INFO", "WARNING", "ERROR"]
                .into_iter()
                .filter(|l| levels.contains(l))
                .map(move |l| {
                    let word = if l == "WARNING" { "warn" } else { l };
                    (l.to_owned(), format!("{} {i}", word.to_lowercase()))
                })
        })
        .collect()
}

#[test]
fn four_outputs_get_exactly_their_events_in_their_formats() {
    let dir = scratch("outputs-three");
    let n = 2_000;
    let out = run(
        &["outputs-three", dir.to_str().unwrap(), &n.to_string()],
        &[],
    );
    assert!(out.status.success(), "{out:?}");

    // stdout: JSON, the process filter (info).
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines = json_lines(&stdout);
    assert_eq!(
        messages(&lines, "levelname"),
        expected(n, &["INFO", "WARNING", "ERROR"])
    );
    assert!(
        lines.iter().all(|l| l["i"].is_u64()),
        "numbers stay numbers"
    );

    // stderr: text, errors only.
    let stderr = String::from_utf8(out.stderr).unwrap();
    let errors: Vec<&str> = stderr.lines().collect();
    assert_eq!(errors.len() as u64, n, "{stderr}");
    for (i, line) in errors.iter().enumerate() {
        assert!(line.contains("| ERROR    |"), "{line}");
        assert!(line.ends_with(&format!("error {i} i={i}")), "{line}");
        assert!(!line.contains(ESC) && !line.starts_with('{'), "{line}");
    }

    // The ECS file: everything from debug.
    let ecs = std::fs::read_to_string(dir.join("debug.log")).unwrap();
    let lines = json_lines(&ecs);
    assert_eq!(
        messages(&lines, "log.level"),
        expected(n, &["DEBUG", "INFO", "WARNING", "ERROR"])
    );
    assert!(lines.iter().all(|l| l["ecs.version"].is_string()));

    // The JSON file: warnings and errors, the same lines as stdout's.
    let warn = std::fs::read_to_string(dir.join("warn.log")).unwrap();
    let on_stdout: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.contains("\"levelname\": \"INFO\""))
        .collect();
    assert_eq!(warn.lines().collect::<Vec<_>>(), on_stdout);
    assert_eq!(
        messages(&json_lines(&warn), "levelname"),
        expected(n, &["WARNING", "ERROR"])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_invalid_output_filter_fails_install_naming_it() {
    let out = run(&["outputs-bad-filter"], &[]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("install failed:"), "{stderr}");
    assert!(stderr.contains("[span]"), "{stderr}");
}

/// The child on a pseudo-terminal (its stderr), with its stdout
/// redirected to `file`.
fn on_terminal_with_stdout_to(file: &std::path::Path, env: &[(&str, &str)]) -> String {
    let script = format!("exec '{CHILD}' outputs-cli > '{}'", file.display());
    shell_on_terminal(&script, &["outputs-cli"], env)
}

#[test]
fn stderr_takes_its_format_and_colour_from_its_own_terminal() {
    let dir = scratch("outputs-cli");
    let file = dir.join("stdout.txt");
    let screen = on_terminal_with_stdout_to(&file, &[]);
    // stdout, redirected, has the program's own output only.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "result line\n");
    let lines: Vec<&str> = screen.lines().collect();
    assert_eq!(lines.len(), 2, "{screen:?}");
    // Text, coloured: stderr is a terminal, whatever stdout is.
    assert!(lines[0].contains("\u{1b}[32mINFO\u{1b}[0m"), "{screen:?}");
    assert!(lines[0].contains("working") && lines[1].contains("careful"));

    // The conventions are read for stderr's terminal too.
    let screen = on_terminal_with_stdout_to(&file, &[("NO_COLOR", "1")]);
    assert!(!screen.contains(ESC), "{screen:?}");
    assert_eq!(screen.lines().count(), 2, "{screen:?}");

    // Not a terminal: JSON, uncoloured, even when stdout is one.
    let out = run(&["outputs-cli"], &[]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines = json_lines(&stderr);
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(lines[1]["message"], "careful");
    let _ = std::fs::remove_dir_all(&dir);
}

/// stdout's lines and the child's stderr, with an output beside stdout
/// that gets stuck (`how`: `writer`, or a syslog peer's address).
fn stuck_beside_stdout(how: &str, n: u64) -> (Vec<Value>, String) {
    let out = run(&["outputs-stuck", how, &n.to_string()], &[]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    (json_lines(&stdout), String::from_utf8(out.stderr).unwrap())
}

fn check_stdout_lossless(lines: &[Value], n: u64, stderr: &str) {
    let events: Vec<u64> = lines
        .iter()
        .filter(|l| l["name"] != "pulselog")
        .map(|l| l["i"].as_u64().expect("i"))
        .collect();
    assert_eq!(events, (0..n).collect::<Vec<_>>(), "{stderr}");
    // The loss is reported through the output that works.
    let lost: u64 = lines
        .iter()
        .filter(|l| l["name"] == "pulselog")
        .filter_map(|l| l["lost"].as_u64())
        .sum();
    assert!(lost > 0, "no loss reported on stdout: {stderr}");
    assert!(stderr.contains("accepted nothing for"), "{stderr}");
    // A given-up output is not waited for again: flush and exit each cost
    // at most about one block timeout (500 ms), whatever the machine.
    let ms: Vec<u64> = stderr
        .lines()
        .find_map(|l| l.strip_prefix("flush took "))
        .map(|l| {
            l.split(|c: char| !c.is_ascii_digit())
                .filter(|w| !w.is_empty())
                .map(|w| w.parse().unwrap())
                .collect()
        })
        .unwrap_or_else(|| panic!("timings: {stderr}"));
    println!("flush {} ms, flush and exit {} ms", ms[0], ms[1]);
    assert!(ms[1] < 5_000, "{stderr}");
}

#[test]
fn a_stuck_writer_leaves_stdout_lossless_and_reports_its_loss() {
    let n = 20_000;
    let (lines, stderr) = stuck_beside_stdout("writer", n);
    check_stdout_lossless(&lines, n, &stderr);
}

#[test]
fn a_syslog_peer_that_stops_reading_leaves_stdout_lossless() {
    // A peer that accepts the connection and never reads: once the
    // socket's buffers are full, every write blocks.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let held = std::thread::spawn(move || {
        let conns: Vec<_> = listener.incoming().take(2).filter_map(Result::ok).collect();
        conns
    });
    let n = 40_000;
    let (lines, stderr) = stuck_beside_stdout(&addr, n);
    check_stdout_lossless(&lines, n, &stderr);
    drop(held);
}

#[test]
fn hundreds_of_threads_into_two_outputs_lose_nothing_and_keep_each_threads_order() {
    many_threads_into_two_outputs("writer");
}

#[test]
fn hundreds_of_threads_writing_their_own_lines_into_two_outputs_lose_nothing() {
    many_threads_into_two_outputs("sync");
}

/// 200 threads, one of them with a 1 MiB value, into stdout (JSON) and a
/// text file; `mode` is `writer` (the writer thread and the outputs' own)
/// or `sync` (each thread writes its lines).
fn many_threads_into_two_outputs(mode: &str) {
    let dir = scratch(&format!("outputs-many-{mode}"));
    let file = dir.join("text.log");
    let (threads, n) = (200u64, 500u64);
    let out = run(
        &[
            "outputs-many",
            file.to_str().unwrap(),
            &threads.to_string(),
            &n.to_string(),
            mode,
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    // stdout: every event once, each thread's in order, the 1 MiB value whole.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut next = vec![0u64; threads as usize];
    let mut big = 0;
    for line in json_lines(&stdout) {
        let t = line["t"].as_u64().expect("t") as usize;
        if line["message"] == "big" {
            assert_eq!(line["big"].as_str().map(str::len), Some(1 << 20));
            big += 1;
            continue;
        }
        assert_eq!(line["i"].as_u64(), Some(next[t]), "thread {t} out of order");
        next[t] += 1;
    }
    assert!(next.iter().all(|&c| c == n), "stdout lost events");
    assert_eq!(big, 1);
    // The text file: the same events, each thread's in order.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut next = vec![0u64; threads as usize];
    let mut big = 0;
    for line in text.lines() {
        let field = |k: &str| -> Option<u64> {
            line.split(' ')
                .find_map(|w| w.strip_prefix(k)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
        };
        let t = field("t").expect("t") as usize;
        if line.contains("| big t=") {
            assert!(line.ends_with(&format!("big={}", "b".repeat(1 << 20))));
            big += 1;
            continue;
        }
        assert_eq!(field("i"), Some(next[t]), "thread {t} out of order: {line}");
        next[t] += 1;
    }
    assert!(next.iter().all(|&c| c == n), "the file lost events");
    assert_eq!(big, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
