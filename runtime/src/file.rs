//! Log files that rotate, for `Config::writer`:
//! the writer thread writes them, so no log call waits on the disk.
//! Rotation is the `file-rotate` crate's.

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate, TimeFrequency};
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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
    inner: FileRotate<AppendCount>,
}

impl fmt::Debug for RollingFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RollingFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RollingFile {
    /// Opens `path` for appending (creating it and its directory if need
    /// be), rotating by `rotation` and keeping `keep` old files. Fails when
    /// the directory cannot be made or the file cannot be opened, or when
    /// `Rotation::Size` is 0.
    pub fn new(path: impl AsRef<Path>, rotation: Rotation, keep: usize) -> io::Result<RollingFile> {
        let path = path.as_ref().to_path_buf();
        let limit = match rotation {
            Rotation::Size(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a rotation size of 0 bytes",
                ));
            }
            Rotation::Size(bytes) => {
                ContentLimit::BytesSurpassed(usize::try_from(bytes).unwrap_or(usize::MAX))
            }
            Rotation::Hourly => ContentLimit::Time(TimeFrequency::Hourly),
            Rotation::Daily => ContentLimit::Time(TimeFrequency::Daily),
        };
        // `file-rotate` panics when it cannot make the directory, and
        // writes nowhere when it cannot open the file: both are checked
        // here, where they can be reported.
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        let path = parent.join(path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the path names no file")
        })?);
        let inner = FileRotate::new(
            &path,
            AppendCount::new(keep),
            limit,
            Compression::None,
            None,
        );
        Ok(RollingFile { path, inner })
    }

    /// The current file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Write for RollingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::{RollingFile, Rotation};

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
}
