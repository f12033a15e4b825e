//! Backtraces: capture as instruction pointers, symbolization through a
//! process-wide cache, the per-second budget of cache misses, trimming, and
//! the short form people read.
//!
//! **Short form** (the default, like `RUST_BACKTRACE=1`): frames start at
//! the code that logged (or panicked) and stop above the program's entry
//! (`__rust_begin_short_backtrace`); the program's own frames are written
//! one a line, and a run of any other frames (the standard library, the
//! async runtime, any dependency, pulselog) is one counted line
//! (`… 9 frames in axum, tokio, std …`); paths are relative to the
//! workspace. **Full form**
//! (`RUST_BACKTRACE=full`, or `Config::full_backtraces`):
//! every frame, with its path as debug info has it.
//!
//! **Why the `backtrace` crate, and not `std::backtrace::Backtrace`.** The
//! crate and what it brings (`object`, `gimli`, `addr2line`, `miniz_oxide`,
//! `adler2`, `memchr`, `rustc-demangle`) are 8 of the 30 crates of a
//! hello-world with pulselog's default features, and more than a third of
//! its compilation (`object`, `gimli` and `backtrace` alone: 34.1 s of
//! 89.8 s, a clean debug build by `cargo build --timings` on a loaded
//! 2-core machine, `BENCHMARKS.md`); the hello-world still builds faster
//! than one on tracing, tracing-subscriber and tracing-appender. std's `Backtrace` would cost none of it, but
//! cannot do what the crate does here:
//!
//! - Its capture takes std's global backtrace lock, which resolving any
//!   std backtrace holds for all of its frames (on a process's first one,
//!   while the debug info is loaded: hundreds of milliseconds). A caller
//!   would then wait for the writer thread's symbolization, which the
//!   runtime promises never to happen. The crate unwinds without a lock
//!   ([`Backtrace::capture`]); its lock guards symbolization, which only
//!   the writer thread does.
//! - It costs the caller more: unwinding some 28 frames (x86-64, release)
//!   takes 40,800 instructions with the crate, collecting instruction
//!   pointers, and 73,800 with `Backtrace::force_capture`, which looks up
//!   every frame's function start as well.
//! - It resolves every frame of every backtrace, and gives no instruction
//!   pointer before it has: neither the cache by pointer nor the budget of
//!   [`MISS_BUDGET`] lookups a second can be built on it. 100,000 errors
//!   from one call path cost the crate at most [`MAX_FRAMES`] lookups; with
//!   std, every error is resolved again (48.8 µs for capturing, resolving
//!   and formatting one such backtrace, against 21.1 µs for capturing and
//!   resolving it with the crate without the cache).
//! - Its frames are readable only from its `Debug` or `Display` text,
//!   which is not a stable API; `Debug` gives paths relative to the
//!   current directory, no column, and leaves out the frames it could not
//!   symbolize.
//!
//! Nor can the crate be trimmed: on every target but MSVC Windows it
//! depends on `addr2line`, `object` and `miniz_oxide` whatever its
//! features, which only pick the platform's unwinder or symbolizer, and its
//! `std` feature is the one `backtrace::resolve` needs.

mod frame;
mod short;

pub use frame::BacktraceFrame;
pub(crate) use frame::Location;
use short::short_form;
#[cfg(test)]
use short::{crate_of, short_path};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Most frames a backtrace keeps (counted before trimming the logging
/// machinery's own frames).
pub const MAX_FRAMES: usize = 128;

/// Instruction pointers resolved per second at most; frames beyond the budget
/// are written unresolved (as addresses). Repeated frames hit the cache and
/// do not count.
pub const MISS_BUDGET: u32 = 4096;

/// Cached frames at most; the cache starts over when it is full.
const CACHE_CAP: usize = 16 * 1024;

/// A backtrace as captured: instruction pointers, symbolized on first use.
pub(crate) struct Backtrace {
    ips: Vec<usize>,
    resolved: OnceLock<Resolved>,
}

/// Every frame, and the range the short form keeps.
struct Resolved {
    all: Vec<BacktraceFrame>,
    kept: std::ops::Range<usize>,
}

impl fmt::Debug for Backtrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backtrace")
            .field("frames", &self.ips.len())
            .field("resolved", &self.resolved.get().is_some())
            .finish()
    }
}

/// A copy of the captured frames; it symbolizes them on its own first use.
impl Clone for Backtrace {
    fn clone(&self) -> Backtrace {
        Backtrace {
            ips: self.ips.clone(),
            resolved: OnceLock::new(),
        }
    }
}

/// The same frames, as captured (two backtraces from one call path).
impl PartialEq for Backtrace {
    fn eq(&self, other: &Backtrace) -> bool {
        self.ips == other.ips
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
        let r = self.resolve(location);
        &r.all[r.kept.clone()]
    }

    fn resolve(&self, location: Option<&Location>) -> &Resolved {
        self.resolved.get_or_init(|| {
            let all = symbolize(&self.ips);
            let kept = trim(&all, location);
            Resolved { all, kept }
        })
    }

