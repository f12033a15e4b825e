//! Log files that rotate, for `Config::writer` and `Output::file`, and
//! files that follow their path when another tool (logrotate) moves them:
//! the writer thread writes them, so no log call waits on the disk.
//! Rotation is renames and a directory listing (std); the local hour and
//! date are [`crate::civil`]'s (the C library's time zone on Unix, UTC
//! elsewhere). Following the
//! path is one `stat` of it before a write, as Python's
//! `WatchedFileHandler` does.

use crate::civil;
use crate::diag::say;
use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
// Not `crate::sync`'s: a signal handler reaches this count through a
// `static`, which loom's atomics cannot be, and no loom model runs files.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Requests to reopen every file ([`RollingFile::reopen_all`], SIGHUP once
/// [`RollingFile::reopen_all_on_sighup`] installed its handler). A count
/// rather than a flag, so that each file answers each request once: a file
/// reopens when the count differs from the one it last answered.
static REOPENS: AtomicUsize = AtomicUsize::new(0);

/// How long after a reopen that failed the next one is tried: each try is
/// an `open` that may fail the same way, so not at every write.
const REOPEN_RETRY: Duration = Duration::from_secs(1);

/// When a [`RollingFile`] starts a new file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rotation {
    /// Once the file holds more than this many bytes. Lines are never split
    /// across files: the writer writes whole lines, and the file is rotated
    /// before the write that finds it past the size, so a file may pass it
    /// by one batch of lines (64 KiB at most, or one longer line).
    Size(u64),
    /// When the hour of the local time changes.
    ///
    /// Local time is the C library's time zone (`TZ`, else
    /// `/etc/localtime`) on Unix; elsewhere it is UTC.
    Hourly,
    /// When the local date changes (local as for [`Rotation::Hourly`]).
    Daily,
    /// Never: the file is left to another tool (logrotate, newsyslog),
    /// which the file follows (see [`RollingFile`]); the `keep` of
    /// [`RollingFile::new`] is unused. [`RollingFile::watched`] is this.
    Never,
}

/// A file that rotates like Python's `RotatingFileHandler`: the current
/// file is `path`; on rotation it becomes `path.1`, `path.1` becomes
/// `path.2`, and so on, and files past `path.{keep}` are deleted.
///
/// ```no_run
/// use pulselog::{Config, RollingFile, Rotation};
///
/// let file = RollingFile::new("/var/log/app/app.log", Rotation::Size(10 << 20), 5)?;
/// let _guard = Config::from_env().writer(file).install()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// **Rotated by another tool.** The file also follows its path, as
/// Python's `WatchedFileHandler` does: before a write, it checks that
/// `path` still names the file it has open (same device and inode) and,
/// when the path was moved away (logrotate's `create` mode) or deleted, or
/// names another file, opens `path` again, creating it, and writes there.
/// A file truncated in place (logrotate's `copytruncate`) needs no reopen:
/// it is opened for appending, so writes go on at its new end, with no
/// hole before them. [`RollingFile::watched`] (that is,
/// [`Rotation::Never`]) is a file pulselog never rotates itself and leaves
/// to such a tool; `docs/outputs.md` has the logrotate configuration.
///
/// ```no_run
/// use pulselog::{Config, Output, RollingFile};
///
/// let _guard = Config::from_env()
///     .output(Output::file(RollingFile::watched("/var/log/app/app.log")?))
///     .install()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// - **Cost**: one `stat` of the path per write of the writer thread,
///   none on the threads that log. The writer writes batches of up to
///   64 KiB, so under load one `stat` serves many lines, and when lines
///   come one at a time, each has its own, as with `WatchedFileHandler`.
///   Measured on a small Linux VM: 2.0 µs per `stat`, where writing one
///   200-byte line takes 1.6 µs and a 64 KiB batch 35 to 50 µs. Where std
///   tells no file identity (other than Unix), only a path that is missing
///   is seen.
/// - **Whole lines**: the check happens only where a line starts, so a
///   line cut by a short write is finished in the file it was begun in,
///   and no batch is split across two files in the middle of a line.
/// - **Until the next write**: the file that was moved stays open until
///   the next write finds the move, and the write that was under way at
///   the moment of the move lands in it; logrotate's `delaycompress`
///   leaves that file uncompressed until the next rotation.
/// - **A reopen that fails** (the directory is gone, the new file is not
///   ours to write) is said on stderr; the lines go on into the file open
///   before, and the reopen is tried again a second later.
/// - **SIGHUP**, the daemons' "reopen your logs": opt in with
///   [`RollingFile::reopen_all_on_sighup`], or call
///   [`RollingFile::reopen_all`] from the program's own signal handling.
pub struct RollingFile {
    path: PathBuf,
    file: File,
    /// The open file's device and inode, to tell whether `path` still
    /// names it.
    identity: Identity,
    /// The count of [`REOPENS`] this file last answered.
    answered: usize,
    /// After a reopen that failed, when the next is tried.
    retry_at: Option<Instant>,
    rotation: Rotation,
    keep: usize,
    /// Bytes in the current file (for [`Rotation::Size`]).
    size: u64,
    /// The local period (date and hour) of the last write, or of the
    /// file's modification when nothing was written yet (for the
    /// time-based rotations): a file left by a run of an earlier period is
    /// rotated before the first write of this one.
    period: Option<Period>,
    /// Whether the last byte written ended a line: a file is rotated only
    /// there, so a line cut by a short write stays in one file.
    line_start: bool,
}

