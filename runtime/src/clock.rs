//! The clock: a raw counter read at the call site, and its conversion to
//! wall-clock time where a record is formatted.
//!
//! On x86-64 with an invariant time-stamp counter (CPUID says so, as it
//! says on current AMD and Intel parts) the call site reads the counter:
//! one `rdtsc`, 9 ns a read on the benchmark machine, against 34 ns for
//! `SystemTime::now`. Elsewhere a stamp is the monotonic clock's
//! nanoseconds (`Instant`) since the logger was installed.
//!
//! The counter's rate is never waited for. It used to be measured against
//! the monotonic clock over 1 ms when the logger was installed: half of
//! the 2.2 ms that a process that installs, logs one line and exits took
//! (`bench startup`). Two other ways were measured (callgrind, the
//! caller's instructions per `info!`, 218 with the counter):
//!
//! - no counter: a monotonic read (`clock_gettime` through the vDSO) is
//!   some 70 instructions where `rdtsc` is one;
//! - monotonic stamps until the rate is measured on another thread, then
//!   the counter: stamps stay comparable across the switch only if the
//!   call site converts the counter to nanoseconds, and keeps them ordered
//!   with a floor that every monotonic stamp raises; 238 to 244, the
//!   multiplication costing more in the code around it than by itself.
//!
//! So the counter is read from the first stamp on, and its rate comes from
//! (counter, monotonic) pairs read apart in time, none of them waited for:
//!
//! - one pair is read when the logger is installed (with CPUID, which
//!   traps to the hypervisor in a virtual machine: 4 µs a leaf on the
//!   benchmark machine, three leaves);
//! - the durations the pipeline keeps in ticks (the queue's ordering
//!   grace, the repeat window) are converted at a rate measured from that
//!   pair to the first conversion, later in the installation, once the
//!   outputs are built: some 30 µs apart on the benchmark machine, where
//!   the rate then varies by 0.03 % from run to run, far closer than those
//!   durations need;
//! - the thread that formats records converts a stamp with an anchor, a
//!   (stamp, wall time) pair, at the rate measured from the first pair to
//!   the anchor. An anchor is trusted for as long as its rate was measured
//!   over, a second at most, so a conversion's error stays within two
//!   pairs' read error (some 20 ns each), however young the process: the
//!   first anchors are renewed after microseconds, then after ever longer.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Fractional bits of a rate (nanoseconds per tick, fixed point).
const SHIFT: u32 = 32;

/// A rate of one nanosecond per tick: the monotonic clock's.
const ONE: u64 = 1 << SHIFT;

#[derive(Debug)]
struct Clock {
    /// Whether stamps are time-stamp counter reads (else nanoseconds of
    /// `Instant` since `origin`).
    tsc: bool,
    origin: Instant,
    /// A (stamp, monotonic ns) pair read when the clock was set up: where
    /// every measurement of the counter's rate starts.
    first: Pair,
}

/// A stamp and the monotonic clock's nanoseconds since `origin`, read
/// together.
#[derive(Debug, Clone, Copy)]
struct Pair {
    stamp: u64,
    ns: u64,
}

