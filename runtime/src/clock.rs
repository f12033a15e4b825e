//! The clock: a raw counter read at the call site, and its conversion to
//! wall-clock time where a record is formatted.
//!
//! The call site reads the CPU's invariant time-stamp counter through
//! `quanta` (one `rdtsc`: 9 ns a read on the benchmark machine, against
//! 34 ns for `SystemTime::now`; `quanta` falls back to the monotonic clock
//! where there is no usable counter, and calibrates once, in about 1 ms, when
//! the logger is installed). The thread that formats a record converts the
//! stamp with an anchor, a (stamp, wall time) pair read together, which it
//! renews every second so that the counter's calibration error cannot
//! accumulate.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn clock() -> &'static quanta::Clock {
    static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

/// Calibrates the counter now rather than in the first log call.
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
    const PROBE: u64 = 1 << 32;
    let ns_per_probe = clock().delta_as_nanos(0, PROBE).max(1);
    let ns = d.as_nanos();
    u64::try_from(ns * u128::from(PROBE) / u128::from(ns_per_probe)).unwrap_or(u64::MAX)
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