impl fmt::Debug for RollingFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RollingFile")
            .field("path", &self.path)
            .field("rotation", &self.rotation)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

/// A local date and hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Period {
    /// Days since 1970-01-01 in local time.
    date: i64,
    hour: u8,
}

impl Period {
    /// The local date and hour at `t` (UTC where the system's time zone
    /// cannot be read, and elsewhere than Unix).
    fn at(t: SystemTime) -> Option<Period> {
        let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).ok()?,
            Err(before) => {
                // A time before 1970 with a fraction of a second is in the
                // second that starts one earlier.
                let d = before.duration();
                let whole = i64::try_from(d.as_secs()).ok()?;
                -whole - i64::from(d.subsec_nanos() > 0)
            }
        };
        let local = secs.checked_add(civil::local_offset(secs))?;
        Some(Period {
            date: local.div_euclid(86_400),
            // Below 24.
            hour: (local.rem_euclid(86_400) / 3600) as u8,
        })
    }
}

/// Whether a write in period `now` starts a new file after one in `last`.
fn due(rotation: Rotation, last: Period, now: Period) -> bool {
    match rotation {
        Rotation::Size(_) | Rotation::Never => false,
        // Any other hour, the clock set back included.
        Rotation::Hourly => now != last,
        Rotation::Daily => now.date > last.date,
    }
}

/// `path.n`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// The `n` of every `path.n` in `path`'s directory.
fn numbers(path: &Path) -> io::Result<Vec<usize>> {
    let (Some(dir), Some(stem)) = (path.parent(), path.file_name()) else {
        return Ok(Vec::new());
    };
    let stem = stem.to_string_lossy();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name
            .strip_prefix(&*stem)
            .and_then(|rest| rest.strip_prefix('.'))
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
        {
            found.push(n);
        }
    }
    Ok(found)
}

/// Opens `path` for appending (`O_APPEND`: every write lands at the
/// file's end, also after another program truncated it), creating it.
fn open(path: &Path) -> io::Result<(File, Metadata)> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let meta = file.metadata()?;
    Ok((file, meta))
}

/// Which file a path names: its device and inode, as `WatchedFileHandler`
/// compares them. Elsewhere than Unix std tells no file identity, and all
/// files are alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    #[cfg(unix)]
    dev: u64,
    #[cfg(unix)]
    ino: u64,
}

impl Identity {
    fn of(meta: &Metadata) -> Identity {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            Identity {
                dev: meta.dev(),
                ino: meta.ino(),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Identity {}
        }
    }
}

