//! Backtraces: capture as instruction pointers, symbolization through a
//! process-wide cache, the per-second budget of cache misses, trimming.

use super::{Location, MAX_FRAMES, MISS_BUDGET};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Cached frames at most; the cache starts over when it is full.
const CACHE_CAP: usize = 16 * 1024;

/// A backtrace as captured: instruction pointers, symbolized on first use.
pub(crate) struct Backtrace {
    ips: Vec<usize>,
    resolved: OnceLock<Vec<BacktraceFrame>>,
}

impl fmt::Debug for Backtrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backtrace")
            .field("frames", &self.ips.len())
            .field("resolved", &self.resolved.get().is_some())
            .finish()
    }
}

impl Backtrace {
    /// Unwinds the caller's stack; no symbol lookup, no lock.
    #[inline(never)]
    pub(crate) fn capture() -> Backtrace {
        let mut ips = Vec::with_capacity(48);
        let mut push = |frame: &backtrace::Frame| {
            ips.push(frame.ip().addr());
            ips.len() < MAX_FRAMES
        };
        // The synchronized `backtrace::trace` takes the lock that symbol
        // lookup holds, so a caller would wait for the writer thread to
        // finish symbolizing: exactly what a log call must never do.
        #[cfg(unix)]
        // SAFETY: on unix targets the tracer is `_Unwind_Backtrace`, which
        // the unwinder makes safe to call from several threads at once (every
        // panicking thread unwinds through it concurrently, with no lock).
        // The crate's lock guards its symbolization cache, which tracing does
        // not touch; symbolization below goes through the synchronized API.
        unsafe {
            backtrace::trace_unsynchronized(&mut push);
        }
        #[cfg(not(unix))]
        backtrace::trace(&mut push);
        Backtrace {
            ips,
            resolved: OnceLock::new(),
        }
    }

    /// Heap bytes of the captured form (what a queued event holds).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.ips.capacity() * size_of::<usize>()
    }

    /// The frames, symbolized on first use and trimmed to start at
    /// `location` (a panic's) or at the first frame past the machinery.
    pub(super) fn frames(&self, location: Option<&Location>) -> &[BacktraceFrame] {
        self.resolved.get_or_init(|| symbolize(&self.ips, location))
    }
}

/// One frame of a backtrace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacktraceFrame {
    pub(super) function: Arc<str>,
    file: Option<Arc<str>>,
    line: Option<u32>,
    column: Option<u32>,
    pub(super) resolved: bool,
}

impl BacktraceFrame {
    /// The function's demangled path (`my_app::handlers::charge`); the
    /// instruction address in hex for a frame that was not symbolized.
    #[must_use]
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The source file, when debug info has it.
    #[must_use]
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// The source line, when debug info has it.
    #[must_use]
    pub fn line(&self) -> Option<u32> {
        self.line
    }

    /// The source column, when debug info has it.
    #[must_use]
    pub fn column(&self) -> Option<u32> {
        self.column
    }

    /// Whether the frame was symbolized (false past the symbolization
    /// budget, see [`MISS_BUDGET`]).
    #[must_use]
    pub fn is_resolved(&self) -> bool {
        self.resolved
    }

    pub(super) fn is_at(&self, loc: &Location) -> bool {
        self.line == Some(loc.line)
            && self.file.as_deref().is_some_and(|f| {
                f == loc.file
                    || f.strip_suffix(loc.file)
                        .is_some_and(|dir| dir.ends_with(['/', '\\']))
            })
    }

    fn unresolved(ip: usize) -> BacktraceFrame {
        BacktraceFrame {
            function: format!("{ip:#x}").into(),
            file: None,
            line: None,
            column: None,
            resolved: false,
        }
    }
}

/// `function at file:line:column`, as much as is known.
impl fmt::Display for BacktraceFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.function)?;
        if let Some(file) = &self.file {
            write!(f, " at {file}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(col) = self.column {
                    write!(f, ":{col}")?;
                }
            }
        }
        Ok(())
    }
}

