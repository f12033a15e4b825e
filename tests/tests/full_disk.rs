//! A full disk, then freed: the child's stdout is a file on a small tmpfs
//! that another file fills nearly to the brim. The child logs until the
//! disk is full; the test waits for the writer to say so, holds the fault
//! for a while, deletes the other file and tells the child, which then
//! logs 20,000 numbered events. Every one of them must be written exactly once, as a
//! whole JSON line, however long the fault lasted; what was lost during it
//! is counted, on stderr as soon as the output works again, and in a
//! WARNING line.
//!
//! The real file system, not a writer that fails on purpose: a disk that
//! fills gives a short write, then `ENOSPC`, on the file-descriptor path.
//! Mounting needs root; without it (or where mounting fails) the tests say
//! so and pass.

mod common;

use common::child;
use std::ffi::CString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

/// The tmpfs's size, and how much of it the filler leaves free: the child's
/// first phase (`BEFORE` lines of about 300 bytes) overflows what is free,
/// and everything both phases write fits once the filler is gone.
const SIZE_MIB: usize = 16;
const FREE_MIB: usize = 1;
const BEFORE: u64 = 20_000;
const AFTER: u64 = 20_000;

/// How long the disk stays full after the writer first fails.
const FAULT: Duration = Duration::from_secs(1);

/// A tmpfs mounted on a directory of its own, unmounted and removed on drop.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mib` MiB; `None`, with the reason printed, where
    /// that cannot be done.
    fn mount(name: &str, mib: usize) -> Option<Tmpfs> {
        // SAFETY: `geteuid` has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            println!("skipped: mounting a tmpfs needs root");
            return None;
        }
        let dir =
            std::env::temp_dir().join(format!("pulselog-full-disk-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory to mount on");
        let c = |s: &[u8]| CString::new(s).expect("no NUL");
        let target = c(dir.as_os_str().as_bytes());
        let (fstype, options) = (c(b"tmpfs"), c(format!("size={mib}m").as_bytes()));
        // SAFETY: every pointer is to a NUL-terminated string that outlives
        // the call; `data` is the option string tmpfs takes.
        let rc = unsafe {
            libc::mount(
                fstype.as_ptr(),
                target.as_ptr(),
                fstype.as_ptr(),
                0,
                options.as_ptr().cast(),
            )
        };
        if rc != 0 {
            println!(
                "skipped: mounting a tmpfs failed ({})",
                std::io::Error::last_os_error()
            );
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let target = CString::new(self.dir.as_os_str().as_bytes()).expect("no NUL");
        // SAFETY: `target` is a NUL-terminated path that outlives the call.
        // Detached, so that a child still holding a file there (a failed
        // test) does not keep the mount.
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// A file of `mib` MiB of zeros.
fn fill(path: &Path, mib: usize) {
    let mut f = File::create(path).expect("the filler");
    let block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        f.write_all(&block).expect("the filler fits");
    }
    f.sync_all().expect("the filler written");
}

/// What a run wrote.
struct Run {
    /// The first phase's events written, by `i`.
    before: Vec<u64>,
    /// The second phase's events written, by `seq`.
    after: Vec<u64>,
    /// The events the WARNING lines say were dropped.
    dropped: u64,
    stderr: Vec<String>,
}

/// Runs the child on a full disk with `block_timeout_ms`, frees the disk
/// after [`FAULT`], and reads its output; `None` where no tmpfs can be
/// mounted.
fn run(name: &str, block_timeout_ms: u64) -> Option<Run> {
    run_with(name, block_timeout_ms, "one")
}

/// [`run`], with stdout one of two outputs when `outputs` is `two`.
fn run_with(name: &str, block_timeout_ms: u64, outputs: &str) -> Option<Run> {
    let fs = Tmpfs::mount(name, SIZE_MIB)?;
    let filler = fs.path("filler");
    fill(&filler, SIZE_MIB - FREE_MIB);
    let out_path = fs.path("out.log");
    let stdout = File::create(&out_path).expect("the output file");
    let mut cmd = child::command(&[
        "full-disk",
        &BEFORE.to_string(),
        &AFTER.to_string(),
        &block_timeout_ms.to_string(),
        outputs,
    ]);
    let mut proc = cmd
        .stdin(Stdio::piped())
        .stdout(stdout)
        .spawn()
        .expect("spawn child");
    let mut stdin = proc.stdin.take().expect("stdin");
    let stderr = proc.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.expect("UTF-8 stderr");
            let _ = tx.send(line.clone());
            lines.push(line);
        }
        lines
    });

    // The disk is full once the writer says its write failed.
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the writer reports the full disk");
        // One output: the writer thread says so; several: stdout's own.
        if line.starts_with("pulselog: writing the log output") && line.contains("failed") {
            break;
        }
    }
    std::thread::sleep(FAULT);
    // The space is free once `unlink` has returned.
    std::fs::remove_file(&filler).expect("the filler deleted");
    writeln!(stdin, "freed").expect("the child reads its stdin");
    drop(stdin);

    let pid = proc.id();
    let status = child::within_time(&["full-disk"], pid, move || proc.wait());
    let stderr = reader.join().expect("stderr reader");
    assert!(status.success(), "{status:?}\n{}", stderr.join("\n"));

    let text = std::fs::read(&out_path).expect("the output file");
    let text = String::from_utf8(text).expect("UTF-8 output");
    let mut run = Run {
        before: Vec::new(),
        after: Vec::new(),
        dropped: 0,
        stderr,
    };
    for line in text.lines() {
        // Each line whole: valid JSON, nothing of another line in it.
        let v = child::json(line);
        let message = v["message"].as_str().expect("a message");
        if message.starts_with("fill ") {
            run.before.push(v["i"].as_u64().expect("i"));
        } else if message.starts_with("after ") {
            run.after.push(v["seq"].as_u64().expect("seq"));
        } else if let Some(d) = v.get("dropped") {
            assert_eq!(v["levelname"], "WARNING", "{line}");
            assert!(
                v["reason"]
                    .as_str()
                    .unwrap()
                    .contains("No space left on device"),
                "{line}"
            );
            run.dropped += d.as_u64().expect("a count");
        } else {
            panic!("a line of neither phase: {line}");
        }
    }
    assert!(text.ends_with('\n'), "the last line is whole");
    Some(run)
}

