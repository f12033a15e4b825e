//! `Overflow::Drop`: with the output stuck, a full ring drops events at
//! once and counts them; the count is reported in a line once the output
//! drains. Nothing is lost silently: written + reported = logged.

mod common;

use common::Gate;
use pulselog::prelude::*;
use pulselog::{Config, Format, Overflow};

#[test]
fn a_full_ring_drops_and_counts() {
    let gate = Gate::default();
    let _guard = Config::new()
        .format(Format::Json)
        .capacity(2)
        .overflow(Overflow::Drop)
        .writer(gate.clone())
        .install()
        .unwrap();
    const N: u64 = 500;
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