impl RollingFile {
    /// Opens `path` for appending (creating it and its directory if need
    /// be), rotating by `rotation` and keeping `keep` old files. Fails when
    /// the directory cannot be made or the file cannot be opened, or when
    /// `Rotation::Size` is 0.
    pub fn new(path: impl AsRef<Path>, rotation: Rotation, keep: usize) -> io::Result<RollingFile> {
        if rotation == Rotation::Size(0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a rotation size of 0 bytes",
            ));
        }
        let path = path.as_ref();
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let path = parent.join(path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the path names no file")
        })?);
        std::fs::create_dir_all(&parent)?;
        let (file, meta) = open(&path)?;
        let period = match rotation {
            Rotation::Size(_) | Rotation::Never => None,
            Rotation::Hourly | Rotation::Daily => meta.modified().ok().and_then(Period::at),
        };
        Ok(RollingFile {
            path,
            file,
            identity: Identity::of(&meta),
            answered: REOPENS.load(Ordering::Relaxed),
            retry_at: None,
            rotation,
            keep,
            size: meta.len(),
            period,
            line_start: true,
        })
    }

    /// A file pulselog never rotates, left to another tool such as
    /// logrotate: `RollingFile::new(path, Rotation::Never, 0)`. It follows
    /// its path (see [`RollingFile`]): moved away or deleted, it is opened
    /// again before the next write.
    pub fn watched(path: impl AsRef<Path>) -> io::Result<RollingFile> {
        RollingFile::new(path, Rotation::Never, 0)
    }

    /// The current file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes every `RollingFile` of the process open its path again before
    /// its next write, whether or not the path was moved: for a program
    /// that handles SIGHUP itself (with `tokio::signal`, `signal-hook`, a
    /// control socket) and passes the request on. One relaxed atomic
    /// increment, so it may be called from a signal handler.
    pub fn reopen_all() {
        REOPENS.fetch_add(1, Ordering::Relaxed);
    }

    /// Installs a SIGHUP handler that does [`RollingFile::reopen_all`] and
    /// nothing else (an atomic increment, which is async-signal-safe), so
    /// that `kill -HUP` (logrotate's `postrotate`) makes every file reopen
    /// at its next write. A library leaves a process's signals alone unless
    /// asked: nothing is installed without this call.
    ///
    /// - It replaces SIGHUP's default action, which ends the process, or an
    ///   ignored SIGHUP (`nohup`): from then on SIGHUP no longer ends the
    ///   process. The handler is installed with `SA_RESTART`, so the other
    ///   threads' system calls that it interrupts are restarted, not failed.
    /// - A handler the program (or a crate such as `signal-hook`, which
    ///   `tokio::signal` uses) installed before is left in place, and this
    ///   fails with [`io::ErrorKind::AlreadyExists`]: call
    ///   [`RollingFile::reopen_all`] from that handling instead. Nothing is
    ///   chained.
    /// - Installed once: a second call does nothing and succeeds.
    ///
    /// A handler installed after this one replaces it, as any later
    /// `sigaction` does.
    #[cfg(unix)]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn reopen_all_on_sighup() -> io::Result<()> {
        sighup::install()
    }

    /// Before a write that starts a line: opens `path` again when it no
    /// longer names the open file or a reopen was asked for. A reopen that
    /// fails is said once on stderr and tried again [`REOPEN_RETRY`] later;
    /// meanwhile the lines go into the file that is open.
    fn follow_path(&mut self) {
        let asked = REOPENS.load(Ordering::Relaxed);
        let moved = match std::fs::metadata(&self.path) {
            Ok(meta) if Identity::of(&meta) == self.identity => {
                // Truncated in place: the size counts from its new end.
                // Never up to the file's length: after a rotation that
                // failed the size starts from 0, so that it is not retried
                // at every write.
                self.size = self.size.min(meta.len());
                false
            }
            // Moved away, deleted, or out of reach.
            _ => true,
        };
        if (!moved && asked == self.answered) || self.retry_at.is_some_and(|at| Instant::now() < at)
        {
            return;
        }
        match open(&self.path) {
            Ok((file, meta)) => {
                if self.retry_at.take().is_some() {
                    say(format_args!(
                        "the log file {} is open again",
                        self.path.display()
                    ));
                }
                self.file = file;
                self.identity = Identity::of(&meta);
                self.size = meta.len();
                self.answered = asked;
            }
            Err(e) => {
                if self.retry_at.is_none() {
                    say(format_args!(
                        "opening the log file {} again failed ({e}); lines go on into the file open before, and the reopen is tried again every second",
                        self.path.display()
                    ));
                }
                self.retry_at = Some(Instant::now() + REOPEN_RETRY);
            }
        }
    }

    /// Whether the write about to happen goes to a new file; for the
    /// time-based rotations, notes its period.
    fn rotation_due(&mut self) -> bool {
        match self.rotation {
            Rotation::Never => false,
            Rotation::Size(limit) => self.size > limit,
            Rotation::Hourly | Rotation::Daily => {
                let now = Period::at(SystemTime::now());
                let due = matches!((self.period, now), (Some(last), Some(now)) if due(self.rotation, last, now));
                self.period = now.or(self.period);
                due
            }
        }
    }

    /// `path.{keep-1}` → `path.{keep}`, …, `path` → `path.1`, a new
    /// `path`, and every `path.n` past `keep` deleted. With `keep` 0 the
    /// old file is deleted.
    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            for n in (1..self.keep).rev() {
                let from = numbered(&self.path, n);
                if from.exists() {
                    std::fs::rename(&from, numbered(&self.path, n + 1))?;
                }
            }
            std::fs::rename(&self.path, numbered(&self.path, 1))?;
        }
        let (file, meta) = open(&self.path)?;
        self.file = file;
        self.identity = Identity::of(&meta);
        self.size = 0;
        for n in numbers(&self.path)? {
            if n > self.keep {
                std::fs::remove_file(numbered(&self.path, n))?;
            }
        }
        Ok(())
    }
}

