//! Cycle-accurate timing of single calls.
//!
//! On x86-64 a call is timed with two `rdtsc` reads; the tick rate is
//! calibrated against [`Instant`] and the cost of the read pair itself is
//! measured and subtracted. Elsewhere [`Instant`] is the clock.

#[cfg(not(target_arch = "x86_64"))]
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Reads the cycle counter (or nanoseconds since the first read on targets
/// without one).
#[inline(always)]
#[must_use]
pub fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` exists on every x86-64 CPU and has no
        // preconditions; it only reads the time-stamp counter.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        static EPOCH: OnceLock<Instant> = OnceLock::new();
        let nanos = EPOCH.get_or_init(Instant::now).elapsed().as_nanos();
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }
}

/// The clock's calibration: tick rate and the cost of one timed-region read
/// pair.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Ticks per nanosecond.
    pub ticks_per_ns: f64,
    /// Ticks that two back-to-back reads measure with nothing between them
    /// (the median); subtracted from every sample.
    pub overhead: u64,
}

impl Clock {
    /// Calibrates against `Instant` over `span` and measures the read cost.
    #[must_use]
    pub fn calibrate(span: Duration) -> Clock {
        let t0 = Instant::now();
        let c0 = ticks();
        while t0.elapsed() < span {
            std::hint::spin_loop();
        }
        let c1 = ticks();
        let ns = t0.elapsed().as_nanos() as f64;
        let ticks_per_ns = (c1 - c0) as f64 / ns;

        let mut pairs: Vec<u64> = (0..20_001)
            .map(|_| {
                let a = ticks();
                let b = ticks();
                b.wrapping_sub(a)
            })
            .collect();
        pairs.sort_unstable();
        Clock {
            ticks_per_ns,
            overhead: pairs[pairs.len() / 2],
        }
    }

    /// Converts a tick count, already net of overhead, to nanoseconds.
    #[must_use]
    pub fn ns(&self, ticks: f64) -> f64 {
        ticks / self.ticks_per_ns
    }
}
