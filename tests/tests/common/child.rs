//! Running the `pulselog-child` program, for what only a whole process
//! shows.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The `pulselog-child` program of this package.
pub const CHILD: &str = env!("CARGO_BIN_EXE_pulselog-child");

/// Runs the child with `args` and `env` on top of an environment without
/// pulselog's variables, and returns what it wrote.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
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

/// Runs the child with `args` (see [`run`]), checks that it succeeded, and
/// returns its stdout line by line.
pub fn run_ok(args: &[&str]) -> Vec<String> {
    let out = run(args, &[]);
    assert!(out.status.success(), "{out:?}");
    stdout_lines(&out)
}

/// The child's stdout, line by line.
pub fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// One line parsed as JSON, or a panic that quotes it.
pub fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("invalid JSON ({e}): {line}"))
}
