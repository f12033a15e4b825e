//! `Overflow::Drop`: with the output stuck, a full ring drops events at
//! once and counts them; the count is reported in a line once the output
//! drains. Nothing is lost silently: written + reported = logged.

// A test binary of its own: it installs the process's one logger. The rest
// of the overflow cases are in `overflow.rs`.
mod common;

use pulselog::{Config, Overflow};

#[test]
fn a_full_ring_drops_and_counts() {
    common::log_into_a_stuck_output(Config::new().overflow(Overflow::Drop), 500);
}
