//! Where a channel's lines go ([`Sink`]), one write call at a time: stdout
//! and stderr as raw writes (on a pipe, whole lines of at most `PIPE_BUF`
//! bytes per write), a custom writer (a panic in it is caught), a syslog
//! daemon (one message per write); and how a batch of lines is cut into
//! writes ([`chunk_end`]).

use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

/// The longest wait between two attempts of a failing write (the writer
/// thread's, an output thread's).
pub(crate) const MAX_BACKOFF: Duration = Duration::from_millis(250);

/// Where lines go.
pub(crate) enum Sink {
    /// File descriptor 1; `pipe` when it is a pipe or FIFO.
    Stdout {
        pipe: bool,
    },
    /// File descriptor 2 (also what replaces a custom writer that
    /// panicked); `pipe` when it is a pipe or FIFO.
    Stderr {
        pipe: bool,
    },
    Writer(Box<dyn Write + Send>),
    /// A syslog daemon: each write is one message.
    Syslog(crate::syslog::Transport),
    /// No lines: the output of an OTLP export, which takes the records
    /// themselves (feature `otlp`).
    #[cfg(feature = "otlp")]
    None,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sink::Stdout { pipe } => write!(f, "Stdout {{ pipe: {pipe} }}"),
            Sink::Stderr { pipe } => write!(f, "Stderr {{ pipe: {pipe} }}"),
            Sink::Writer(_) => f.write_str("Writer"),
            Sink::Syslog(t) => t.fmt(f),
            #[cfg(feature = "otlp")]
            Sink::None => f.write_str("None"),
        }
    }
}

/// Why one write call did not go through.
pub(crate) enum Failure {
    Io(io::Error),
    /// The custom writer panicked.
    Panicked,
}

impl Sink {
    /// Stdout, as it is now.
    pub(crate) fn stdout() -> Sink {
        Sink::Stdout {
            pipe: is_pipe(&io::stdout()),
        }
    }

    /// Stderr, as it is now.
    pub(crate) fn stderr() -> Sink {
        Sink::Stderr {
            pipe: is_pipe(&io::stderr()),
        }
    }

    /// The size up to which one write reaches the reader in one piece, if
    /// writes larger than that may be interleaved with other writers'.
    /// `Some(0)`: every write is exactly one line (a sink of messages).
    pub(crate) fn atomic_size(&self) -> Option<usize> {
        match self {
            Sink::Stdout { pipe: true } | Sink::Stderr { pipe: true } => Some(PIPE_BUF),
            Sink::Syslog(_) => Some(0),
            _ => None,
        }
    }

    /// One write call.
    pub(crate) fn write_once(&mut self, buf: &[u8]) -> Result<usize, Failure> {
        match self {
            Sink::Stdout { .. } => write_stdout(buf).map_err(Failure::Io),
            Sink::Stderr { .. } => write_stderr(buf).map_err(Failure::Io),
            Sink::Writer(w) => match catch_unwind(AssertUnwindSafe(|| w.write(buf))) {
                Ok(r) => r.map_err(Failure::Io),
                Err(_) => Err(Failure::Panicked),
            },
            Sink::Syslog(t) => t.send(buf).map(|()| buf.len()).map_err(Failure::Io),
            #[cfg(feature = "otlp")]
            Sink::None => Ok(buf.len()),
        }
    }

    pub(crate) fn flush(&mut self) -> Result<(), Failure> {
        match self {
            // Raw writes: nothing is buffered.
            Sink::Stdout { .. } | Sink::Stderr { .. } | Sink::Syslog(_) => Ok(()),
            #[cfg(feature = "otlp")]
            Sink::None => Ok(()),
            Sink::Writer(w) => match catch_unwind(AssertUnwindSafe(|| w.flush())) {
                Ok(r) => r.map_err(Failure::Io),
                Err(_) => Err(Failure::Panicked),
            },
        }
    }
}

#[cfg(unix)]
pub(crate) const PIPE_BUF: usize = libc::PIPE_BUF;
#[cfg(not(unix))]
pub(crate) const PIPE_BUF: usize = 512;

#[cfg(unix)]
fn is_pipe(stream: &impl std::os::fd::AsFd) -> bool {
    use std::os::unix::fs::FileTypeExt;
    stream
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.file_type().is_fifo())
}

#[cfg(not(unix))]
fn is_pipe<T>(_: &T) -> bool {
    false
}

/// One `write(2)` to file descriptor 1, holding the lock of Rust's stdout
/// so that it does not interleave with a `println!` in the middle of its
/// own writes. (Through `Stdout`'s line buffer, one call could become
/// several, and a line bigger than the buffer could be split.)
#[cfg(unix)]
fn write_stdout(buf: &[u8]) -> io::Result<usize> {
    let _held = io::stdout().lock();
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes; writing to a
    // descriptor touches no memory of ours, and a closed descriptor 1 is an
    // `EBADF` error, not undefined behaviour.
    let n = unsafe { libc::write(libc::STDOUT_FILENO, buf.as_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

#[cfg(not(unix))]
fn write_stdout(buf: &[u8]) -> io::Result<usize> {
    io::stdout().lock().write(buf)
}

/// One `write(2)` to file descriptor 2 (Rust's stderr is unbuffered: its
/// lock keeps an `eprintln!` from interleaving).
fn write_stderr(buf: &[u8]) -> io::Result<usize> {
    io::stderr().lock().write(buf)
}

/// The end of one line in the batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct End {
    pub(crate) at: usize,
    /// A queued event, not a report of pulselog's own.
    pub(crate) event: bool,
}

/// The end of the next write from `at`: as many whole lines as fit in
/// `max` bytes, or the one line that starts there if it alone is longer.
/// `line` is the index of the first line that ends after `at`.
pub(crate) fn chunk_end(ends: &[End], line: usize, at: usize, max: usize) -> usize {
    let mut ends = ends[line..].iter().map(|e| e.at);
    let Some(mut end) = ends.next() else {
        return at + max;
    };
    for next in ends {
        if next - at > max {
            break;
        }
        end = next;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::{End, chunk_end};

    #[test]
    fn writes_are_cut_at_line_ends_within_the_atomic_size() {
        // Lines of 10, 30, 50 (longer than the size), 60 and 35 bytes.
        let ends = [10, 40, 90, 150, 185].map(|at| End { at, event: true });
        let first_after = |at: usize| ends.iter().position(|e| e.at > at).unwrap();
        let mut cuts = Vec::new();
        let mut at = 0;
        while at < 185 {
            at = chunk_end(&ends, first_after(at), at, 45);
            cuts.push(at);
        }
        assert_eq!(cuts, [40, 90, 150, 185]);
        // Resuming after a partial write, mid-line.
        assert_eq!(chunk_end(&ends, 1, 25, 45), 40);
        assert_eq!(chunk_end(&ends, 3, 120, 45), 150);
    }
}
