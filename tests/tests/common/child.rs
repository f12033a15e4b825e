//! Running a child program, for what only a whole process shows: the
//! `CHILD` of the module that includes this one (`pulselog-child` here;
//! the pipeline's tests, `tests/pipeline/`, run their own program with it).

pub use super::CHILD;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The child with `args`, in an environment without pulselog's variables,
/// its stdout and stderr piped.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(CHILD);
    cmd.args(args)
        .env_remove("PULSELOG_LEVEL")
        .env_remove("PULSELOG_FORMAT")
        .env_remove("RUST_LOG");
    without_colour_settings(&mut cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Removes the variables that decide colour (a CI service's `CI`, which
/// the colour choice takes as a terminal that shows colour, among them), so
/// that a test sets exactly those it is about.
fn without_colour_settings(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CI")
}

/// Runs the child with `args` and `env` on top of an environment without
/// pulselog's variables, and returns what it wrote.
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = command(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn child");
    // Read the pipes while the child runs (a full pipe would stall it).
    within_time(args, child.id(), move || child.wait_with_output())
}

/// Runs the child with `args` while nobody reads its stdout, which stalls
/// once the pipe is full; reads what the pipe holds after the child ended.
pub fn run_stalled(args: &[&str]) -> Output {
    let mut child = command(args).spawn().expect("spawn child");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut buf);
        buf
    });
    let status = within_time(args, pid, move || child.wait());
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut stdout, &mut out).expect("the pipe's contents");
    Output {
        status,
        stdout: out,
        stderr: err.join().expect("stderr reader"),
    }
}

/// Runs `f` (which waits for the child `pid`), treating a hang as a
/// failure rather than a stuck test run.
pub fn within_time<T: Send + 'static>(
    args: &[&str],
    pid: u32,
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(f()));
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(out) => out.expect("child output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("child {args:?} hung");
        }
    }
}

/// The number the child printed on stderr as `key=value`.
pub fn figure(stderr: &[u8], key: &str) -> u64 {
    let text = String::from_utf8_lossy(stderr);
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
        .unwrap_or_else(|| panic!("no {key}= on stderr: {text}"))
}

/// Runs the child with `args` (see [`run`]), checks that it succeeded, and
/// returns its stdout line by line.
pub fn run_ok(args: &[&str]) -> Vec<String> {
    let out = run(args, &[]);
    assert!(out.status.success(), "{out:?}");
    stdout_lines(&out)
}

/// The lines of the child's `sample` role (every shape of event, all
/// levels) in `format`, for the service `checkout` with these
/// `OTEL_RESOURCE_ATTRIBUTES`.
pub fn sample(format: &str, resource_attributes: &str) -> Vec<String> {
    let out = run(
        &["sample"],
        &[
            ("PULSELOG_FORMAT", format),
            ("PULSELOG_LEVEL", "trace"),
            ("OTEL_SERVICE_NAME", "checkout"),
            ("OTEL_RESOURCE_ATTRIBUTES", resource_attributes),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let lines = stdout_lines(&out);
    assert!(lines.len() >= 15, "{lines:?}");
    lines
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

/// Runs the child with `args` on a terminal of its own, as a person runs
/// it: `script` gives it a pseudo-terminal for stdin, stdout and stderr, and
/// copies what the terminal shows to its own stdout. The environment is
/// [`command`]'s with `TERM=xterm-256color` and no colour variables, then
/// `env` on top. Returns what the terminal showed (stdout and stderr
/// together, as a person sees them), with `\r\n` turned into `\n`.
pub fn run_on_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let line: Vec<String> = std::iter::once(CHILD)
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    shell_on_terminal(&format!("exec {}", line.join(" ")), args, env)
}

/// Runs the shell command `script` (which runs the child with `args`) on
/// a pseudo-terminal of its own, as [`run_on_terminal`] does, and returns
/// the screen's bytes.
pub fn shell_on_terminal(script: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("script");
    cmd.args(["-qec", script, "/dev/null"])
        .env_remove("PULSELOG_LEVEL")
        .env_remove("PULSELOG_FORMAT")
        .env_remove("RUST_LOG")
        .env("TERM", "xterm-256color");
    without_colour_settings(&mut cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("`script` runs (util-linux)");
    let out = within_time(args, child.id(), move || child.wait_with_output());
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .replace("\r\n", "\n")
}
