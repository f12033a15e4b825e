//! pulselog's own diagnostics, on stderr: what the program's log output
//! cannot carry (the output itself failing, a configuration refused, events
//! lost at exit). Every layer may report through it, so it uses nothing of
//! the crate.

use std::io::Write as _;

/// Writes a message of pulselog's own on stderr, `pulselog: ` first. A
/// stderr that fails is ignored: it may be the same full disk as the output,
/// and `eprintln!` would panic.
pub(crate) fn say(msg: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "pulselog: {msg}");
}
