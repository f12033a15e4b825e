//! Errors and panics attached to an event (`exc_info`): the error's type, its
//! message and `source()` chain, and on request a backtrace.
//!
//! On the caller's thread the chain is formatted into the record (an error is
//! neither `'static` nor `Send`, so it cannot travel to the writer), and a
//! backtrace is captured as raw instruction pointers: stack unwinding only, no
//! symbol lookup. The frames are symbolized when a formatter first asks for
//! them, on the writer thread.
//!
//! Bounds, so that an error storm cannot take the process down with it:
//! - the chain stops after [`MAX_CHAIN`] messages (a `source()` cycle cannot
//!   loop forever) and says so;
//! - a backtrace keeps at most [`MAX_FRAMES`] frames;
//! - symbols are looked up through a process-wide cache keyed by instruction
//!   pointer, so the thousandth backtrace from the same place costs a few hash
//!   lookups; at most [`MISS_BUDGET`] cache misses are resolved per second,
//!   and frames beyond that are written as raw addresses, so a storm of
//!   *different* stacks cannot keep a core busy symbolizing either.
//!
//! User code that runs during capture (`Display`, `source()`) may panic or log
//! again: a panic leaves a placeholder message, and runaway recursion is cut
//! (see [`crate::record::guarded`]).

use crate::record::{RecordBuilder, guarded};
use smallvec::SmallVec;
use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Longest `source()` chain recorded, the error's own message included.
pub const MAX_CHAIN: usize = 32;

/// Most frames a backtrace keeps (counted before trimming the logging
/// machinery's own frames).
pub const MAX_FRAMES: usize = 128;

/// Instruction pointers resolved per second at most; frames beyond the budget
/// are written unresolved (as addresses). Repeated frames hit the cache and
/// do not count.
pub const MISS_BUDGET: u32 = 4096;

/// Cached frames at most; the cache starts over when it is full.
const CACHE_CAP: usize = 16 * 1024;

/// `type` of the exc_info of a panic.
pub const PANIC_TYPE: &str = "panic";

/// An error (or panic) captured with an event: its type, the messages of its
/// `source()` chain and, when asked for, a backtrace.
///
/// Formatters read it through [`Event::exc_info`](crate::format::Event::exc_info),
/// tests through [`CapturedEvent::exc_info`](crate::testing::CapturedEvent::exc_info).
pub struct ExcInfo {
    type_name: &'static str,
    panic: bool,
    /// The chain's messages, back to back (UTF-8); message `i` ends at
    /// `ends[i]`. Inline, so that a typical chain costs no allocation besides
    /// the box.
    text: SmallVec<[u8; TEXT_INLINE]>,
    ends: SmallVec<[u32; 4]>,
    truncated: bool,
    backtrace: Option<Backtrace>,
    location: Option<Location>,
}

impl fmt::Debug for ExcInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExcInfo")
            .field("type", &self.type_name)
            .field("chain", &self.chain().collect::<Vec<_>>())
            .field("chain_truncated", &self.truncated)
            .field("backtrace", &self.backtrace)
            .field("location", &self.location)
            .finish()
    }
}

/// Where a panic happened.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location {
    pub(crate) file: &'static str,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

impl ExcInfo {
    /// The error's type as `std::any::type_name` spells it, references
    /// stripped (`std::io::error::Error`, `anyhow::Error`,
    /// `alloc::boxed::Box<dyn core::error::Error + …>` when only the trait
    /// object is known); `"panic"` for a panic.
    #[must_use]
    pub fn type_name(&self) -> &str {
        self.type_name
    }

    /// The error's own message (its `Display`).
    #[must_use]
    pub fn message(&self) -> &str {
        self.chain().next().unwrap_or("")
    }

