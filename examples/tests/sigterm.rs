//! The SIGTERM examples that `RELIABILITY.md` points to, run and stopped
//! as a service manager stops them: every line they logged is written, the
//! last one the line saying they stop, and they exit with 0.
#![cfg(unix)]

mod common;

use common::example;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn stops_on_sigterm_with_every_line(name: &str) {
    let mut child = Command::new(example(name))
        .env_remove("PULSELOG_FORMAT")
        .env_remove("PULSELOG_LEVEL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    // Running (and its handler in place) once it has logged.
    let first = lines.next().expect("a line").expect("utf-8");
    assert!(first.contains("\"working\""), "{first}");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: `kill` has no memory preconditions; `pid` is our child's.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let rest: Vec<String> = lines.map(|l| l.expect("utf-8")).collect();
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{name}: {status}");
    let last = rest.last().expect("lines after the signal");
    assert!(last.contains("\"stopping\""), "{last}");
    assert!(last.ends_with('}'), "whole: {last}");
    for line in &rest {
        assert!(line.starts_with('{') && line.ends_with('}'), "{line}");
    }
}

#[test]
fn the_sigwait_example_stops_on_sigterm_with_every_line() {
    stops_on_sigterm_with_every_line("sigterm");
}

#[test]
fn the_tokio_example_stops_on_sigterm_with_every_line() {
    stops_on_sigterm_with_every_line("sigterm_tokio");
}
