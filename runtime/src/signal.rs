//! Ctrl-C and `SIGTERM` (`Config::flush_on_signal`): every event logged
//! before the signal is written, then the signal ends the process as it
//! would have.
//!
//! A signal handler may call only async-signal-safe functions, and writing
//! lines takes locks and allocates. So the handler does little:
//!
//! - With synchronous writes, nothing is queued: every line logged before
//!   the signal is written, but for one a thread may be writing now. The
//!   handler notes the signal; if no thread is inside a write, it ends the
//!   process at once, else the last one to leave its write does
//!   (`logger::ending`), and no new line is begun meanwhile. No thread is
//!   needed, which keeps a command-line tool's start-up cheap.
//! - With the writer thread, events may be queued. The handler writes the
//!   signal's number into a pipe; a thread of its own, blocked on the
//!   pipe's other end, does the work on an ordinary thread:
//!   `logger::finish` (what `exit` does: everything queued written, a line
//!   under way on another thread finished, later events not written),
//!   then the signal's default action, raised again.
//!
//! Raised again rather than `exit(130)`: a process killed by `SIGINT` is
//! what the shell and the parent expect (a shell script stops at a child
//! that died of Ctrl-C, and a parent reads `WIFSIGNALED`), and the shell
//! prints 130 or 143 for it.

use crate::diag::say;
use crate::logger::{end_by, ending};
use std::sync::Once;
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals taken.
const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

/// The pipe's writing end, for the handler (-1 until installed).
static PIPE: AtomicI32 = AtomicI32::new(-1);

/// The first signal caught (0: none yet). A second one ends the process
/// at once.
static CAUGHT: AtomicI32 = AtomicI32::new(0);

/// The process that installed the handler: a child after `fork()` has the
/// handler but not the thread that would act on it.
static OWNER: AtomicI32 = AtomicI32::new(0);

/// Starts the thread and takes the signals whose action is the default
/// (once per process).
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Err(e) = start() {
            say(format_args!(
                "flush_on_signal: {e}; SIGINT and SIGTERM keep their default action"
            ));
        }
    });
}

fn start() -> std::io::Result<()> {
    OWNER.store(std::process::id().cast_signed(), Ordering::Release);
    if !ending::synchronous() {
        start_thread()?;
    }
    for signo in SIGNALS {
        take(signo);
    }
    Ok(())
}

/// The pipe and the thread that acts on a signal while a writer thread
/// runs.
fn start_thread() -> std::io::Result<()> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let [read_end, write_end] = fds;
    std::thread::Builder::new()
        .name("pulselog-signal".into())
        .spawn(move || wait(read_end))?;
    PIPE.store(write_end, Ordering::Release);
    Ok(())
}

/// Installs the handler for `signo` if its action is the default.
fn take(signo: libc::c_int) {
    // SAFETY: a zeroed `sigaction` is a valid value to read into and to
    // fill; `sigaction` with a null new action only reads the current one.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(signo, std::ptr::null(), &raw mut old) != 0
            || old.sa_sigaction != libc::SIG_DFL
        {
            return;
        }
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // Interrupted reads and writes go on: a line being written is
        // finished rather than cut short by `EINTR`.
        new.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&raw mut new.sa_mask);
        libc::sigaction(signo, &raw const new, std::ptr::null_mut());
    }
}

/// The handler: async-signal-safe calls only (atomics, `getpid`, `write`,
/// `signal`, `raise`).
extern "C" fn on_signal(signo: libc::c_int) {
    // SAFETY: `getpid` is async-signal-safe and has no preconditions.
    let here = unsafe { libc::getpid() };
    let first = CAUGHT
        .compare_exchange(0, signo, Ordering::AcqRel, Ordering::Acquire)
        .is_ok();
    if !first {
        // A second signal: the default action, now.
        end_by(signo);
        return;
    }
    if ending::synchronous() {
        if ending::after_writes(signo) {
            end_by(signo);
        }
        return;
    }
    if here != OWNER.load(Ordering::Acquire) {
        // A child after `fork()` has no thread of the parent's.
        end_by(signo);
        return;
    }
    let byte = u8::try_from(signo).unwrap_or(0);
    // SAFETY: `write` is async-signal-safe; the buffer is one byte that
    // lives across the call, and a bad descriptor only makes it fail.
    let written = unsafe { libc::write(PIPE.load(Ordering::Acquire), (&raw const byte).cast(), 1) };
    if written != 1 {
        end_by(signo);
    }
}

/// The thread that acts on a signal.
fn wait(read_end: libc::c_int) {
    let mut byte = 0u8;
    loop {
        // SAFETY: reads at most one byte into `byte`, which outlives the
        // call.
        let n = unsafe { libc::read(read_end, (&raw mut byte).cast(), 1) };
        if n == 1 {
            break;
        }
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        // The pipe failed: there is no signal to wait for any more.
        return;
    }
    crate::logger::finish();
    let signo = libc::c_int::from(byte);
    // SAFETY: a zeroed set, filled by `sigemptyset`/`sigaddset`, is what
    // `pthread_sigmask` takes; unblocking a signal in this thread only lets
    // the `raise` below be delivered here.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        libc::sigaddset(&raw mut set, signo);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const set, std::ptr::null_mut());
    }
    end_by(signo);
    // Still here: the signal did not end the process (an action changed
    // meanwhile). End it as the shell would report the signal.
    // SAFETY: `_exit` has no preconditions; everything is written.
    unsafe { libc::_exit(128 + signo) }
}