impl Clock {
    fn new() -> Clock {
        let origin = Instant::now();
        let tsc = tsc_usable();
        let mut clock = Clock {
            tsc,
            origin,
            first: Pair { stamp: 0, ns: 0 },
        };
        clock.first = clock.pair();
        clock
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

    /// A (stamp, monotonic) pair: of a few tries, the one with the fewest
    /// ticks around the monotonic read, so that a preemption between the
    /// reads cannot skew it.
    fn pair(&self) -> Pair {
        if !self.tsc {
            let ns = self.monotonic();
            return Pair { stamp: ns, ns };
        }
        let mut best = (u64::MAX, Pair { stamp: 0, ns: 0 });
        for _ in 0..16 {
            let before = self.raw();
            let ns = self.monotonic();
            let after = self.raw();
            let spread = after.wrapping_sub(before);
            if spread < best.0 {
                best = (
                    spread,
                    Pair {
                        stamp: before + spread / 2,
                        ns,
                    },
                );
            }
        }
        best.1
    }

    /// The rate from the first pair to `last`, and how long it was
    /// measured over (ns).
    fn rate_to(&self, last: Pair) -> Option<(u64, u64)> {
        if !self.tsc {
            // Exact: stamps are the monotonic clock's.
            return Some((ONE, ANCHOR_NS));
        }
        let ticks = last
            .stamp
            .checked_sub(self.first.stamp)
            .filter(|&t| t > 0)?;
        let ns = last.ns.checked_sub(self.first.ns).filter(|&n| n > 0)?;
        let rate = u64::try_from((u128::from(ns) << SHIFT) / u128::from(ticks))
            .ok()
            .filter(|&r| r > 0)?;
        Some((rate, ns))
    }
}

/// Nanoseconds from stamp `start` to stamp `end` at `rate` (0 when `end`
/// is not later).
#[inline]
fn nanos_between(start: u64, end: u64, rate: u64) -> u64 {
    if end <= start {
        return 0;
    }
    let ns = (u128::from(end - start) * u128::from(rate)) >> SHIFT;
    u64::try_from(ns).unwrap_or(u64::MAX)
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` reads a register and has no preconditions; it is
    // only reached where CPUID reported an invariant counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Whether the counter is invariant (its rate does not follow the core's
/// frequency or sleep states) and `rdtscp` exists: the conditions under
/// which counters of different cores agree, checked as `quanta` and the
/// Linux kernel check them.
#[cfg(target_arch = "x86_64")]
fn tsc_usable() -> bool {
    use core::arch::x86_64::__cpuid;
    // The extended leaves are read only after leaf 0x8000_0000 says they
    // exist.
    __cpuid(0x8000_0000).eax >= 0x8000_0007
        && __cpuid(0x8000_0007).edx & (1 << 8) != 0
        && __cpuid(0x8000_0001).edx & (1 << 27) != 0
}

#[cfg(not(target_arch = "x86_64"))]
fn tsc_usable() -> bool {
    false
}

fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(Clock::new)
}

/// Reads the first pair now rather than in the first log call (CPUID and
/// a pair: microseconds; nothing is waited for).
pub(crate) fn warm_up() {
    let _ = clock();
}

/// A raw timestamp for the record being built.
#[inline]
pub(crate) fn stamp() -> u64 {
    clock().raw()
}

/// The second a stamp read now falls in, counted from the clock's first
/// pair (about when the process first logged or installed a logger): the
/// coarse reading that call sites with `per_sec:` count their lines by. A
/// counter read, a subtraction and a division.
#[inline]
pub(crate) fn second() -> u64 {
    let clock = clock();
    clock.raw().saturating_sub(clock.first.stamp) / ticks_per_second()
}

/// Ticks in a second, once a rate measured over long enough is known (0:
/// not yet). Kept fixed once set, so that [`second`] never runs backwards;
/// the rate's error only stretches or shrinks every second alike.
static TICKS_PER_SECOND: AtomicU64 = AtomicU64::new(0);

/// How long a rate must have been measured over to be kept for
/// [`second`]: over a millisecond, two pairs' read error (some 20 ns each)
/// is within 0.004 % of it.
const SECOND_RATE_OVER_NS: u64 = 1_000_000;

#[inline]
fn ticks_per_second() -> u64 {
    match TICKS_PER_SECOND.load(Ordering::Relaxed) {
        0 => first_ticks_per_second(),
        t => t,
    }
}

/// Ticks in a second at a rate measured now; kept once measured over
/// [`SECOND_RATE_OVER_NS`]. Until then (the first millisecond after the
/// first pair) each call measures again: [`second`] counts from the first
/// pair, so it reads 0 then whatever the rate's error.
#[cold]
#[inline(never)]
fn first_ticks_per_second() -> u64 {
    let (rate, over) = measure();
    let t = u64::try_from((1_000_000_000u128 << SHIFT) / u128::from(rate.max(1)))
        .unwrap_or(u64::MAX)
        .max(1);
    if over < SECOND_RATE_OVER_NS {
        return t;
    }
    match TICKS_PER_SECOND.compare_exchange(0, t, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => t,
        Err(kept) => kept,
    }
}

/// The latest rate measured (0: none yet).
static RATE: AtomicU64 = AtomicU64::new(0);

/// The counter's rate: the latest measured, or one measured now from the
/// first pair.
fn rate() -> u64 {
    match RATE.load(Ordering::Relaxed) {
        0 => measure().0,
        rate => rate,
    }
}

/// Measures the rate from the first pair to now; returns it with how long
/// it can be trusted for (ns): as long as it was measured over.
fn measure() -> (u64, u64) {
    let clock = clock();
    match clock.rate_to(clock.pair()) {
        Some((rate, over)) => {
            RATE.store(rate, Ordering::Relaxed);
            (rate, over)
        }
        // Nothing to measure yet (read within a tick of the first pair, or
        // on a core whose counter reads behind the first one's): the last
        // rate, or one tick a nanosecond, trusted for no time at all.
        None => match RATE.load(Ordering::Relaxed) {
            0 => (ONE, 0),
            rate => (rate, 0),
        },
    }
}

/// How many counter ticks `d` lasts (the counter's own scale: it need not
/// tick once a nanosecond).
pub(crate) fn ticks(d: Duration) -> u64 {
    d.as_nanos()
        .checked_mul(1 << SHIFT)
        .and_then(|scaled| u64::try_from(scaled / u128::from(rate())).ok())
        .unwrap_or(u64::MAX)
}

/// How long `ticks` of the counter last (the inverse of [`ticks`]).
pub(crate) fn duration(ticks: u64) -> Duration {
    Duration::from_nanos(nanos_between(0, ticks, rate()))
}

/// Nanoseconds since the Unix epoch (0 for a clock set before 1970).
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// How long an anchor is trusted at most.
const ANCHOR_NS: u64 = 1_000_000_000;

/// A stamp and the wall time read together, the rate stamps after it are
/// converted at, and for how long after it (ns) that rate is trusted.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    at: u64,
    wall: u64,
    rate: u64,
    /// For how long the anchor is trusted (the tests read it; the
    /// conversion checks `trusted_ticks`).
    #[cfg_attr(not(test), allow(dead_code))]
    trusted_ns: u64,
    /// `trusted_ns` in ticks ([`ticks_lasting`]): a stamp fewer ticks
    /// from `at` is within the trust, which the writer then checks with
    /// one comparison before it converts.
    trusted_ticks: u64,
}

impl Anchor {
    fn new(at: u64, wall: u64, rate: u64, trusted_ns: u64) -> Anchor {
        Anchor {
            at,
            wall,
            rate,
            trusted_ns,
            trusted_ticks: ticks_lasting(trusted_ns, rate),
        }
    }
}

/// [`nanos_between`] for `ticks` within an anchor's trust: fewer than
/// [`ticks_lasting`] a trust of at most [`ANCHOR_NS`], so the nanoseconds
/// are fewer than that and fit a `u64` without a check.
#[inline(always)]
fn trusted_nanos(ticks: u64, rate: u64) -> u64 {
    #[allow(clippy::cast_possible_truncation)]
    let ns = ((u128::from(ticks) * u128::from(rate)) >> SHIFT) as u64;
    ns
}

/// The fewest ticks that last `ns` or more at `rate` (`u64::MAX` if none
/// do): fewer ticks than this last less than `ns` by [`nanos_between`].
fn ticks_lasting(ns: u64, rate: u64) -> u64 {
    if ns == 0 {
        return 0;
    }
    if rate == 0 {
        return u64::MAX;
    }
    let scaled = u128::from(ns) << SHIFT;
    u64::try_from(scaled.div_ceil(u128::from(rate))).unwrap_or(u64::MAX)
}

thread_local! {
    /// The anchor of this converting thread.
    static ANCHOR: Cell<Option<Anchor>> = const { Cell::new(None) };
}

/// Converts a [`stamp`] to nanoseconds since the Unix epoch. The common
/// case (a stamp within its validity of this thread's anchor, after it or
/// before it) is inlined into the writer's loop; the rest is not (inlining
/// it all made the writer's loop longer by callgrind).
///
/// A stamp before the anchor is the common case too: the records queued
/// when an anchor is taken (the backlog of a burst, or of the first
/// events) were all stamped before it. Converted out of line, they took
/// the writer 36 instructions each (by callgrind, 16,000 of the 20,000
/// lines of `bench callgrind`'s W1).
///
/// The trust is checked in ticks, before the conversion: checked in
/// nanoseconds after it, a stamp took the writer 13 instructions more, by
/// callgrind.
#[inline]
pub(crate) fn wall_ns(stamp: u64) -> u64 {
    if let Some(a) = ANCHOR.try_with(Cell::get).ok().flatten() {
        // The rate's error over a delta within the anchor's trust is as
        // small before the anchor as after it. (A stamp before the anchor
        // is many ticks after it, wrapping: not within the trust.)
        let after = stamp.wrapping_sub(a.at);
        if after < a.trusted_ticks {
            return a.wall.saturating_add(trusted_nanos(after, a.rate));
        }
        let before = a.at.wrapping_sub(stamp);
        if before < a.trusted_ticks {
            return a.wall.saturating_sub(trusted_nanos(before, a.rate));
        }
    }
    wall_ns_slow(stamp)
}

/// [`wall_ns`] for a stamp long before the anchor (a backlog older than
/// the anchor's trust), or with no anchor yet or an expired one: a new
/// anchor comes with a new measurement of the rate, from the first pair to
/// the anchor, trusted for as long as it was measured over (the error of
/// its pairs over that time is then at most their read error).
#[cold]
#[inline(never)]
fn wall_ns_slow(stamp: u64) -> u64 {
    if let Some(a) = ANCHOR.try_with(Cell::get).ok().flatten()
        && stamp < a.at
    {
        return a.wall.saturating_sub(nanos_between(stamp, a.at, a.rate));
    }
    let (rate, trusted_ns) = measure();
    let (at, wall) = wall_pair();
    let anchor = Anchor::new(at, wall, rate, trusted_ns.min(ANCHOR_NS));
    let _ = ANCHOR.try_with(|a| a.set(Some(anchor)));
    if stamp >= anchor.at {
        anchor
            .wall
            .saturating_add(nanos_between(anchor.at, stamp, rate))
    } else {
        anchor
            .wall
            .saturating_sub(nanos_between(stamp, anchor.at, rate))
    }
}

/// A stamp and the wall time read together: of a few tries, the one with
/// the fewest ticks around the wall clock's read, so that a preemption
/// between the reads does not shift every time the anchor converts.
fn wall_pair() -> (u64, u64) {
    let clock = clock();
    let mut best = (u64::MAX, 0, 0);
    for _ in 0..4 {
        let before = clock.raw();
        let wall = now_ns();
        let after = clock.raw();
        let spread = after.wrapping_sub(before);
        if spread < best.0 {
            best = (spread, before + spread / 2, wall);
        }
    }
    (best.1, best.2)
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
        // The conversion error is the rate's over the anchor's trust plus
        // the anchor's read skew: far below 5 ms.
        assert!(wall + 5_000_000 >= before && wall <= after + 5_000_000);
        // Later stamps convert to later times, earlier ones to earlier
        // (through a renewed anchor when the first one was young: the
        // same time within the anchors' read error).
        std::thread::sleep(std::time::Duration::from_millis(20));
        let later = wall_ns(stamp());
        assert!(later >= wall + 15_000_000, "{later} vs {wall}");
        assert!(wall_ns(s).abs_diff(wall) < 1_000_000);
    }

    #[test]
    fn seconds_count_from_the_first_pair_at_a_rate_kept_once_measured() {
        let before = second();
        // Past the first millisecond after the first pair, the rate is kept.
        std::thread::sleep(Duration::from_millis(2));
        let now = second();
        assert!(now >= before);
        let kept = TICKS_PER_SECOND.load(Ordering::Relaxed);
        assert!(kept > 0, "kept after a millisecond");
        assert_eq!(ticks_per_second(), kept);
        let measured = ticks(Duration::from_secs(1));
        assert!(
            kept.abs_diff(measured) < measured / 100,
            "{kept} vs {measured}"
        );
        // The seconds since the first pair, not since the counter's origin.
        let elapsed = clock().origin.elapsed().as_secs();
        assert!(
            now <= elapsed + 1,
            "{now} s since the first pair, {elapsed} s elapsed"
        );
    }

    #[test]
    fn durations_convert_to_ticks_of_the_counter() {
        // A rate measured over some time, as the writer's is.
        std::thread::sleep(Duration::from_millis(1));
        let (rate, trusted) = measure();
        assert!(trusted >= 1_000_000);
        let ms = ticks(Duration::from_millis(1));
        assert!(ms > 0);
        // The conversion back, through the counter's own scale.
        let back = nanos_between(0, ms, rate);
        assert!((999_000..=1_001_000).contains(&back), "{back} ns");
        assert_eq!(ticks(Duration::ZERO), 0);
        // And back to a duration at the latest rate.
        let d = duration(ms).as_nanos();
        assert!((990_000..=1_010_000).contains(&d), "{d} ns");
        assert_eq!(duration(0), Duration::ZERO);
    }

    /// A stamp from before the anchor (the backlog queued when it was
    /// taken) converts backwards from it, keeping it, and keeps the order.
    #[test]
    fn stamps_before_the_anchor_convert_from_it() {
        let early = stamp();
        std::thread::sleep(Duration::from_millis(2));
        let late = wall_ns(stamp());
        let a = ANCHOR.with(Cell::get).expect("an anchor");
        assert!(early < a.at);
        let converted = wall_ns(early);
        let b = ANCHOR.with(Cell::get).expect("an anchor");
        assert_eq!((b.at, b.wall), (a.at, a.wall), "the anchor is kept");
        assert_eq!(
            converted,
            a.wall.saturating_sub(nanos_between(early, a.at, a.rate))
        );
        assert!(converted + 1_000_000 <= late, "{converted} vs {late}");
    }

    /// A delta is within an anchor's trust in ticks exactly when it is in
    /// nanoseconds, converted.
    #[test]
    fn trust_in_ticks_is_trust_in_nanoseconds() {
        let rates = [
            0,
            1,
            3,
            1 << 30,
            1 << SHIFT,
            (1 << SHIFT) + 12_345,
            7 << SHIFT,
        ];
        for rate in rates {
            for ns in [0, 1, 2, 999, 1_000_000, ANCHOR_NS] {
                let t = ticks_lasting(ns, rate);
                if t == u64::MAX {
                    assert!(rate == 0 && nanos_between(0, u64::MAX - 1, rate) < ns);
                    continue;
                }
                assert!(nanos_between(0, t, rate) >= ns, "rate {rate}, {ns} ns");
                if let Some(less) = t.checked_sub(1) {
                    assert!(nanos_between(0, less, rate) < ns, "rate {rate}, {ns} ns");
                    assert_eq!(trusted_nanos(less, rate), nanos_between(0, less, rate));
                }
            }
        }
    }

    /// An anchor is trusted for no longer than its rate was measured over,
    /// and a stamp past that renews it, measured over longer.
    #[test]
    fn anchors_are_trusted_as_long_as_their_rate_was_measured() {
        let s = stamp();
        let _ = wall_ns(s);
        let a = ANCHOR.with(Cell::get).expect("an anchor");
        assert!(a.trusted_ns <= ANCHOR_NS);
        let first = clock().first;
        if clock().tsc {
            // Measured from the first pair to the anchor.
            assert!(a.trusted_ns <= clock().monotonic() - first.ns);
        }
        let wait =
            Duration::from_nanos(a.trusted_ns.saturating_add(1_000)).min(Duration::from_millis(50));
        std::thread::sleep(wait);
        let t = stamp();
        let _ = wall_ns(t);
        let b = ANCHOR.with(Cell::get).expect("an anchor");
        if nanos_between(a.at, t, a.rate) >= a.trusted_ns {
            assert!(b.at > a.at);
            assert!(b.trusted_ns > a.trusted_ns || b.trusted_ns == ANCHOR_NS);
        } else {
            assert_eq!((b.at, b.trusted_ns), (a.at, a.trusted_ns));
        }
    }
}
