//! Call-site sampling: the state behind `every:`, `first:` and
//! `per_sec:` in the log macros. Not public API.
//!
//! A sampled call site gets one of these `static`s next to its
//! [`Callsite`](super::Callsite). The expansion asks it, after the level
//! check and before any argument is evaluated, whether this call is
//! written: `Some(suppressed)` if it is, with the number of calls from the
//! site that sampling skipped since the line before (0 for none), `None`
//! if the call is skipped. The limit is the literal the call wrote,
//! passed in at each call, so that it is a constant where the decision is
//! made (`every: 100` is then a multiply, not a division).
//!
//! # Exact counts
//!
//! Every call that passes the level check is counted once: it is either
//! written or, as skipped, in the `suppressed` of exactly one later line
//! from the same site (or of none, if no later line is written). All
//! counters are single atomics updated by read-modify-write operations,
//! which the processor orders into one sequence per atomic however many
//! threads call; that order alone decides what each line reports, so
//! `Relaxed` suffices (no other memory is published through them).
//!
//! - `every: n` numbers the calls (`fetch_add` hands out 0, 1, 2, … once
//!   each) and writes the calls numbered 0, n, 2n, …: the line of call
//!   `k·n` reports the `n − 1` calls numbered `k·n − n + 1 … k·n − 1`, the
//!   first line reports none. The intervals between written numbers cover
//!   every skipped number exactly once, so no other state is needed. When
//!   threads race, lines may reach the output in another order than their
//!   numbers; each still reports its own interval.
//! - `first: n` writes the calls numbered 0 … n − 1, none of them after a
//!   skipped one, so their lines carry no count. The calls after the n-th
//!   are never written, so nothing reports them: a site that logged
//!   `first: 10` 1,000 times wrote 10 lines and says nothing of the other
//!   990. They are not even counted: once the counter reaches `n`, a call
//!   only reads it.
//! - `per_sec: n` keeps the second of the current window and the lines
//!   written in it in one atomic, and the skipped calls in another: a
//!   skipped call adds one to it, a written call takes it (`swap(0)`). Each
//!   increment lands before exactly one later swap in that atomic's order
//!   (or after the last), so each skipped call is in exactly one line's
//!   count. A skip that races with a write may be reported one line later
//!   than a person watching the clock would expect; it is never lost or
//!   counted twice.
//!
//! Skipped calls at the end (after a site's last written line) are
//! reported only if the site writes again.

use crate::clock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// `every: n`: the 1st, (n+1)-th, (2n+1)-th … call is written.
#[derive(Debug)]
pub struct Every {
    /// Calls so far (the next call's number).
    calls: AtomicU64,
}

impl Every {
    #[doc(hidden)]
    #[must_use]
    pub const fn new() -> Every {
        Every {
            calls: AtomicU64::new(0),
        }
    }

    /// `Some(suppressed)` when this call is written (`n` ≥ 1). A skipped
    /// call costs one atomic increment. The counter wraps after 2⁶⁴ calls
    /// (centuries at a billion calls a second).
    #[doc(hidden)]
    #[inline(always)]
    pub fn sample(&self, n: u64) -> Option<u64> {
        let call = self.calls.fetch_add(1, Relaxed);
        if !call.is_multiple_of(n) {
            return None;
        }
        Some(if call == 0 { 0 } else { n - 1 })
    }
}

impl Default for Every {
    fn default() -> Every {
        Every::new()
    }
}

/// `first: n`: the first `n` calls are written, no other.
#[derive(Debug)]
pub struct First {
    /// Calls counted so far: stops growing soon after it reaches `n`.
    calls: AtomicU64,
}

impl First {
    #[doc(hidden)]
    #[must_use]
    pub const fn new() -> First {
        First {
            calls: AtomicU64::new(0),
        }
    }

    /// `Some(0)` for the first `n` calls, `None` after. Past the `n`-th
    /// call, a call is one atomic load.
    #[doc(hidden)]
    #[inline(always)]
    pub fn sample(&self, n: u64) -> Option<u64> {
        // The load keeps skipped calls off the cache line's write path:
        // after the first `n`, every thread only reads it.
        if self.calls.load(Relaxed) >= n {
            return None;
        }
        (self.calls.fetch_add(1, Relaxed) < n).then_some(0)
    }
}

impl Default for First {
    fn default() -> First {
        First::new()
    }
}