    /// The messages of the chain: the error's own first, its root cause last.
    pub fn chain(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = self.text.get(start..end as usize).unwrap_or_default();
            start = end as usize;
            // Only whole `str`s are ever appended.
            std::str::from_utf8(s).unwrap_or("\u{FFFD}")
        })
    }

    /// Whether the chain went on past [`MAX_CHAIN`] messages.
    #[must_use]
    pub fn chain_truncated(&self) -> bool {
        self.truncated
    }

    /// The backtrace, symbolized on first use (`None` unless one was asked
    /// for). The first frame is the code that logged (or panicked): frames of
    /// pulselog and of the panic machinery are trimmed, and so are the frames
    /// of the runtime below `main`, the test harness or the thread start.
    #[must_use]
    pub fn backtrace(&self) -> Option<&[BacktraceFrame]> {
        let bt = self.backtrace.as_ref()?;
        Some(
            &bt.resolved
                .get_or_init(|| symbolize(&bt.ips, self.location.as_ref()))[..],
        )
    }

    /// Whether this records a panic rather than an error value.
    #[must_use]
    pub fn is_panic(&self) -> bool {
        self.panic
    }

    pub(crate) fn location(&self) -> Option<Location> {
        self.location
    }

    /// The bare name of the function that panicked, found in the backtrace.
    pub(crate) fn panic_function(&self) -> Option<&'static str> {
        let loc = self.location.as_ref()?;
        let frames = self.backtrace()?;
        let frame = frames
            .iter()
            .find(|f| f.is_at(loc))
            .or_else(|| frames.first())?;
        frame
            .resolved
            .then(|| intern(bare_function_name(&frame.function)))
    }

    fn new(type_name: &'static str) -> ExcInfo {
        ExcInfo {
            type_name,
            panic: false,
            text: SmallVec::new(),
            ends: SmallVec::new(),
            truncated: false,
            backtrace: None,
            location: None,
        }
    }

    /// Appends one message, written by user code: a panic leaves a
    /// placeholder, a formatting error keeps what was written.
    fn push_message(&mut self, write: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result) {
        let start = self.text.len();
        let text = &mut self.text;
        if let Err(placeholder) = guarded(|| write(&mut TextWriter(text))) {
            self.text.truncate(start);
            self.text.extend_from_slice(placeholder.as_bytes());
        }
        let end = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.ends.push(end);
    }

    /// Walks `err` and its sources.
    fn walk(&mut self, err: &(dyn Error + '_)) {
        let mut cur = Some(err);
        while let Some(e) = cur {
            if self.ends.len() == MAX_CHAIN {
                self.truncated = true;
                break;
            }
            self.push_message(|s| write!(s, "{e}"));
            cur = guarded(|| e.source()).ok().flatten();
        }
    }
}

/// Bytes of chain text an [`ExcInfo`] holds without a second allocation.
const TEXT_INLINE: usize = 128;

struct TextWriter<'a>(&'a mut SmallVec<[u8; TEXT_INLINE]>);

