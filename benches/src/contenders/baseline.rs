//! No logger: the harness's own cost (clock reads, histogram, process
//! footprint), and W4's function without instrumentation, for reference.

use crate::workload::{Logger, Traced};
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

/// W4's trivial function as it is, not instrumented: what `#[logged]` with
/// its events filtered out is compared with.
#[derive(Debug)]
pub struct PlainFunction;

#[inline(never)]
fn work(x: u64) -> u64 {
    x.wrapping_mul(3)
}

impl Traced for PlainFunction {
    fn install(out: &Path, _capacity: usize, _enabled: bool) -> Box<dyn FnOnce()> {
        // An empty output: the function writes nothing.
        drop(super::open(out));
        Box::new(|| {})
    }

    fn call_enabled(i: u64) -> u64 {
        work(i)
    }

    fn call_disabled(i: u64) -> u64 {
        work(i)
    }

    fn lines_for(_n: u64) -> u64 {
        0
    }
}
