//! No logger: the harness's own cost (clock reads, histogram, process
//! footprint), for reference.

use crate::workload::Logger;
use std::hint::black_box;
use std::path::Path;

/// The empty contender.
#[derive(Debug)]
pub struct Baseline;

impl Logger for Baseline {
    fn install(_out: &Path, _capacity: usize) -> Box<dyn FnOnce()> {
        Box::new(|| {})
    }

    #[inline]
    fn event(i: u64) {
        black_box(i);
    }

    #[inline]
    fn disabled(i: u64) {
        black_box(i);
    }
}
