//! Process-wide settings, in one place at the bottom of the house: what the
//! call sites, the encoder and the error capture read, and the installer
//! sets.
//!
//! [`apply`] sets them when a logger is installed, before its writer thread
//! starts and before any call site can see the logger; nothing changes them
//! afterwards except the filter, which `pulselog::set_filter` replaces while
//! the program runs (through the call-site registry, which also forgets its
//! cached verdicts). No format reads a setting to know how to decode a
//! record: what a record holds, it says itself.

use crate::filter::{Filter, OFF};
use crate::level::Level;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// What an installed logger sets, all at once.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The most bytes one event's values (and its error's text) may take:
    /// a string past it is cut with a marker. Half the byte budget.
    pub(crate) max_values: usize,
    /// Records carry the id of the tokio task that logged them (a format
    /// asks for `taskName`).
    pub(crate) task_ids: bool,
    /// Backtraces are written whole, as `RUST_BACKTRACE=full` does.
    pub(crate) full_backtraces: bool,
    /// The outputs' own filters, and whether any output follows the
    /// process filter: a call site is enabled when any output wants it.
    pub(crate) outputs: OutputFilters,
    /// The storm guard's limits (`Config::sampling`: the first events of
    /// each key and second, then every how many), if it is on.
    pub(crate) sampling: Option<(u32, u32)>,
    /// Replay on error (`Config::replay_on_error`), if on.
    pub(crate) replay: Option<Replay>,
}

/// What replay on error keeps: events at `level` and above that no output
/// writes, in a request scope, at most `capacity` a request, all of them
/// together within `bytes`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replay {
    pub(crate) level: Level,
    pub(crate) capacity: usize,
    pub(crate) bytes: usize,
}

/// The filters of the outputs that have their own, and whether any
/// output follows the process filter.
#[derive(Debug, Clone)]
pub(crate) struct OutputFilters {
    pub(crate) own: Vec<Filter>,
    pub(crate) follow: bool,
}

/// Half of the default byte budget (64 MiB).
const DEFAULT_MAX_VALUES: usize = 32 << 20;

static MAX_VALUES: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_VALUES);

static FULL_BACKTRACES: AtomicBool = AtomicBool::new(false);

/// Why an enabled event leaves the common path, read with one load per
/// event: in the top bit, that records carry their task's id (a setting);
/// in the next, that the storm guard is on (a written event takes its
/// key's count on the way); in the one below, that replay on error runs
/// (a setting: an enabled event may be one to keep rather than write, or
/// an error to write kept ones before); below them, how many interest
/// overrides run (test captures, which see every level and take the
/// events logged in their scope).
static DETOURS: AtomicUsize = AtomicUsize::new(0);

/// [`DETOURS`]' bit for "records carry their task's id".
const TASK_IDS: usize = 1 << (usize::BITS - 1);

/// [`DETOURS`]' bit for "the storm guard is on".
const GUARD: usize = 1 << (usize::BITS - 2);

/// [`DETOURS`]' bits that are settings, not the count of overrides.
const FLAGS: usize = TASK_IDS | GUARD | REPLAY;

/// The storm guard's limits, first in the high half, valid while
/// [`DETOURS`] has [`GUARD`].
static SAMPLING: AtomicU64 = AtomicU64::new(0);

/// [`DETOURS`]' bit for "replay on error runs".
const REPLAY: usize = 1 << (usize::BITS - 3);

/// The level number replay on error keeps from (0: replay is off).
static REPLAY_LEVEL: AtomicU8 = AtomicU8::new(0);

/// The most events replay keeps per request.
static REPLAY_CAPACITY: AtomicUsize = AtomicUsize::new(0);

/// The most bytes replay keeps, all requests together.
static REPLAY_BYTES: AtomicUsize = AtomicUsize::new(0);

/// `None` until a logger is installed (or `pulselog::set_filter` is
/// called): every call site is then disabled, unless an override runs.
static FILTER: RwLock<Option<Filter>> = RwLock::new(None);

/// See [`Settings::outputs`]: by default the one output follows the
/// process filter.
static OUTPUT_FILTERS: RwLock<OutputFilters> = RwLock::new(OutputFilters {
    own: Vec::new(),
    follow: true,
});

/// Sets everything but the filter; called once, by the installer of the
/// logger, before the logger goes live.
pub(crate) fn apply(settings: Settings) {
    MAX_VALUES.store(
        settings.max_values.min(u32::MAX as usize),
        Ordering::Relaxed,
    );
    FULL_BACKTRACES.store(settings.full_backtraces, Ordering::Relaxed);
    if settings.task_ids {
        DETOURS.fetch_or(TASK_IDS, Ordering::Relaxed);
    } else {
        DETOURS.fetch_and(!TASK_IDS, Ordering::Relaxed);
    }
    // The limits before the bit: a call site that sees the bit reads them.
    // Call sites start asking the guard once the installer sets the filter,
    // which makes every one look again.
    match settings.sampling {
        Some((first, thereafter)) => {
            SAMPLING.store(
                (u64::from(first) << 32) | u64::from(thereafter),
                Ordering::Relaxed,
            );
            DETOURS.fetch_or(GUARD, Ordering::Release);
        }
        None => {
            DETOURS.fetch_and(!GUARD, Ordering::Relaxed);
        }
    }
    match settings.replay {
        Some(replay) => {
            REPLAY_CAPACITY.store(replay.capacity, Ordering::Relaxed);
            REPLAY_BYTES.store(replay.bytes, Ordering::Relaxed);
            REPLAY_LEVEL.store(replay.level.number(), Ordering::Relaxed);
            DETOURS.fetch_or(REPLAY, Ordering::Relaxed);
        }
        None => {
            REPLAY_LEVEL.store(0, Ordering::Relaxed);
            DETOURS.fetch_and(!REPLAY, Ordering::Relaxed);
        }
    }
    *OUTPUT_FILTERS
        .write()
        .unwrap_or_else(PoisonError::into_inner) = settings.outputs;
}