/// Resolves instruction pointers, caching by pointer and within a budget.
struct Symbolizer {
    cache: HashMap<usize, Arc<[BacktraceFrame]>>,
    budget: u32,
    window: Option<Instant>,
    misses: u32,
}

impl Symbolizer {
    fn new(budget: u32) -> Symbolizer {
        Symbolizer {
            cache: HashMap::new(),
            budget,
            window: None,
            misses: 0,
        }
    }

    fn frames(
        &mut self,
        ip: usize,
        now: Instant,
        resolve: impl FnOnce(usize) -> Vec<BacktraceFrame>,
    ) -> Arc<[BacktraceFrame]> {
        if let Some(hit) = self.cache.get(&ip) {
            return Arc::clone(hit);
        }
        if self
            .window
            .is_none_or(|start| now.duration_since(start) >= Duration::from_secs(1))
        {
            self.window = Some(now);
            self.misses = 0;
        }
        if self.misses >= self.budget {
            return Arc::new([BacktraceFrame::unresolved(ip)]);
        }
        self.misses += 1;
        let frames: Arc<[BacktraceFrame]> = resolve(ip).into();
        if self.cache.len() >= CACHE_CAP {
            self.cache.clear();
        }
        self.cache.insert(ip, Arc::clone(&frames));
        frames
    }
}

static SYMBOLIZER: LazyLock<Mutex<Symbolizer>> =
    LazyLock::new(|| Mutex::new(Symbolizer::new(MISS_BUDGET)));

/// One instruction pointer's frames: the innermost inlined function first.
fn resolve_ip(ip: usize) -> Vec<BacktraceFrame> {
    let mut frames = Vec::new();
    backtrace::resolve(std::ptr::without_provenance_mut(ip), |sym| {
        frames.push(BacktraceFrame {
            function: sym
                .name()
                .map_or_else(|| "<unknown>".into(), |n| format!("{n:#}").into()),
            file: sym.filename().map(|p| p.to_string_lossy().into()),
            line: sym.lineno(),
            column: sym.colno(),
            resolved: true,
        });
    });
    if frames.is_empty() {
        frames.push(BacktraceFrame {
            resolved: true,
            ..BacktraceFrame::unresolved(ip)
        });
    }
    frames
}

fn symbolize(ips: &[usize], location: Option<&Location>) -> Vec<BacktraceFrame> {
    let frames = symbolize_with(
        &mut SYMBOLIZER.lock().unwrap_or_else(PoisonError::into_inner),
        ips,
        Instant::now(),
        resolve_ip,
    );
    trim(frames, location)
}

fn symbolize_with(
    sym: &mut Symbolizer,
    ips: &[usize],
    now: Instant,
    mut resolve: impl FnMut(usize) -> Vec<BacktraceFrame>,
) -> Vec<BacktraceFrame> {
    let mut out = Vec::with_capacity(ips.len());
    for &ip in ips {
        out.extend(sym.frames(ip, now, &mut resolve).iter().cloned());
    }
    out
}

/// Leading frames that belong to the logging or panic machinery, not to the
/// code that logged: pulselog's, the unwinder's, and the standard library
/// helpers they call (closures, the panic runtime, the boxed panic hook).
/// The frame just above a log call is always pulselog's, so a standard
/// library frame in this leading run is never the user's. `<`/`&` of impl
/// paths are skipped before matching.
const MACHINERY: &[&str] = &[
    "backtrace::",
    "pulselog::",
    "core::",
    "std::",
    "alloc::",
    "rust_begin_unwind",
    "__rustc::",
];

fn is_machinery(function: &str) -> bool {
    let f = function.trim_start_matches(['<', '&']);
    MACHINERY.iter().any(|m| f.starts_with(m))
}

