//! A file that another tool rotates, under a child that logs to it all
//! along: moved away as logrotate's `create` mode does, with and without
//! SIGHUP; truncated in place as `copytruncate` does. Every line is whole
//! and, where the tool loses none, written exactly once.

mod common;

use common::child::{command, figure, json, within_time};
use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pulselog-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory");
    dir
}

/// The child logging numbered lines into `dir/app.log` until `dir/stop`
/// exists.
struct Logging {
    child: Child,
    dir: PathBuf,
}

impl Logging {
    fn start(dir: &Path, sighup: bool) -> Logging {
        let log = dir.join("app.log");
        let stop = dir.join("stop");
        let child = command(&[
            "reopen",
            log.to_str().unwrap(),
            stop.to_str().unwrap(),
            if sighup { "sighup" } else { "no-sighup" },
        ])
        .spawn()
        .expect("spawn child");
        Logging {
            child,
            dir: dir.to_owned(),
        }
    }

    /// Waits until `app.log` holds at least `n` lines, the child still
    /// running; returns how many it holds.
    fn wait_for_lines(&mut self, n: usize) -> usize {
        let log = self.dir.join("app.log");
        let give_up = Instant::now() + Duration::from_secs(120);
        loop {
            let held = std::fs::read(&log).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
            if held >= n {
                return held;
            }
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                panic!("the child ended ({status}) with {held} lines in app.log");
            }
            assert!(
                Instant::now() < give_up,
                "{held} lines in app.log after 2 minutes"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn sighup(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: `kill` only sends a signal, to a child of ours that is
        // still running (not yet waited for).
        assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    }

    /// Tells the child to stop, and returns how many lines it logged.
    fn stop(self) -> u64 {
        std::fs::write(self.dir.join("stop"), "").expect("the stop file");
        let pid = self.child.id();
        let child = self.child;
        let out: Output = within_time(&["reopen"], pid, move || child.wait_with_output());
        assert!(out.status.success(), "{out:?}");
        figure(&out.stderr, "lines")
    }
}

/// The `i` of every line of `dir/name`: whole lines only, each one JSON,
/// and no zero bytes (a write past a truncation, without `O_APPEND`,
/// leaves a hole of them).
fn numbers(dir: &Path, name: &str) -> Vec<u64> {
    let bytes = std::fs::read(dir.join(name)).expect("the log file");
    assert!(!bytes.contains(&0), "{name} has a hole of zero bytes");
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.ends_with('\n'), "{name} ends in a line cut short");
    text.lines()
        .map(|line| json(line)["i"].as_u64().expect("i"))
        .collect()
}

#[test]
fn after_each_move_the_lines_go_on_in_the_new_file_and_none_is_lost() {
    let dir = scratch("reopen-moved");
    let mut child = Logging::start(&dir, true);
    child.wait_for_lines(500);
    // logrotate's `create` mode, without a signal.
    std::fs::rename(dir.join("app.log"), dir.join("app.log.1")).unwrap();
    let held = child.wait_for_lines(500);
    // SIGHUP without a move: the same file is opened again, and the child
    // (whose SIGHUP no longer ends it) goes on writing there.
    child.sighup();
    child.wait_for_lines(held + 500);
    // The next rotation, with `postrotate kill -HUP`.
    std::fs::rename(dir.join("app.log.1"), dir.join("app.log.2")).unwrap();
    std::fs::rename(dir.join("app.log"), dir.join("app.log.1")).unwrap();
    child.sighup();
    child.wait_for_lines(500);
    let n = child.stop();
    let files = ["app.log.2", "app.log.1", "app.log"].map(|name| numbers(&dir, name));
    for (name, lines) in ["app.log.2", "app.log.1", "app.log"].iter().zip(&files) {
        assert!(!lines.is_empty(), "{name} is empty");
    }
    // Oldest file first: each number once, and every line logged after a
    // move is in a newer file than every line before it.
    let all: Vec<u64> = files.concat();
    let expected: Vec<u64> = (0..n).collect();
    assert_eq!(all, expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_truncated_in_place_is_written_on_from_its_new_start() {
    let dir = scratch("reopen-truncated");
    let mut child = Logging::start(&dir, false);
    child.wait_for_lines(500);
    // logrotate's `copytruncate`: the lines written between the copy and
    // the truncation are lost, which is why `create` is the mode to use.
    std::fs::copy(dir.join("app.log"), dir.join("app.log.1")).unwrap();
    std::fs::File::options()
        .write(true)
        .open(dir.join("app.log"))
        .unwrap()
        .set_len(0)
        .unwrap();
    child.wait_for_lines(500);
    let n = child.stop();
    let lines = numbers(&dir, "app.log");
    let first = lines[0];
    assert!(first > 0, "the lines before the truncation are gone");
    let expected: Vec<u64> = (first..n).collect();
    assert_eq!(
        lines, expected,
        "every line since, once, from the file's start"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sighup_handler_of_the_program_is_left_in_place() {
    let out = common::child::run(&["reopen-sighup-taken"], &[]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused: AlreadyExists"), "{stderr}");
    assert!(stderr.contains("the program's handler ran"), "{stderr}");
}