/// The lowest level number that any output enables for `target`
/// ([`OFF`] for none), under the process filter `process`: the outputs'
/// own filters, and the process filter if any output follows it.
pub(crate) fn threshold(process: Option<&Filter>, target: &str) -> u8 {
    let outputs = OUTPUT_FILTERS
        .read()
        .unwrap_or_else(PoisonError::into_inner);
    let followed = match process {
        Some(f) if outputs.follow => f.threshold(target),
        _ => OFF,
    };
    outputs
        .own
        .iter()
        .map(|f| f.threshold(target))
        .fold(followed, u8::min)
}

/// The most verbose level any output enables anywhere, as a level number
/// ([`OFF`] for none), under the process filter `process`.
#[cfg(feature = "log")]
pub(crate) fn max_verbosity(process: Option<&Filter>) -> u8 {
    let outputs = OUTPUT_FILTERS
        .read()
        .unwrap_or_else(PoisonError::into_inner);
    let level = |f: &Filter| f.max_verbosity().map_or(OFF, |l| l.number());
    let followed = match process {
        Some(f) if outputs.follow => level(f),
        _ => OFF,
    };
    outputs.own.iter().map(level).fold(followed, u8::min)
}

/// The most bytes one event's values may take.
#[inline]
pub(crate) fn max_values() -> usize {
    MAX_VALUES.load(Ordering::Relaxed)
}

/// Whether backtraces are written whole.
#[inline]
pub(crate) fn full_backtraces() -> bool {
    FULL_BACKTRACES.load(Ordering::Relaxed)
}

/// Why an enabled event leaves the common path, as bits (0: it does not;
/// see [`only_replay`]).
#[inline]
pub(crate) fn detours() -> usize {
    DETOURS.load(Ordering::Relaxed)
}

/// Whether `detours` (from [`detours`]) is replay on error alone: then an
/// event the filter passes, below ERROR, has nothing more to do.
#[inline]
pub(crate) fn only_replay(detours: usize) -> bool {
    detours == REPLAY
}

/// Whether `detours` (from [`detours`]) is the storm guard alone: then an
/// event with no dropped events to report has nothing more to do.
#[inline]
pub(crate) fn only_guard(detours: usize) -> bool {
    detours == GUARD
}

/// Whether records carry the id of the tokio task that logged them.
#[inline]
pub(crate) fn task_ids() -> bool {
    DETOURS.load(Ordering::Relaxed) & TASK_IDS != 0
}

/// Whether replay on error runs.
#[inline]
pub(crate) fn replaying() -> bool {
    DETOURS.load(Ordering::Relaxed) & REPLAY != 0
}

/// The level number from which replay on error keeps events, when it
/// runs: call sites are enabled from there, whatever the filter says.
#[inline]
pub(crate) fn replay_level() -> Option<u8> {
    match REPLAY_LEVEL.load(Ordering::Relaxed) {
        0 => None,
        n => Some(n),
    }
}

/// The most events replay keeps per request.
#[inline]
pub(crate) fn replay_capacity() -> usize {
    REPLAY_CAPACITY.load(Ordering::Relaxed)
}

/// The most bytes replay keeps, all requests together.
#[inline]
pub(crate) fn replay_bytes() -> usize {
    REPLAY_BYTES.load(Ordering::Relaxed)
}

/// Whether an interest override runs.
#[inline]
pub(crate) fn overriding() -> bool {
    DETOURS.load(Ordering::Relaxed) & !FLAGS > 0
}

/// Counts one more override; `true` for the first.
pub(crate) fn override_started() -> bool {
    DETOURS.fetch_add(1, Ordering::SeqCst) & !FLAGS == 0
}

/// Counts one override less; `true` for the last.
pub(crate) fn override_ended() -> bool {
    DETOURS.fetch_sub(1, Ordering::SeqCst) & !FLAGS == 1
}

/// The storm guard's limits (first, thereafter), if it is on.
#[inline]
pub(crate) fn sampling() -> Option<(u32, u32)> {
    if DETOURS.load(Ordering::Acquire) & GUARD == 0 {
        return None;
    }
    let bits = SAMPLING.load(Ordering::Relaxed);
    #[allow(clippy::cast_possible_truncation)]
    Some(((bits >> 32) as u32, bits as u32))
}

/// The filter in force, for reading.
pub(crate) fn filter() -> RwLockReadGuard<'static, Option<Filter>> {
    FILTER.read().unwrap_or_else(PoisonError::into_inner)
}

/// The filter in force, for replacing (the call-site registry holds this
/// while it forgets its cached verdicts).
pub(crate) fn filter_mut() -> RwLockWriteGuard<'static, Option<Filter>> {
    FILTER.write().unwrap_or_else(PoisonError::into_inner)
}