impl fmt::Write for TextWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Records an error with its chain (the common, non-generic core of every
/// `exc_info` form).
#[inline(never)]
pub(crate) fn capture_error(
    rec: &mut RecordBuilder,
    type_name: &'static str,
    err: &(dyn Error + '_),
    backtrace: bool,
) {
    let backtrace = backtrace.then(Backtrace::capture);
    // Built in its box: the record takes the pointer, nothing is copied.
    let mut exc = Box::new(ExcInfo::new(type_name));
    exc.walk(err);
    exc.backtrace = backtrace;
    rec.set_exc(exc);
}

/// Records a value that is not an error: its message alone.
#[inline(never)]
fn capture_message(
    rec: &mut RecordBuilder,
    type_name: &'static str,
    msg: &dyn Fn(&mut dyn fmt::Write) -> fmt::Result,
    backtrace: bool,
) {
    let backtrace = backtrace.then(Backtrace::capture);
    // Built in its box: the record takes the pointer, nothing is copied.
    let mut exc = Box::new(ExcInfo::new(type_name));
    exc.push_message(msg);
    exc.backtrace = backtrace;
    rec.set_exc(exc);
}

/// Records a panic payload (`catch_unwind`'s `Err`, or the panic hook's).
#[inline(never)]
pub(crate) fn capture_panic(
    rec: &mut RecordBuilder,
    payload: &(dyn Any + Send),
    location: Option<&std::panic::Location<'_>>,
    backtrace: bool,
) {
    let backtrace = backtrace.then(Backtrace::capture);
    let mut exc = Box::new(ExcInfo::new(PANIC_TYPE));
    exc.panic = true;
    let msg = payload_message(payload);
    exc.push_message(|s| s.write_str(msg));
    exc.backtrace = backtrace;
    exc.location = location.map(|l| Location {
        file: intern(l.file()),
        line: l.line(),
        column: l.column(),
    });
    rec.set_exc(exc);
}

/// The message of a panic payload: `panic!` makes a `&str` or a `String`.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

/// `std::any::type_name::<T>()` without leading references.
fn type_name_of<T: ?Sized>() -> &'static str {
    let mut name = std::any::type_name::<T>();
    loop {
        if let Some(rest) = name.strip_prefix("&mut ") {
            name = rest;
        } else if let Some(rest) = name.strip_prefix('&') {
            name = rest;
        } else {
            return name;
        }
    }
}

// ---------------------------------------------------------------------------
// Backtraces

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
}

/// One frame of a backtrace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacktraceFrame {
    function: Arc<str>,
    file: Option<Arc<str>>,
    line: Option<u32>,
    column: Option<u32>,
    resolved: bool,
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

    fn is_at(&self, loc: &Location) -> bool {
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

/// `app::handlers::charge::{{closure}}` → `charge`;
/// `<app::S as app::T>::method` → `method`.
fn bare_function_name(mut path: &str) -> &str {
    while let Some(head) = path.strip_suffix("::{{closure}}") {
        path = head;
    }
    path.rsplit_once("::").map_or(path, |(_, last)| last)
}

/// A `'static` copy of a string that identifies a place in the program (file
/// and function names of panics). The set is bounded by the program's own
/// names; past [`INTERN_CAP`] entries a placeholder is returned instead.
fn intern(s: &str) -> &'static str {
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

// ---------------------------------------------------------------------------
// What the macros call: pick how to record a value by its type (autoref
// specialization, as in `value.rs`).

/// Wraps the operand of `exc_info = …`, `log_error!(err, …)` or
/// `#[logged(err)]`. Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct ExcWrap<'a, T: ?Sized>(pub &'a T);

/// Anything that is a `dyn Error`: sized errors and the error trait objects.
#[doc(hidden)]
pub trait AsDynError {
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_);
}
impl<T: Error> AsDynError for T {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}
impl AsDynError for dyn Error + '_ {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}
impl AsDynError for dyn Error + Send + '_ {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}
impl AsDynError for dyn Error + Sync + '_ {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}
impl AsDynError for dyn Error + Send + Sync + '_ {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}

/// A panic payload, as `catch_unwind` returns it or the panic hook sees it.
/// For `exc_info`, this is also where an unsupported type is reported.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be logged as exc_info: it is not an error",
    label = "not an error or a panic payload",
    note = "exc_info takes a `std::error::Error` (by value or by reference, `&dyn Error` included), a type that derefs to one (`Box<dyn Error + Send + Sync>`, `anyhow::Error`), or a panic payload (`Box<dyn Any + Send>` from `catch_unwind`)",
    note = "to log any other value, record it as a field: `key = value`, `key = %value` or `key = ?value`"
)]
pub trait PanicPayload {
    #[doc(hidden)]
    fn __pulselog_payload(&self) -> &(dyn Any + Send);
}
#[diagnostic::do_not_recommend]
impl PanicPayload for dyn Any + Send {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        self
    }
}
#[diagnostic::do_not_recommend]
impl PanicPayload for dyn Any + Send + Sync {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        self
    }
}
#[diagnostic::do_not_recommend]
impl PanicPayload for Box<dyn Any + Send> {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        &**self
    }
}
#[diagnostic::do_not_recommend]
impl PanicPayload for Box<dyn Any + Send + Sync> {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        &**self
    }
}
#[diagnostic::do_not_recommend]
impl<T: PanicPayload + ?Sized> PanicPayload for &T {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        (**self).__pulselog_payload()
    }
}
#[diagnostic::do_not_recommend]
impl<T: PanicPayload + ?Sized> PanicPayload for &mut T {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        (**self).__pulselog_payload()
    }
}