impl Write for RollingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.line_start {
            self.follow_path();
            if self.rotation_due() {
                // A rotation that fails is reported with this write and not
                // retried before the next period or size: the lines go on
                // into the current file rather than being lost.
                let rotated = self.rotate();
                self.size = 0;
                rotated?;
            }
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        if n > 0 {
            self.line_start = buf[n - 1] == b'\n';
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The SIGHUP handler of [`RollingFile::reopen_all_on_sighup`].
#[cfg(unix)]
mod sighup {
    use super::REOPENS;
    use std::io;
    use std::sync::atomic::Ordering;
    use std::sync::{Mutex, PoisonError};

    extern "C" fn on_sighup(_: libc::c_int) {
        REOPENS.fetch_add(1, Ordering::Relaxed);
    }

    /// `sigaction` with an all-zero action: no handler, no flags, an empty
    /// mask.
    fn zeroed() -> libc::sigaction {
        // SAFETY: `sigaction` is a C struct of integers, a signal set and
        // (on some systems) an optional function pointer, for all of which
        // all-zero bytes are a valid value.
        unsafe { std::mem::zeroed() }
    }

    pub(super) fn install() -> io::Result<()> {
        // Held across the check and the installation, so that two threads
        // calling at once install once; `true` once installed.
        static INSTALLED: Mutex<bool> = Mutex::new(false);
        let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
        if *installed {
            return Ok(());
        }
        let handler = on_sighup as extern "C" fn(libc::c_int) as libc::sighandler_t;
        let mut old = zeroed();
        // SAFETY: a null action only reads the current one into `old`, a
        // valid `sigaction` to write.
        if unsafe { libc::sigaction(libc::SIGHUP, std::ptr::null(), &raw mut old) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if ![libc::SIG_DFL, libc::SIG_IGN, handler].contains(&old.sa_sigaction) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "SIGHUP has a handler already; call RollingFile::reopen_all from it",
            ));
        }
        let mut action = zeroed();
        action.sa_sigaction = handler;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `action.sa_mask` is a valid signal set to write.
        unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
        // SAFETY: `action` is a valid action whose handler only increments
        // an atomic, which is async-signal-safe; the old one is not asked
        // for (null).
        if unsafe { libc::sigaction(libc::SIGHUP, &raw const action, std::ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        *installed = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Period, RollingFile, Rotation, due};
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant, SystemTime};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pulselog-file-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The files of `dir`, sorted, with their text.
    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn what_cannot_work_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("pulselog-file-{}", std::process::id()));
        let err = RollingFile::new(dir.join("a.log"), Rotation::Size(0), 1).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        // A directory where the file should be.
        std::fs::create_dir_all(dir.join("taken.log")).unwrap();
        assert!(RollingFile::new(dir.join("taken.log"), Rotation::Daily, 1).is_err());
        let file = RollingFile::new(dir.join("sub/b.log"), Rotation::Hourly, 1).unwrap();
        assert!(file.path().ends_with("sub/b.log") && file.path().exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn past_the_size_the_files_shift_and_those_past_keep_go() {
        let dir = scratch("size");
        // Left by an earlier run that kept more files.
        std::fs::write(dir.join("a.log.7"), "stale\n").unwrap();
        std::fs::write(dir.join("a.log.x"), "not a numbered file\n").unwrap();
        let mut f = RollingFile::new(dir.join("a.log"), Rotation::Size(10), 2).unwrap();
        // Rotation comes before the write that finds the file past the
        // size, so a file holds whole writes.
        for line in [
            "first 0123\n",
            "second\n",
            "third 0123\n",
            "fourth\n",
            "fifth\n",
        ] {
            f.write_all(line.as_bytes()).unwrap();
        }
        f.flush().unwrap();
        assert_eq!(
            files(&dir),
            [
                ("a.log".to_owned(), "fourth\nfifth\n".to_owned()),
                ("a.log.1".to_owned(), "second\nthird 0123\n".to_owned()),
                ("a.log.2".to_owned(), "first 0123\n".to_owned()),
                ("a.log.x".to_owned(), "not a numbered file\n".to_owned()),
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_existing_file_counts_and_keep_zero_keeps_nothing() {
        let dir = scratch("existing");
        std::fs::write(dir.join("a.log"), "from an earlier run\n").unwrap();
        let mut f = RollingFile::new(dir.join("a.log"), Rotation::Size(10), 0).unwrap();
        f.write_all(b"new\n").unwrap();
        f.flush().unwrap();
        assert_eq!(files(&dir), [("a.log".to_owned(), "new\n".to_owned())]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_of_an_earlier_day_is_rotated_before_the_first_write() {
        let dir = scratch("daily");
        std::fs::write(dir.join("old.log"), "the day before yesterday\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(dir.join("old.log"))
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(2 * 86_400))
            .unwrap();
        std::fs::write(dir.join("new.log"), "today\n").unwrap();
        let mut old = RollingFile::new(dir.join("old.log"), Rotation::Daily, 3).unwrap();
        let mut new = RollingFile::new(dir.join("new.log"), Rotation::Hourly, 3).unwrap();
        old.write_all(b"now\n").unwrap();
        new.write_all(b"now\n").unwrap();
        let found = files(&dir);
        assert!(found.contains(&("old.log".to_owned(), "now\n".to_owned())));
        assert!(found.contains(&(
            "old.log.1".to_owned(),
            "the day before yesterday\n".to_owned()
        )));
        // Written within the hour (a test run across the hour's change
        // would see a rotation here, so only the lines are checked).
        let today: String = found
            .iter()
            .filter(|(n, _)| n.starts_with("new.log"))
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .concat();
        assert!(
            today == "today\nnow\n" || today == "now\ntoday\n",
            "{today:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn hourly_rotates_on_any_other_hour_daily_on_a_later_date() {
        let at = |date: &str, hour: u8| {
            let mut ymd = date.split('-').map(|n| n.parse::<i64>().unwrap());
            let (y, m, d) = (
                ymd.next().unwrap(),
                ymd.next().unwrap(),
                ymd.next().unwrap(),
            );
            Period {
                date: crate::civil::days_from_civil(y, m as u8, d as u8),
                hour,
            }
        };
        let (d1h9, d1h10, d2h0) = (
            at("2026-03-01", 9),
            at("2026-03-01", 10),
            at("2026-03-02", 0),
        );
        assert!(!due(Rotation::Hourly, d1h9, d1h9));
        assert!(due(Rotation::Hourly, d1h9, d1h10));
        // The clock set back an hour (the end of summer time).
        assert!(due(Rotation::Hourly, d1h10, d1h9));
        assert!(due(Rotation::Hourly, at("2026-03-01", 0), d2h0));
        assert!(!due(Rotation::Daily, d1h9, d1h10));
        assert!(due(Rotation::Daily, d1h10, d2h0));
        assert!(!due(Rotation::Daily, d2h0, d1h10));
        assert!(!due(Rotation::Size(1), d1h9, d2h0));
        assert!(!due(Rotation::Never, d1h9, d2h0));
        assert!(Period::at(SystemTime::now()).is_some());
    }

    /// `(name, text)` pairs, for comparing with [`files`].
    fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|&(n, t)| (n.to_owned(), t.to_owned()))
            .collect()
    }

    #[test]
    fn a_path_moved_away_or_deleted_is_opened_again_before_the_next_write() {
        let dir = scratch("moved");
        let mut f = RollingFile::watched(dir.join("a.log")).unwrap();
        f.write_all(b"first\n").unwrap();
        // logrotate's `create` mode.
        std::fs::rename(dir.join("a.log"), dir.join("a.log.1")).unwrap();
        f.write_all(b"second\n").unwrap();
        assert_eq!(
            files(&dir),
            expect(&[("a.log", "second\n"), ("a.log.1", "first\n")])
        );
        std::fs::remove_file(dir.join("a.log")).unwrap();
        f.write_all(b"third\n").unwrap();
        // Another file put in its place.
        std::fs::rename(dir.join("a.log"), dir.join("a.log.2")).unwrap();
        std::fs::write(dir.join("a.log"), "by another program\n").unwrap();
        f.write_all(b"fourth\n").unwrap();
        assert_eq!(
            files(&dir),
            expect(&[
                ("a.log", "by another program\nfourth\n"),
                ("a.log.1", "first\n"),
                ("a.log.2", "third\n"),
            ])
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_line_begun_before_the_move_is_finished_in_the_file_it_was_begun_in() {
        let dir = scratch("torn");
        let mut f = RollingFile::watched(dir.join("a.log")).unwrap();
        // A short write left the line unfinished.
        f.write_all(b"begun ").unwrap();
        std::fs::rename(dir.join("a.log"), dir.join("a.log.1")).unwrap();
        f.write_all(b"and ended\n").unwrap();
        f.write_all(b"next\n").unwrap();
        assert_eq!(
            files(&dir),
            expect(&[("a.log", "next\n"), ("a.log.1", "begun and ended\n")])
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_truncated_in_place_is_written_from_its_new_end() {
        let dir = scratch("truncated");
        let mut watched = RollingFile::watched(dir.join("a.log")).unwrap();
        let mut sized = RollingFile::new(dir.join("b.log"), Rotation::Size(10), 1).unwrap();
        for f in [&mut watched, &mut sized] {
            f.write_all(b"twelve bytes\n").unwrap();
        }
        // logrotate's `copytruncate`, without the copy.
        for name in ["a.log", "b.log"] {
            std::fs::File::options()
                .write(true)
                .open(dir.join(name))
                .unwrap()
                .set_len(0)
                .unwrap();
        }
        for f in [&mut watched, &mut sized] {
            f.write_all(b"after\n").unwrap();
        }
        // No hole of zeros where the old text was, and the size rotation
        // counts from the truncation: no `b.log.1`.
        assert_eq!(
            files(&dir),
            expect(&[("a.log", "after\n"), ("b.log", "after\n")])
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_watched_file_never_rotates_itself() {
        let dir = scratch("never");
        let mut f = RollingFile::new(dir.join("a.log"), Rotation::Never, 3).unwrap();
        let line = [b'x'; 4095];
        for _ in 0..64 {
            f.write_all(&line).unwrap();
            f.write_all(b"\n").unwrap();
        }
        let found = files(&dir);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1.len(), 64 * 4096);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn reopen_all_makes_each_file_open_its_path_again_once() {
        use std::os::fd::AsRawFd as _;
        let dir = scratch("reopen-all");
        let mut f = RollingFile::watched(dir.join("a.log")).unwrap();
        f.write_all(b"before\n").unwrap();
        let fd = f.file.as_raw_fd();
        RollingFile::reopen_all();
        f.write_all(b"asked\n").unwrap();
        // The path is opened while the old file is still open, so its
        // descriptor is another.
        let reopened = f.file.as_raw_fd();
        assert_ne!(reopened, fd);
        f.write_all(b"after\n").unwrap();
        assert_eq!(f.file.as_raw_fd(), reopened, "one reopen per request");
        assert_eq!(files(&dir), expect(&[("a.log", "before\nasked\nafter\n")]));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_reopen_that_fails_leaves_the_lines_in_the_open_file_and_is_tried_again() {
        let dir = scratch("unreachable");
        let mut f = RollingFile::watched(dir.join("sub/a.log")).unwrap();
        f.write_all(b"first\n").unwrap();
        // The path's directory is gone: `a.log` cannot be created there.
        std::fs::rename(dir.join("sub"), dir.join("moved")).unwrap();
        f.write_all(b"second\n").unwrap();
        assert!(f.retry_at.is_some());
        assert_eq!(
            files(&dir.join("moved")),
            expect(&[("a.log", "first\nsecond\n")])
        );
        std::fs::create_dir(dir.join("sub")).unwrap();
        // The retry's time has come.
        f.retry_at = Some(Instant::now());
        f.write_all(b"third\n").unwrap();
        assert!(f.retry_at.is_none());
        assert_eq!(files(&dir.join("sub")), expect(&[("a.log", "third\n")]));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
