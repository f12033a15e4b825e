//! `Overflow::Block` with an output that stops draining: a log call waits
//! until the writer has made no progress for a whole block timeout, then
//! gives up; later calls drop at once while the output stays stuck. The
//! drops are counted and reported: written + reported = logged.

// A test binary of its own: it installs the process's one logger. The rest
// of the overflow cases are in `overflow.rs`.
mod common;

use pulselog::{Config, Overflow};
use std::time::Duration;

#[test]
fn a_stuck_output_makes_blocking_give_up_and_count() {
    common::log_into_a_stuck_output(
        Config::new()
            .overflow(Overflow::Block)
            .block_timeout(Duration::from_millis(50)),
        50,
    );
}
