// `unsafe fn`, free and as a method.
#![deny(warnings)]
use pulselog::prelude::*;

/// # Safety
/// `p` must point at a live `u32`.
#[logged]
unsafe fn read(p: *const u32) -> u32 {
    // SAFETY: the caller promises `p` is valid.
    unsafe { *p }
}

struct Raw;

impl Raw {
    /// # Safety
    /// None needed; the method is only marked `unsafe`.
    #[logged(ret)]
    unsafe fn zero(&self) -> u32 {
        0
    }
}

pub fn main() {
    let x = 7;
    // SAFETY: `x` is alive.
    assert_eq!(unsafe { read(&raw const x) }, 7);
    // SAFETY: no requirement.
    assert_eq!(unsafe { Raw.zero() }, 0);
}
