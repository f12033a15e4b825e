//! The panic hook: a panic becomes a CRITICAL event with its message,
//! location, backtrace and the request context of the flow that panicked,
//! written out before the process goes on to die.
//!
//! The hook runs on the panicking thread before unwinding starts, so the
//! thread-local context of the request (and of a future being polled) is
//! still in force. It logs, waits until the line is written, then runs the
//! hook that was installed before it (by default, the message on stderr).

use crate::callsite::internal_site;
use crate::level::Level;
use crate::record::RecordBuilder;
use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::sync::Once;

// `filename`, `lineno` and `funcName` are replaced per event by the panic's
// own location.
internal_site! {
    static PANIC_SITE: Critical,
    target = "panic",
    template = "thread '{thread}' panicked at {location}: {payload}",
    message = ["thread '" {0} "' panicked at " {1} ": " {2}],
    fields = [],
    message_values = 3,
}

thread_local! {
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// Chains pulselog's hook in front of the current one (once per process).
pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A panic inside a value's `Display` is caught by pulselog and
            // becomes a placeholder: it is no news to report (unless panics
            // abort: then it is the program's last word).
            if cfg!(panic = "unwind") && crate::record::in_guarded() {
                return;
            }
            log_panic(info);
            previous(info);
        }));
    });
}

fn log_panic(info: &PanicHookInfo<'_>) {
    // The writer thread cannot wait for itself, and a panic while logging
    // a panic must not recurse.
    if crate::writer::on_writer_thread() {
        return;
    }
    if IN_HOOK.try_with(|h| h.replace(true)).unwrap_or(true) {
        return;
    }
    if PANIC_SITE.enabled(Level::Critical) {
        let mut rec = RecordBuilder::new(&PANIC_SITE, Level::Critical);
        let thread = std::thread::current();
        rec.push_str(thread.name().unwrap_or("<unnamed>"));
        match info.location() {
            Some(loc) => rec.display(loc),
            None => rec.push_str("<unknown location>"),
        }
        rec.push_str(crate::exc_info::payload_message(info.payload()));
        crate::exc_info::capture_panic(&mut rec, info.payload(), info.location(), true);
        rec.submit();
        crate::logger::flush();
    }
    let _ = IN_HOOK.try_with(|h| h.set(false));
}
