//! Loom models of the ways the logger ends, run on the production code
//! (see `crate::sync`): shutdowns (`Logger::shutdown`, `stop_writer`,
//! `drain_into`) and a flush (`Logger::flush`, `wait_stopped`) racing
//! while the writer thread (`writer::run`) stops, each caller after
//! logging an event (`Logger::deliver`, `write_sync`).

use super::{Logger, Phase, lock};
use crate::queue::loom::{Written, event, queue};
use crate::sync::{Arc, model};

/// An installed logger (without the process-wide state), writing text
/// lines into `written`.
fn logger(written: &Written) -> Arc<Logger> {
    let (logger, err) = Logger::start(Arc::new(queue(4)), written.output(), false);
    assert!(err.is_none(), "the writer thread starts");
    Arc::new(logger)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Flush,
    Shutdown,
}

/// Each caller logs event `n` (from 1) and then flushes or shuts down;
/// when `.1` is set, its event must be written when the call returns.
/// After them, the exit's last drain (`Logger::finish`) must leave every
/// event written.
fn race(name: &str, bound: usize, calls: &'static [(Call, bool)]) {
    model(name, bound, move || {
        let written = Written::default();
        let logger = logger(&written);
        let caller = |(&(call, own_event_written), n): (&(Call, bool), u64)| {
            let logger = Arc::clone(&logger);
            let written = written.clone();
            move || {
                logger.deliver(event(n));
                match call {
                    Call::Flush => logger.flush(),
                    Call::Shutdown => logger.shutdown(),
                }
                if own_event_written {
                    assert!(
                        written.has(n),
                        "a caller's event is written when it returns ({call:?})"
                    );
                }
            }
        };
        // The first caller is the model's own thread.
        let mut callers = calls.iter().zip(1..).map(caller);
        let first = callers.next().expect("a caller");
        let others: Vec<_> = callers.map(::loom::thread::spawn).collect();
        first();
        others.into_iter().for_each(|c| c.join().unwrap());
        assert_eq!(*lock(&logger.phase), Phase::Stopped);
        logger.finish();
        for n in 1..=calls.len() as u64 {
            assert!(written.has(n), "every event is written after the exit");
        }
    });
}

/// A shutdown (a guard's drop) and a flush race, each after logging an
/// event: both return, each with its own event written. A flush the
/// stopping writer refused waits for the shutdown (`wait_stopped`) and
/// then drains what is left into the output.
#[test]
fn loom_a_shutdown_and_a_flush_racing_both_return_with_their_events_written() {
    race(
        "shutdown and flush",
        1,
        &[(Call::Shutdown, true), (Call::Flush, true)],
    );
}

/// Two shutdowns (a guard's drop, `exit` on another thread) and a flush
/// race, each after logging an event: all return, the flush with its event
/// written, and after the exit's last drain every event is. (The shutdown
/// that finds the writer stopped may return before an event it queued as
/// the writer stopped is written: the exit's drain writes it.)
#[test]
fn loom_two_shutdowns_and_a_flush_racing_all_return_and_every_event_is_written() {
    race(
        "two shutdowns and a flush",
        0,
        &[
            (Call::Shutdown, false),
            (Call::Shutdown, false),
            (Call::Flush, true),
        ],
    );
}
