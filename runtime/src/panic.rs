//! The panic hook: a panic becomes a CRITICAL event with its message,
//! location, backtrace and the request context of the flow that panicked.
//!
//! The hook runs on the panicking thread before unwinding starts, so the
//! thread-local context of the request (and of a future being polled) is
//! still in force. It captures the backtrace unresolved and queues the
//! event, as any log call does: symbolization (which meets cold debug info
//! on a process's first panic, hundreds of milliseconds) happens on the
//! writer thread, and the panicking thread — often an async runtime's
//! worker, with requests queued behind it — goes on at once. Then it runs
//! the hook that was installed before it (by default, the message on
//! stderr), unless that would show the same panic twice on one terminal:
//! see [`PanicStderr`].
//!
//! No line is lost when the panic ends the process: a panic that unwinds
//! out of `main` (or a thread's panic that `main` passes on) ends in
//! `exit`, whose handler writes everything queued, and so does the guard's
//! drop on the way; in a build with `panic = "abort"`, where the hook is
//! the last code to run, it waits until the line is written.

use crate::callsite::internal_site;
use crate::level::Level;
use crate::record::RecordBuilder;
use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the panic hook installed before pulselog's (by default the
/// standard one, which prints the panic on stderr) runs after pulselog has
/// logged the panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PanicStderr {
    /// It runs, unless pulselog writes to stderr, or to stdout when stdout
    /// and stderr are the same terminal: a person then reads the panic
    /// once, in the CRITICAL line, while a service that logs to stdout
    /// still gets the message on its stderr.
    #[default]
    Auto,
    /// It always runs.
    Always,
    /// It never runs after a panic pulselog logged.
    Never,
}

/// The decision [`PanicStderr`] leads to, for the installed logger.
static RUN_PREVIOUS: AtomicBool = AtomicBool::new(true);

thread_local! {
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// Chains pulselog's hook in front of the current one (once per process).
/// `to_stdout`, `to_stderr`: whether an output of the logger is stdout,
/// stderr.
pub(crate) fn install_hook(stderr: PanicStderr, to_stdout: bool, to_stderr: bool) {
    let run_previous = match stderr {
        PanicStderr::Always => true,
        PanicStderr::Never => false,
        PanicStderr::Auto => !(to_stderr || to_stdout && stdout_is_stderr_terminal()),
    };
    RUN_PREVIOUS.store(run_previous, Ordering::Relaxed);
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A panic inside a value's `Display` is caught by pulselog and
            // becomes a placeholder: it is no news to report (unless panics
            // abort: then it is the program's last word).
            if cfg!(panic = "unwind") && crate::encode::in_guarded() {
                return;
            }
            if !log_panic(info) || RUN_PREVIOUS.load(Ordering::Relaxed) {
                previous(info);
            }
        }));
    });
}

/// Whether stdout and stderr are one terminal (the same device).
#[cfg(unix)]
fn stdout_is_stderr_terminal() -> bool {
    use std::io::IsTerminal;
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    fn device(fd: std::os::fd::BorrowedFd<'_>) -> Option<(u64, u64)> {
        let m = std::fs::File::from(fd.try_clone_to_owned().ok()?)
            .metadata()
            .ok()?;
        Some((m.rdev(), m.ino()))
    }
    let (out, err) = (std::io::stdout(), std::io::stderr());
    out.is_terminal()
        && err.is_terminal()
        && device(out.as_fd()).is_some_and(|d| Some(d) == device(err.as_fd()))
}

#[cfg(not(unix))]
fn stdout_is_stderr_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

/// Logs the panic, waiting until it is written only when nothing runs
/// after the hook (`panic = "abort"`); false when it was not logged
/// (filtered out, or a panic of the writer or of this hook).
fn log_panic(info: &PanicHookInfo<'_>) -> bool {
    // `filename`, `lineno` and `funcName` are replaced per event by the
    // panic's own location.
    internal_site! {
        static PANIC_SITE: Critical,
        target = "panic",
        template = "thread '{thread}' panicked at {location}: {payload}",
        message = ["thread '" {0} "' panicked at " {1} ": " {2}],
        fields = [],
        message_values = 3,
    }
    // The writer thread's own panic is its end: nobody would write the
    // line. A panic while logging a panic must not recurse.
    if crate::writer::on_writer_thread() {
        return false;
    }
    if IN_HOOK.try_with(|h| h.replace(true)).unwrap_or(true) {
        return false;
    }
    let enabled = PANIC_SITE.enabled(Level::Critical);
    if enabled {
        let mut rec = RecordBuilder::new(&PANIC_SITE, Level::Critical);
        let thread = std::thread::current();
        let values = rec.values();
        values.push_str(thread.name().unwrap_or("<unnamed>"));
        match info.location() {
            Some(loc) => values.display(loc),
            None => values.push_str("<unknown location>"),
        }
        values.push_str(crate::exc_info::payload_message(info.payload()));
        rec.attach(crate::exc_info::capture_panic(
            info.payload(),
            info.location(),
            true,
        ));
        crate::logger::submit(rec);
        if cfg!(panic = "abort") {
            crate::logger::flush();
        }
    }
    let _ = IN_HOOK.try_with(|h| h.set(false));
    enabled
}
