//! Log files that rotate, for `Config::writer`:
//! the writer thread writes them, so no log call waits on the disk.
//! Rotation is renames and a directory listing (std); the local hour and
//! date come from jiff, which formats the timestamps too.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

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
    Hourly,
    /// When the local date changes.
    Daily,
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
pub struct RollingFile {
    path: PathBuf,
    file: File,
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
    date: jiff::civil::Date,
    hour: i8,
}

impl Period {
    /// The local date and hour at `t` (UTC where the system's time zone
    /// cannot be read).
    fn at(t: SystemTime) -> Option<Period> {
        let ts = jiff::Timestamp::try_from(t).ok()?;
        let local = jiff::tz::TimeZone::system().to_datetime(ts);
        Some(Period {
            date: local.date(),
            hour: local.hour(),
        })
    }
}

/// Whether a write in period `now` starts a new file after one in `last`.
fn due(rotation: Rotation, last: Period, now: Period) -> bool {
    match rotation {
        Rotation::Size(_) => false,
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

fn open(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
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
        let file = open(&path)?;
        let meta = file.metadata()?;
        let period = match rotation {
            Rotation::Size(_) => None,
            Rotation::Hourly | Rotation::Daily => meta.modified().ok().and_then(Period::at),
        };
        Ok(RollingFile {
            path,
            file,
            rotation,
            keep,
            size: meta.len(),
            period,
            line_start: true,
        })
    }

    /// The current file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the write about to happen goes to a new file; for the
    /// time-based rotations, notes its period.
    fn rotation_due(&mut self) -> bool {
        match self.rotation {
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
        self.file = open(&self.path)?;
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
        if self.line_start && self.rotation_due() {
            // A rotation that fails is reported with this write and not
            // retried before the next period or size: the lines go on into
            // the current file rather than being lost.
            let rotated = self.rotate();
            self.size = 0;
            rotated?;
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

#[cfg(test)]
mod tests {
    use super::{Period, RollingFile, Rotation, due};
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

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
        let at = |date: &str, hour: i8| Period {
            date: date.parse().unwrap(),
            hour,
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
        assert!(Period::at(SystemTime::now()).is_some());
    }
}