/// `per_sec: n`: at most `n` lines in each second of pulselog's clock.
/// Windows are whole seconds of the clock, not a sliding second: up to
/// `2n` lines may fall within one second that straddles two windows.
#[derive(Debug)]
pub struct PerSec {
    /// The window's second (high 32 bits, wrapping) and the lines written
    /// in it (low 32 bits).
    window: AtomicU64,
    /// Calls skipped since a written call last took the count.
    skipped: AtomicU64,
}

impl PerSec {
    #[doc(hidden)]
    #[must_use]
    pub const fn new() -> PerSec {
        PerSec {
            window: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    /// `Some(suppressed)` when this call is written (`n` ≥ 1). A skipped
    /// call costs a clock read, one atomic load and one atomic increment.
    #[doc(hidden)]
    #[inline(always)]
    pub fn sample(&self, n: u32) -> Option<u64> {
        // Seconds wrap at 32 bits; windows are compared by their
        // difference, which wraps with them.
        #[allow(clippy::cast_possible_truncation)]
        let now = clock::second() as u32;
        let window = self.window.load(Relaxed);
        if full(window, now, n) {
            self.skipped.fetch_add(1, Relaxed);
            return None;
        }
        self.claim(window, now, n)
    }

    /// Takes a place in the window (a new window if `now` is past it),
    /// or counts the call as skipped if another thread took the last one.
    #[cold]
    #[inline(never)]
    fn claim(&self, mut window: u64, now: u32, n: u32) -> Option<u64> {
        loop {
            let next = if current(window, now) {
                if full(window, now, n) {
                    self.skipped.fetch_add(1, Relaxed);
                    return None;
                }
                window + 1
            } else {
                (u64::from(now) << 32) | 1
            };
            match self
                .window
                .compare_exchange_weak(window, next, Relaxed, Relaxed)
            {
                Ok(_) => return Some(self.skipped.swap(0, Relaxed)),
                Err(seen) => window = seen,
            }
        }
    }
}

impl Default for PerSec {
    fn default() -> PerSec {
        PerSec::new()
    }
}

/// Whether `window` is the window of second `now`, or of a later second
/// (another thread read the clock after this one and opened it: this call
/// counts in it rather than reopening an older one).
#[inline(always)]
pub(super) fn current(window: u64, now: u32) -> bool {
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let behind = now.wrapping_sub((window >> 32) as u32) as i32;
    behind <= 0
}

/// Whether `window` is current and has its `n` lines.
#[inline(always)]
fn full(window: u64, now: u32, n: u32) -> bool {
    #[allow(clippy::cast_possible_truncation)]
    let used = window as u32;
    used >= n && current(window, now)
}

#[cfg(test)]
mod tests {
    use super::{Every, First, PerSec, current};

    #[test]
    fn every_writes_one_call_in_n_and_reports_the_rest() {
        let every = Every::new();
        let out: Vec<Option<u64>> = (0..7).map(|_| every.sample(3)).collect();
        assert_eq!(
            out,
            [Some(0), None, None, Some(2), None, None, Some(2)],
            "calls 0, 3, 6 written"
        );
    }

    #[test]
    fn first_writes_n_calls_then_only_reads() {
        let first = First::new();
        let out: Vec<Option<u64>> = (0..5).map(|_| first.sample(2)).collect();
        assert_eq!(out, [Some(0), Some(0), None, None, None]);
        assert_eq!(first.calls.load(super::Relaxed), 2);
    }

    #[test]
    fn per_sec_claims_n_places_per_window() {
        let site = PerSec::new();
        let mut claim = |now| match site.claim(site.window.load(super::Relaxed), now, 2) {
            Some(n) => format!("w{n}"),
            None => "s".to_owned(),
        };
        let seq: Vec<String> = [7, 7, 7, 7, 8, 8, 6, 8, 9].map(&mut claim).into();
        // Second 6 after 8 (a thread that read the clock earlier) counts
        // in the window of 8.
        assert_eq!(seq, ["w0", "w0", "s", "s", "w2", "w0", "s", "s", "w2"]);
    }

    #[test]
    fn windows_compare_across_the_wrap() {
        assert!(current(u64::from(u32::MAX) << 32, u32::MAX));
        assert!(!current(u64::from(u32::MAX) << 32, 0));
        assert!(current(0, u32::MAX));
    }
}