/// Each of `0..n` exactly once in `seen`.
fn each_once(seen: &[u64], n: u64, what: &str) {
    let mut sorted = seen.to_vec();
    sorted.sort_unstable();
    let twice: Vec<_> = sorted.windows(2).filter(|w| w[0] == w[1]).collect();
    assert!(twice.is_empty(), "{what} written twice: {twice:?}");
    let missing = (0..n).filter(|i| sorted.binary_search(i).is_err()).count();
    assert_eq!(missing, 0, "{what}: {missing} of {n} not written");
}

/// The index of the first stderr line containing `needle`.
fn said(run: &Run, needle: &str) -> usize {
    run.stderr
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}` on stderr: {:#?}", run.stderr))
}

/// A fault longer than the block timeout: everything logged once the disk
/// is freed is written, and of the rest each event is written once or
/// counted as dropped, the count said on stderr as the WARNING lines give
/// it.
fn lost_only_during_the_fault(run: &Run) -> usize {
    println!(
        "written: {} of {BEFORE} before, {} of {AFTER} after; dropped {}",
        run.before.len(),
        run.after.len(),
        run.dropped
    );
    each_once(&run.after, AFTER, "events logged once the disk was freed");
    let mut before = run.before.clone();
    before.sort_unstable();
    before.dedup();
    assert_eq!(before.len(), run.before.len(), "none written twice");
    assert!(run.dropped > 0, "the fault outlasts the block timeout");
    assert_eq!(run.before.len() as u64 + run.dropped, BEFORE);
    let again = said(run, "the log output works again");
    assert!(
        run.stderr[again].contains(&format!("{} events were dropped meanwhile", run.dropped)),
        "{}",
        run.stderr[again]
    );
    again
}

#[test]
fn a_fault_longer_than_the_block_timeout_loses_only_what_was_logged_during_it() {
    let Some(run) = run("short", 200) else { return };
    // Stderr says the output works again as soon as it does: before the
    // child's flush has returned.
    let again = lost_only_during_the_fault(&run);
    assert!(again < said(&run, "flushed"), "{:#?}", run.stderr);
}

#[test]
fn a_fault_shorter_than_the_block_timeout_loses_nothing() {
    let Some(run) = run("long", 10_000) else {
        return;
    };
    println!(
        "written: {} of {BEFORE} before, {} of {AFTER} after; dropped {}",
        run.before.len(),
        run.after.len(),
        run.dropped
    );
    each_once(&run.before, BEFORE, "events logged while the disk was full");
    each_once(&run.after, AFTER, "events logged once the disk was freed");
    assert_eq!(run.dropped, 0);
    let again = said(&run, "the log output works again");
    assert!(again < said(&run, "flushed"), "{:#?}", run.stderr);
}

#[test]
fn beside_another_output_a_fault_shorter_than_the_block_timeout_loses_nothing() {
    let Some(run) = run_with("two", 10_000, "two") else {
        return;
    };
    println!(
        "written: {} of {BEFORE} before, {} of {AFTER} after",
        run.before.len(),
        run.after.len(),
    );
    each_once(&run.before, BEFORE, "events logged while the disk was full");
    each_once(&run.after, AFTER, "events logged once the disk was freed");
    assert_eq!(run.dropped, 0);
    let again = said(&run, "the log output stdout works again");
    assert!(again < said(&run, "flushed"), "{:#?}", run.stderr);
}

#[test]
fn written_by_the_caller_a_long_fault_costs_it_one_block_timeout_and_no_line_is_cut() {
    let Some(run) = run_with("sync", 200, "sync") else {
        return;
    };
    // The calls went on (the child reached its second phase), and each
    // line is whole (`run_with` parses every one).
    lost_only_during_the_fault(&run);
    // While the disk was full, one call waited a block timeout, and the
    // others tried once: the first phase took about that, not one timeout
    // an event.
    let filled = said(&run, "filled log_ms=");
    let ms: u64 = run.stderr[filled]
        .split("log_ms=")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("log_ms");
    assert!(ms < 60_000, "{ms} ms");
}