/// Cuts the frames above the call site (or the panic location) and the
/// runtime's frames below `main`, the test or the thread's closure.
fn trim(mut frames: Vec<BacktraceFrame>, location: Option<&Location>) -> Vec<BacktraceFrame> {
    if let Some(end) = frames
        .iter()
        .position(|f| f.function.contains("__rust_begin_short_backtrace"))
    {
        frames.truncate(end);
    }
    let start = location
        .and_then(|loc| frames.iter().position(|f| f.is_at(loc)))
        .or_else(|| frames.iter().position(|f| !is_machinery(&f.function)))
        .unwrap_or(0);
    frames.drain(..start);
    frames
}

/// A `'static` copy of a string that identifies a place in the program (file
/// and function names of panics). The set is bounded by the program's own
/// names; past [`INTERN_CAP`] entries a placeholder is returned instead.
pub(super) fn intern(s: &str) -> &'static str {
    const INTERN_CAP: usize = 4096;
    static SET: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut set = SET.lock().unwrap_or_else(PoisonError::into_inner);
    let set = set.get_or_insert_with(HashSet::new);
    if let Some(&found) = set.get(s) {
        return found;
    }
    if set.len() >= INTERN_CAP {
        return "<unknown>";
    }
    let leaked: &'static str = Box::leak(s.into());
    set.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, file: Option<&str>, line: Option<u32>) -> BacktraceFrame {
        BacktraceFrame {
            function: function.into(),
            file: file.map(Into::into),
            line,
            column: None,
            resolved: true,
        }
    }

    #[test]
    fn machinery_and_runtime_frames_are_trimmed() {
        let frames = vec![
            frame("backtrace::backtrace::trace_unsynchronized", None, None),
            frame("pulselog::exc_info::Backtrace::capture", None, None),
            frame("core::ops::function::FnOnce::call_once", None, None),
            frame(
                "<&&&pulselog::exc_info::ExcWrap<T> as pulselog::exc_info::ExcInfoError>::__pulselog_exc_info",
                None,
                None,
            ),
            frame("app::handler", Some("/src/app/src/main.rs"), Some(9)),
            frame("app::main", Some("/src/app/src/main.rs"), Some(3)),
            frame(
                "std::sys::backtrace::__rust_begin_short_backtrace",
                None,
                None,
            ),
            frame("std::rt::lang_start", None, None),
        ];
        let names: Vec<_> = trim(frames.clone(), None)
            .iter()
            .map(|f| f.function.to_string())
            .collect();
        assert_eq!(names, ["app::handler", "app::main"]);

        // A panic starts at its location, below the indexing internals.
        let mut panicking = vec![
            frame("core::panicking::panic_bounds_check", None, None),
            frame(
                "<usize as core::slice::index::SliceIndex<[T]>>::index",
                None,
                None,
            ),
        ];
        panicking.extend(frames[3..].iter().cloned());
        let loc = Location {
            file: "src/main.rs",
            line: 9,
            column: 5,
        };
        let trimmed = trim(panicking, Some(&loc));
        assert_eq!(&*trimmed[0].function, "app::handler");
        assert!(!frame("x", Some("/src/app/xsrc/main.rs"), Some(9)).is_at(&loc));
    }

    #[test]
    fn symbolization_is_cached_and_budgeted() {
        let mut sym = Symbolizer::new(2);
        let mut lookups = Vec::new();
        let mut resolve = |ip: usize| {
            lookups.push(ip);
            vec![frame(&format!("f{ip}"), None, None)]
        };
        let now = Instant::now();
        let out = symbolize_with(&mut sym, &[1, 2, 1, 3, 2], now, &mut resolve);
        let names: Vec<_> = out.iter().map(|f| f.function.to_string()).collect();
        // 1 and 2 are resolved once each; 3 is past the budget of 2 per second.
        assert_eq!(names, ["f1", "f2", "f1", "0x3", "f2"]);
        assert!(!out[3].is_resolved());
        // A second later the budget is back.
        let later = now + Duration::from_secs(1);
        let out = symbolize_with(&mut sym, &[3, 1], later, &mut resolve);
        assert_eq!(&*out[0].function, "f3");
        assert!(out[0].is_resolved());
        assert_eq!(lookups, [1, 2, 3]);
    }
}