/// `exc_info` tier 1: an error. Not public API.
#[doc(hidden)]
pub trait ExcInfoError {
    fn __pulselog_exc_info(&self, rec: &mut RecordBuilder, backtrace: bool);
}
impl<T: AsDynError + ?Sized> ExcInfoError for &&&ExcWrap<'_, T> {
    #[inline]
    fn __pulselog_exc_info(&self, rec: &mut RecordBuilder, backtrace: bool) {
        capture_error(
            rec,
            type_name_of::<T>(),
            self.0.__pulselog_as_dyn_error(),
            backtrace,
        );
    }
}

/// `exc_info` tier 2: derefs to an error (`Box<dyn Error>`, `anyhow::Error`).
/// Not public API.
#[doc(hidden)]
pub trait ExcInfoDeref {
    fn __pulselog_exc_info(&self, rec: &mut RecordBuilder, backtrace: bool);
}
impl<T> ExcInfoDeref for &&ExcWrap<'_, T>
where
    T: Deref + ?Sized,
    T::Target: AsDynError,
{
    #[inline]
    fn __pulselog_exc_info(&self, rec: &mut RecordBuilder, backtrace: bool) {
        capture_error(
            rec,
            type_name_of::<T>(),
            (**self.0).__pulselog_as_dyn_error(),
            backtrace,
        );
    }
}

/// `exc_info` tier 3: a reference to something that derefs to an error
/// (`&Box<dyn Error>`, `&anyhow::Error`). Not public API.
#[doc(hidden)]
pub trait ExcInfoDeref2 {
    fn __pulselog_exc_info(&self, rec: &mut RecordBuilder, backtrace: bool);
}
impl<T> ExcInfoDeref2 for &ExcWrap<'_, T>
where
    T: Deref + ?Sized,
    T::Target: Deref,
    <T::Target as Deref>::Target: AsDynError,
{
    #[inline]
    fn __pulselog_exc_info(&self, rec: &mut RecordBuilder, backtrace: bool) {
        capture_error(
            rec,
            type_name_of::<T>(),
            (***self.0).__pulselog_as_dyn_error(),
            backtrace,
        );
    }
}

/// `exc_info` tier 4: a panic payload; for any other type, the method's
/// bound reports what `exc_info` accepts. Not public API.
#[doc(hidden)]
pub trait ExcInfoOther {
    type Inner: ?Sized;
    fn __pulselog_exc_info(&self, rec: &mut RecordBuilder, backtrace: bool)
    where
        Self::Inner: PanicPayload;
}
impl<T: ?Sized> ExcInfoOther for ExcWrap<'_, T> {
    type Inner = T;
    #[inline]
    fn __pulselog_exc_info(&self, rec: &mut RecordBuilder, backtrace: bool)
    where
        T: PanicPayload,
    {
        capture_panic(rec, self.0.__pulselog_payload(), None, backtrace);
    }
}

// The error of a `Result` (`#[logged(err)]`): the same tiers, then any
// `Display`, then any `Debug` (message only). Call as
// `(&&&&&&ExcWrap(&e)).__pulselog_err(&mut rec, backtrace)` with the six
// `Err*` traits in scope.

/// `#[logged(err)]` tier 1: an error. Not public API.
#[doc(hidden)]
pub trait ErrError {
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool);
}
impl<T: AsDynError + ?Sized> ErrError for &&&&&ExcWrap<'_, T> {
    #[inline]
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool) {
        capture_error(
            rec,
            type_name_of::<T>(),
            self.0.__pulselog_as_dyn_error(),
            backtrace,
        );
    }
}

