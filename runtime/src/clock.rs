//! The clock: a raw counter read at the call site, and its conversion to
//! wall-clock time where a record is formatted.
//!
//! On x86-64 with an invariant time-stamp counter (CPUID says so, as it
//! says on current AMD and Intel parts) the call site reads the counter:
//! one `rdtsc`, 9 ns a read on the benchmark machine, against 34 ns for
//! `SystemTime::now`. Its rate is measured once against the monotonic clock,
//! in about 1 ms, when the logger is installed. Elsewhere a stamp is the
//! monotonic clock's nanoseconds (`Instant`) since then. The thread that
//! formats a record converts the stamp with an anchor, a (stamp, wall time)
//! pair read together, which it renews every second so that the rate's
//! measurement error cannot accumulate.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Fractional bits of [`Clock::ns_per_tick`].
const SHIFT: u32 = 32;

#[derive(Debug)]
struct Clock {
    /// Whether stamps are time-stamp counter reads (else nanoseconds of
    /// `Instant` since `origin`).
    tsc: bool,
    origin: Instant,
    /// Nanoseconds per tick, fixed point with [`SHIFT`] fractional bits.
    ns_per_tick: u64,
}

impl Clock {
    fn new() -> Clock {
        let origin = Instant::now();
        match tsc_rate() {
            Some(ns_per_tick) => Clock {
                tsc: true,
                origin,
                ns_per_tick,
            },
            None => Clock {
                tsc: false,
                origin,
                ns_per_tick: 1 << SHIFT,
            },
        }
    }

    #[inline]
    fn raw(&self) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if self.tsc {
            return rdtsc();
        }
        self.monotonic()
    }

    #[inline(never)]
    fn monotonic(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Nanoseconds from stamp `start` to stamp `end` (0 when `end` is not
    /// later).
    fn delta_as_nanos(&self, start: u64, end: u64) -> u64 {
        if end <= start {
            return 0;
        }
        let ns = (u128::from(end - start) * u128::from(self.ns_per_tick)) >> SHIFT;
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` reads a register and has no preconditions; it is
    // only reached where CPUID reported an invariant counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The counter's nanoseconds per tick (fixed point), when it is invariant
/// (its rate does not follow the core's frequency or sleep states) and
/// `rdtscp` exists: the conditions under which counters of different cores
/// agree, checked as `quanta` and the Linux kernel check them.
#[cfg(target_arch = "x86_64")]
fn tsc_rate() -> Option<u64> {
    use core::arch::x86_64::__cpuid;
    // The extended leaves are read only after leaf 0x8000_0000 says they
    // exist.
    let usable = __cpuid(0x8000_0000).eax >= 0x8000_0007
        && __cpuid(0x8000_0007).edx & (1 << 8) != 0
        && __cpuid(0x8000_0001).edx & (1 << 27) != 0;
    if !usable {
        return None;
    }
    // A (counter, monotonic) pair read together: of a few tries, the one
    // with the fewest ticks around the `Instant` read, so that a preemption
    // between the two reads cannot skew it.
    let pair = || {
        let mut best = (u64::MAX, 0, Instant::now());
        for _ in 0..16 {
            let before = rdtsc();
            let at = Instant::now();
            let after = rdtsc();
            let spread = after.wrapping_sub(before);
            if spread < best.0 {
                best = (spread, before + spread / 2, at);
            }
        }
        (best.1, best.2)
    };
    let (t0, i0) = pair();
    while i0.elapsed() < Duration::from_millis(1) {
        std::hint::spin_loop();
    }
    let (t1, i1) = pair();
    let ticks = t1.checked_sub(t0).filter(|&t| t > 0)?;
    let ns = i1.duration_since(i0).as_nanos();
    u64::try_from((ns << SHIFT) / u128::from(ticks))
        .ok()
        .filter(|&r| r > 0)
}

#[cfg(not(target_arch = "x86_64"))]
fn tsc_rate() -> Option<u64> {
    None
}

fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(Clock::new)
}

/// Measures the counter's rate now rather than in the first log call.
pub(crate) fn warm_up() {
    let _ = clock();
}

/// A raw timestamp for the record being built.
#[inline]
pub(crate) fn stamp() -> u64 {
    clock().raw()
}

/// How many counter ticks `d` lasts (the counter's own scale: it need not
/// tick once a nanosecond).
pub(crate) fn ticks(d: Duration) -> u64 {
    let ns_per_tick = u128::from(clock().ns_per_tick.max(1));
    d.as_nanos()
        .checked_mul(1 << SHIFT)
        .and_then(|scaled| u64::try_from(scaled / ns_per_tick).ok())
        .unwrap_or(u64::MAX)
}

/// Nanoseconds since the Unix epoch (0 for a clock set before 1970).
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// How long an anchor is trusted.
const ANCHOR_NS: u64 = 1_000_000_000;

thread_local! {
    /// `(stamp, wall ns)` read together, per converting thread.
    static ANCHOR: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
}

/// Converts a [`stamp`] to nanoseconds since the Unix epoch. The common
/// case (a stamp after this thread's anchor, within its validity) is
/// inlined into the writer's loop; the rest is not (inlining it all made
/// the writer's loop longer by callgrind).
#[inline]
pub(crate) fn wall_ns(stamp: u64) -> u64 {
    if let Some((at, wall)) = ANCHOR.try_with(Cell::get).ok().flatten()
        && stamp >= at
    {
        // One conversion of the counter's delta.
        let delta = clock().delta_as_nanos(at, stamp);
        if delta < ANCHOR_NS {
            return wall.saturating_add(delta);
        }
    }
    wall_ns_slow(stamp)
}

/// [`wall_ns`] for a stamp before the anchor (a backlog stamped before the
/// anchor was taken), or with no anchor yet or an expired one.
#[cold]
#[inline(never)]
fn wall_ns_slow(stamp: u64) -> u64 {
    let clock = clock();
    if let Some((at, wall)) = ANCHOR.try_with(Cell::get).ok().flatten()
        && stamp < at
    {
        return wall.saturating_sub(clock.delta_as_nanos(stamp, at));
    }
    let (at, wall) = (clock.raw(), now_ns());
    let _ = ANCHOR.try_with(|a| a.set(Some((at, wall))));
    if stamp >= at {
        wall.saturating_add(clock.delta_as_nanos(at, stamp))
    } else {
        wall.saturating_sub(clock.delta_as_nanos(stamp, at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_convert_to_the_wall_clock() {
        let before = now_ns();
        let s = stamp();
        let after = now_ns();
        let wall = wall_ns(s);
        // The conversion error is the counter's calibration error over at
        // most a second plus the anchor's read skew: far below 5 ms.
        assert!(wall + 5_000_000 >= before && wall <= after + 5_000_000);
        // Later stamps convert to later times, earlier ones to earlier.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let later = wall_ns(stamp());
        assert!(later >= wall + 15_000_000, "{later} vs {wall}");
        assert_eq!(wall_ns(s), wall);
    }

    #[test]
    fn durations_convert_to_ticks_of_the_counter() {
        let ms = ticks(Duration::from_millis(1));
        assert!(ms > 0);
        // The conversion back, through the counter's own scale.
        let back = clock().delta_as_nanos(0, ms);
        assert!((990_000..=1_010_000).contains(&back), "{back} ns");
        assert_eq!(ticks(Duration::ZERO), 0);
    }
}
