//! `Overflow::Block` with an output that stops draining: a log call waits
//! up to the block timeout, then gives up; later calls drop at once. The
//! drops are counted and reported: written + reported = logged.

mod common;

use common::Gate;
use pulselog::prelude::*;
use pulselog::{Config, Format, Overflow};
use std::time::Duration;

#[test]
fn a_stuck_output_makes_blocking_give_up_and_count() {
    let gate = Gate::default();
    let _guard = Config::new()
        .format(Format::Json)
        .capacity(2)
        .overflow(Overflow::Block)
        .block_timeout(Duration::from_millis(50))
        .writer(gate.clone())
        .install()
        .unwrap();
    const N: u64 = 50;
    for i in 0..N {
        info!("event {i}");
    }
    gate.release();
    pulselog::flush();

    let lines = gate.lines();
    let (written, dropped) = common::written_and_dropped(&lines, "event ");
    assert!(
        dropped > 0,
        "the ring of 2 cannot hold {N} events: {lines:?}"
    );
    assert_eq!(written + dropped, N, "{lines:?}");
}
