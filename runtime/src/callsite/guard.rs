//! The storm guard ([`Config::sampling`]): zap's sampler, for every event.
//!
//! Each key, a call site and a level, counts its events in windows of one
//! second of pulselog's clock: the first `first` of a window are written,
//! then every `thereafter`-th. A call site asks at the level check
//! (`Callsite::enabled`, which keeps the site's [`Keys`]), so an event it
//! drops costs a few atomics and evaluates none of its arguments; a
//! bridged record is asked where its call site is found, before its values
//! are encoded.
//!
//! # Exact counts
//!
//! The decision and the count are kept apart, as in [`super::sample`]'s
//! `per_sec`: a window atomic decides which events are written (racing
//! threads may blur a window's edges, never the count), and a dropped
//! event adds one to its key's `skipped`. A written event takes that count
//! (`swap(0)`) where it enters the pipeline (`Record::take_guard_count`), after its
//! arguments are evaluated: each increment lands before exactly one later
//! swap in that atomic's order, or after the last, so each dropped event
//! is in exactly one line's `suppressed` (or in none, if its key writes no
//! line again). A written event whose line never comes (a panic in its
//! arguments) leaves the count to the next one. `Relaxed` suffices: no
//! other memory is published through these atomics.
//!
//! # Where the count goes
//!
//! A line carries the count as a sampled call site's does (`every:` …,
//! [`super::sample`]): a value after the fields, which the formats read
//! when the record's call site is sampled. A record of a sampled site adds
//! the guard's count to the one it carries; any other record the guard
//! counts for is moved to its site's sampled twin (the same metadata, so
//! the same line), made with the site's keys. So no record grows and the
//! formats have one way to find the count.
//!
//! [`Config::sampling`]: crate::Config::sampling

use super::sample::current;
use crate::clock;
use crate::level::Level;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// What [`Config::sampling`](crate::Config::sampling) takes: how many
/// events each key writes per second, zap's `first N, then every Mth`.
///
/// ```no_run
/// use pulselog::{Config, Sampling};
/// // Per call site and second: the first 100 events, then every 100th.
/// let _guard = Config::new()
///     .sampling(Sampling::new().first(100).thereafter(100))
///     .install()
///     .expect("logger installed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    first: u32,
    thereafter: u32,
}

impl Sampling {
    /// zap's production defaults: per key and second, the first 100
    /// events, then every 100th.
    #[must_use]
    pub const fn new() -> Sampling {
        Sampling {
            first: 100,
            thereafter: 100,
        }
    }

    /// How many events of each key are written in each second before the
    /// guard thins them out (0: none).
    #[must_use]
    pub const fn first(mut self, n: u32) -> Sampling {
        self.first = n;
        self
    }

    /// Past the first, every `m`-th event of a key in the same second is
    /// written (the `first + m`-th, `first + 2m`-th …); 0 writes none past
    /// the first. `first(0).thereafter(0)` would write nothing at all, and
    /// never the count of what it dropped: [`Config::install`](crate::Config::install)
    /// refuses it (to silence events, filter their level out).
    #[must_use]
    pub const fn thereafter(mut self, m: u32) -> Sampling {
        self.thereafter = m;
        self
    }

    /// The two limits, as [`settings`] keeps them.
    pub(crate) const fn limits(self) -> (u32, u32) {
        (self.first, self.thereafter)
    }

    const fn from_limits((first, thereafter): (u32, u32)) -> Sampling {
        Sampling { first, thereafter }
    }

    /// Whether the `n`-th event of a window (from 1) is written.
    #[inline]
    fn writes(self, n: u64) -> bool {
        let first = u64::from(self.first);
        n <= first || (self.thereafter != 0 && (n - first).is_multiple_of(self.thereafter.into()))
    }
}

impl Default for Sampling {
    fn default() -> Sampling {
        Sampling::new()
    }
}

/// One key's state.
#[derive(Debug)]
struct Key {
    /// The window's second (high 32 bits, wrapping) and the events counted
    /// in it (low 32 bits: a key would need 2³² events in one second to
    /// carry into the second's bits, which only blurs one window).
    window: AtomicU64,
    /// Events dropped since a written event last took the count.
    skipped: AtomicU64,
}