    /// The lines a format writes: the short form, or every frame in the
    /// full form. `anchor` is the file the event names (`file!()` of the
    /// call site, or the panic's): the frame there tells where the
    /// workspace is.
    pub(super) fn lines(&self, location: Option<&Location>, anchor: &str) -> Vec<String> {
        let r = self.resolve(location);
        if crate::settings::full_backtraces() {
            return r.all.iter().map(ToString::to_string).collect();
        }
        short_form(&r.all[r.kept.clone()], anchor)
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

/// Instruction pointers looked up in the debug info so far (cache misses
/// within the budget): what symbolization has cost the process.
static SYMBOLIZED: AtomicU64 = AtomicU64::new(0);

/// How many instruction pointers the process has symbolized.
pub(crate) fn symbolized() -> u64 {
    SYMBOLIZED.load(Ordering::Relaxed)
}

/// One instruction pointer's frames: the innermost inlined function first.
fn resolve_ip(ip: usize) -> Vec<BacktraceFrame> {
    SYMBOLIZED.fetch_add(1, Ordering::Relaxed);
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

fn symbolize(ips: &[usize]) -> Vec<BacktraceFrame> {
    symbolize_with(
        &mut SYMBOLIZER.lock().unwrap_or_else(PoisonError::into_inner),
        ips,
        Instant::now(),
        resolve_ip,
    )
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

/// The frames kept: from the call site (or the panic location) down to
/// above the runtime's frames below `main`, the test or the thread's
/// closure.
fn trim(frames: &[BacktraceFrame], location: Option<&Location>) -> std::ops::Range<usize> {
    let end = frames
        .iter()
        .position(|f| f.function.contains("__rust_begin_short_backtrace"))
        .unwrap_or(frames.len());
    let frames = &frames[..end];
    let start = location
        .and_then(|loc| frames.iter().position(|f| f.is_at(loc)))
        .or_else(|| frames.iter().position(|f| !is_machinery(&f.function)))
        .unwrap_or(0);
    start..end
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
        let names: Vec<_> = frames[trim(&frames, None)]
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
        let kept = trim(&panicking, Some(&loc));
        assert_eq!(&*panicking[kept.start].function, "app::handler");
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

    #[test]
    fn the_short_form_collapses_plumbing_and_shortens_paths() {
        let rustc =
            "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/ops/function.rs";
        let tokio_file = "/home/u/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokio-1.48.0/src/runtime/task/core.rs";
        let frames = vec![
            frame(
                "app::config::load",
                Some("/src/app/src/config.rs"),
                Some(40),
            ),
            frame(
                "app::main::{{closure}}",
                Some("/src/app/src/main.rs"),
                Some(9),
            ),
            frame(
                "<core::pin::Pin<P> as core::future::future::Future>::poll",
                Some(rustc),
                Some(1),
            ),
            frame(
                "<pulselog::context::WithContext<F> as core::future::future::Future>::poll",
                None,
                None,
            ),
            frame(
                "tokio::runtime::task::core::Core<T,S>::poll::{{closure}}",
                Some(tokio_file),
                Some(331),
            ),
            frame("<F as core::future::future::Future>::poll", None, None),
            frame(
                "serde_json::de::from_str",
                Some(
                    "/home/u/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde_json-1.0.140/src/de.rs",
                ),
                Some(7),
            ),
            frame("__rust_try", None, None),
            frame(
                "lib::dep",
                Some("/home/u/.cargo/git/checkouts/lib-0f1e2d3c4b5a6978/a1b2c3d/src/lib.rs"),
                Some(3),
            ),
            frame("0x1234", None, None),
        ];
        let mut frames = frames;
        frames[9].resolved = false;
        // Frames of the program's own crate without a file are its own;
        // any dependency's are collapsed, however many crates a run holds.
        frames.push(frame("app::inlined_helper", None, Some(5)));
        for krate in [
            "axum",
            "tower",
            "hyper",
            "hyper_util",
            "tokio",
            "futures_util",
        ] {
            let file = format!("/home/u/.cargo/registry/src/i/{krate}-1.0.0/src/lib.rs");
            frames.push(frame(&format!("{krate}::f"), Some(&file), Some(1)));
        }
        frames.push(frame(
            "pulselog::tower::access_line",
            Some("/src/app/runtime/src/tower.rs"),
            Some(1),
        ));
        frames.push(frame("app::main", Some("/src/app/src/main.rs"), Some(3)));
        let lines = short_form(&frames, "src/config.rs");
        assert_eq!(
            lines,
            [
                "app::config::load at src/config.rs:40",
                "app::main::{{closure}} at src/main.rs:9",
                "… 7 frames in std, pulselog, tokio, serde_json, lib …",
                "0x1234",
                "app::inlined_helper",
                "… 7 frames in axum, tower, hyper, hyper_util, tokio and 2 more …",
                "app::main at src/main.rs:3",
            ]
        );
        let serde = frames[6].file.as_deref().unwrap();
        assert_eq!(short_path(serde, None), "serde_json-1.0.140/src/de.rs");
        let git = frames[8].file.as_deref().unwrap();
        assert_eq!(short_path(git, None), "lib/src/lib.rs");
        assert_eq!(short_path(rustc, None), "library/core/src/ops/function.rs");
        assert_eq!(
            crate_of("<&mut tokio::io::Foo as std::io::Read>::read"),
            "tokio"
        );
        assert_eq!(
            crate_of("<F as core::future::future::Future>::poll"),
            "core"
        );
        assert_eq!(crate_of("<dyn core::ops::FnOnce>::call"), "core");
        assert_eq!(crate_of("app::main"), "app");
    }
}