/// `#[logged(err)]` tier 2: derefs to an error. Not public API.
#[doc(hidden)]
pub trait ErrDeref {
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool);
}
impl<T> ErrDeref for &&&&ExcWrap<'_, T>
where
    T: Deref + ?Sized,
    T::Target: AsDynError,
{
    #[inline]
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool) {
        capture_error(
            rec,
            type_name_of::<T>(),
            (**self.0).__pulselog_as_dyn_error(),
            backtrace,
        );
    }
}

/// `#[logged(err)]` tier 3: a reference to something that derefs to an
/// error. Not public API.
#[doc(hidden)]
pub trait ErrDeref2 {
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool);
}
impl<T> ErrDeref2 for &&&ExcWrap<'_, T>
where
    T: Deref + ?Sized,
    T::Target: Deref,
    <T::Target as Deref>::Target: AsDynError,
{
    #[inline]
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool) {
        capture_error(
            rec,
            type_name_of::<T>(),
            (***self.0).__pulselog_as_dyn_error(),
            backtrace,
        );
    }
}

/// `#[logged(err)]` tier 4: a panic payload. Not public API.
#[doc(hidden)]
pub trait ErrPanic {
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool);
}
impl<T: PanicPayload + ?Sized> ErrPanic for &&ExcWrap<'_, T> {
    #[inline]
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool) {
        capture_panic(rec, self.0.__pulselog_payload(), None, backtrace);
    }
}

/// `#[logged(err)]` tier 5: anything `Display` (message only). Not public
/// API.
#[doc(hidden)]
pub trait ErrDisplay {
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool);
}
impl<T: fmt::Display + ?Sized> ErrDisplay for &ExcWrap<'_, T> {
    #[inline]
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool) {
        let v = self.0;
        capture_message(rec, type_name_of::<T>(), &|s| write!(s, "{v}"), backtrace);
    }
}

/// The error type of a function with `#[logged(err)]`, when it is not an
/// error: its `Debug` is the message. Not public API.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`#[logged(err)]` cannot log an `Err` of type `{Self}`",
    label = "implements neither `Error`, `Display` nor `Debug`",
    note = "the error type must implement `std::error::Error` (logged with its source chain), `Display` or `Debug` (logged as its message)"
)]
pub trait LoggableErr {
    #[doc(hidden)]
    fn __pulselog_debug(&self, s: &mut dyn fmt::Write) -> fmt::Result;
}
impl<T: fmt::Debug + ?Sized> LoggableErr for T {
    fn __pulselog_debug(&self, s: &mut dyn fmt::Write) -> fmt::Result {
        write!(s, "{self:?}")
    }
}

/// `#[logged(err)]` tier 6: anything `Debug` (message only); for any other
/// type, the method's bound says what is needed. Not public API.
#[doc(hidden)]
pub trait ErrDebug {
    type Inner: ?Sized;
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool)
    where
        Self::Inner: LoggableErr;
}
impl<T: ?Sized> ErrDebug for ExcWrap<'_, T> {
    type Inner = T;
    #[inline]
    fn __pulselog_err(&self, rec: &mut RecordBuilder, backtrace: bool)
    where
        T: LoggableErr,
    {
        let v = self.0;
        capture_message(
            rec,
            type_name_of::<T>(),
            &|s| v.__pulselog_debug(s),
            backtrace,
        );
    }
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

    #[test]
    fn bare_names() {
        assert_eq!(bare_function_name("app::charge::{{closure}}"), "charge");
        assert_eq!(bare_function_name("<app::S as app::T>::method"), "method");
        assert_eq!(bare_function_name("main"), "main");
    }

    #[test]
    fn type_names_lose_references() {
        assert_eq!(
            type_name_of::<&&mut std::io::Error>(),
            "std::io::error::Error"
        );
        assert_eq!(type_name_of::<&dyn Error>(), "dyn core::error::Error");
    }
}