impl Key {
    const fn new() -> Key {
        Key {
            window: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    /// Whether this event is written; a dropped one is counted.
    #[inline]
    fn admit(&self, now: u32, limits: Sampling) -> bool {
        if limits.writes(self.number(now)) {
            return true;
        }
        self.skipped.fetch_add(1, Relaxed);
        false
    }

    /// This event's number in the window of `now`, from 1.
    #[inline]
    fn number(&self, now: u32) -> u64 {
        let before = self.window.fetch_add(1, Relaxed);
        if current(before, now) {
            return (before & u64::from(u32::MAX)) + 1;
        }
        self.open(now)
    }

    /// The first event seen in a later second opens its window (the
    /// increments that landed in the old one are overwritten with it).
    #[cold]
    #[inline(never)]
    fn open(&self, now: u32) -> u64 {
        let mut window = self.window.load(Relaxed);
        loop {
            if current(window, now) {
                // Another thread opened it: count in it.
                let before = self.window.fetch_add(1, Relaxed);
                if current(before, now) {
                    return (before & u64::from(u32::MAX)) + 1;
                }
                window = self.window.load(Relaxed);
                continue;
            }
            match self.window.compare_exchange_weak(
                window,
                (u64::from(now) << 32) | 1,
                Relaxed,
                Relaxed,
            ) {
                Ok(_) => return 1,
                Err(seen) => window = seen,
            }
        }
    }

    /// The dropped events since the last line, taken by this one.
    #[inline]
    fn take(&self) -> u64 {
        // A load first: a key that drops nothing is only read.
        if self.skipped.load(Relaxed) == 0 {
            return 0;
        }
        self.skipped.swap(0, Relaxed)
    }
}

/// One key per level: a call site of `log!` (or a bridged one) logs at
/// several, and a storm of DEBUG does not thin out its ERROR lines.
#[derive(Debug)]
pub(crate) struct Keys([Key; 6]);

impl Keys {
    pub(crate) const fn new() -> Keys {
        Keys([
            Key::new(),
            Key::new(),
            Key::new(),
            Key::new(),
            Key::new(),
            Key::new(),
        ])
    }

    fn of(&self, level: Level) -> &Key {
        &self.0[match level {
            Level::Trace => 0,
            Level::Debug => 1,
            Level::Info => 2,
            Level::Warning => 3,
            Level::Error => 4,
            Level::Critical => 5,
        }]
    }
}

impl Keys {
    /// The guard's answer for an event at `level` whose level is enabled,
    /// under the guard's `limits` ([`settings::sampling`]): whether it is
    /// written.
    #[inline]
    pub(crate) fn admit(&self, level: Level, limits: (u32, u32)) -> bool {
        self.of(level).admit(now(), Sampling::from_limits(limits))
    }

    /// Whether events at `level` were dropped since the key's line before
    /// (a load: the line now written then takes the count on the cold
    /// path; without one it goes the common way).
    #[inline]
    pub(crate) fn pending(&self, level: Level) -> bool {
        self.of(level).skipped.load(Relaxed) != 0
    }

    /// The count of events at `level` dropped since the key's line before,
    /// taken by the line now written.
    #[inline]
    pub(crate) fn take(&self, level: Level) -> u64 {
        self.of(level).take()
    }
}

/// The keys of every bridged record past the bound of kept run-time call
/// sites (`interned`): such records have no site to keep a key on, and
/// are what a program that makes targets without end logs, so they share
/// one key per level.
#[cfg(feature = "log")]
pub(crate) static OVERFLOW: Keys = Keys::new();

/// The second of pulselog's clock, wrapping (windows compare by their
/// difference).
#[inline]
fn now() -> u32 {
    #[allow(clippy::cast_possible_truncation)]
    let now = clock::second() as u32;
    now
}

#[cfg(test)]
mod tests {
    use super::{Key, Keys, Sampling};
    use crate::level::Level;

    #[test]
    fn first_n_then_every_mth_per_window() {
        let key = Key::new();
        let limits = Sampling::new().first(2).thereafter(3);
        let mut admit = |now| u8::from(key.admit(now, limits));
        // Second 7: events 1, 2 (the first two), then 5, 8 (every 3rd).
        let seven: Vec<u8> = (0..8).map(|_| admit(7)).collect();
        assert_eq!(seven, [1, 1, 0, 0, 1, 0, 0, 1]);
        // A new second starts over; an event that read the clock earlier
        // counts in the newer window.
        let eight: Vec<u8> = [8, 8, 7, 8, 8].map(&mut admit).into();
        assert_eq!(eight, [1, 1, 0, 0, 1]);
        assert_eq!(key.take(), 4 + 2);
        assert_eq!(key.take(), 0);
    }

    #[test]
    fn each_level_is_a_key_of_its_own() {
        let keys = Keys::new();
        let limits = Sampling::new().first(1).thereafter(0);
        let admit = |level| keys.of(level).admit(5, limits);
        assert!(admit(Level::Debug));
        assert!(!admit(Level::Debug));
        assert!(admit(Level::Error), "a storm of DEBUG leaves ERROR alone");
        assert!(!admit(Level::Error));
        assert_eq!((keys.take(Level::Debug), keys.take(Level::Error)), (1, 1));
        assert_eq!(keys.take(Level::Info), 0);
    }

    #[test]
    fn thereafter_zero_writes_only_the_first() {
        let key = Key::new();
        let limits = Sampling::new().first(3).thereafter(0);
        let written = (0..1_000).filter(|_| key.admit(1, limits)).count();
        assert_eq!(written, 3);
        assert_eq!(key.take(), 997);
        let none = Sampling::new().first(0).thereafter(0);
        assert!(!(0..10).any(|_| key.admit(1, none)));
    }

    #[test]
    fn first_zero_writes_every_mth() {
        let key = Key::new();
        let limits = Sampling::new().first(0).thereafter(10);
        let written: Vec<usize> = (1..=30).filter(|_| key.admit(3, limits)).collect();
        assert_eq!(written, [10, 20, 30]);
    }

    #[test]
    fn limits_survive_the_settings() {
        let s = Sampling::new().first(u32::MAX).thereafter(7);
        assert_eq!(Sampling::from_limits(s.limits()), s);
    }
}
