//! Call sites: the `static` each log macro expands to, and the cached answer
//! to "is this call site enabled?".
//!
//! Each call site caches the lowest level its module enables. The check a log
//! call makes is one relaxed load of that byte and a compare; the first call
//! (or the first after the filter changed) takes the cold path, which
//! registers the call site in a global list and asks the filter. Under the
//! storm guard ([`guard`]) an enabled event takes the cold path too, to ask
//! the guard; the byte says so itself (see [`encode`]), so the check costs
//! the same with the guard off, and a filtered-out event the same either
//! way.
//!
//! The registry owns the interest state, as tracing-core's does: it asks
//! the filter in force (kept with the other settings, in
//! [`crate::settings`]) and honours interest overrides (a running test
//! capture sees every level). Each call site caches two verdicts: the one
//! in force (lowered while an override runs) and the filter's own, so that
//! an event that no override takes is filtered without a lock.

pub(crate) mod guard;
#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) mod interned;
pub(crate) mod own;
pub mod sample;

use crate::filter::{Filter, OFF};
use crate::level::Level;
use crate::settings;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, Ordering};

pub use guard::Sampling;
use std::sync::{Mutex, PoisonError};

/// One piece of a message template, resolved at compile time.
#[derive(Debug)]
pub enum Piece {
    /// Literal text.
    Lit(&'static str),
    /// The value in this slot of the record.
    Value(u16),
}

/// Everything known about a call site at compile time.
#[derive(Debug)]
pub struct Metadata {
    /// The level of the macro (`log!` records the run-time level per event).
    pub level: Level,
    /// `module_path!()`: the logger name.
    pub target: &'static str,
    /// `file!()`.
    pub file: &'static str,
    /// `line!()`.
    pub line: u32,
    /// `column!()`.
    pub column: u32,
    /// Returns the type name of an item nested in the enclosing function;
    /// [`Callsite::function`] turns it into the bare function name.
    pub function: fn() -> &'static str,
    /// The message literal as written.
    pub template: &'static str,
    /// The message, split into literal text and value slots.
    pub pieces: &'static [Piece],
    /// Names of the `key = value` fields; their values follow the message
    /// values in the record.
    pub fields: &'static [&'static str],
    /// How many values belong to the message alone.
    pub message_values: u16,
}

/// Statics, not consts: their addresses tell a `#[logged]` entry or exit
/// from an event whose message happens to be `"enter"` ([`logged_phase`]).
pub(crate) static LOGGED_ENTER: [Piece; 1] = [Piece::Lit("enter")];
pub(crate) static LOGGED_EXIT: [Piece; 1] = [Piece::Lit("exit")];

/// `"enter"` or `"exit"` when `pieces` are those of a `#[logged]` entry
/// or exit: the text format names the function on those lines, which say
/// nothing else (JSON has `funcName` beside the message).
pub(crate) fn logged_phase(pieces: &'static [Piece]) -> Option<&'static str> {
    if std::ptr::eq(pieces, &LOGGED_ENTER[..]) {
        Some("enter")
    } else if std::ptr::eq(pieces, &LOGGED_EXIT[..]) {
        Some("exit")
    } else {
        None
    }
}

impl Metadata {
    /// Metadata of an `enabled!` check: a call site that logs nothing. Not
    /// public API.
    #[doc(hidden)]
    #[must_use]
    pub const fn probe(target: &'static str, file: &'static str, line: u32) -> Metadata {
        fn no_function() -> &'static str {
            ""
        }
        Metadata {
            level: Level::Trace,
            target,
            file,
            line,
            column: 0,
            function: no_function,
            template: "",
            pieces: &[],
            fields: &[],
            message_values: 0,
        }
    }
}

/// A call site: its metadata plus the cached filter verdict. Not public API.
#[derive(Debug)]
pub struct Callsite {
    meta: &'static Metadata,
    /// [`UNREGISTERED`]: not registered yet; otherwise the lowest enabled
    /// level number (`filter::OFF` for none) as [`encode`] stores it.
    threshold: AtomicU8,
    /// The filter's own verdict, valid once `threshold` is set: the same,
    /// unless an override lowered `threshold`.
    filtered: AtomicU8,
    registered: AtomicBool,
    /// Whether the site samples its calls (`every:`, `first:`,
    /// `per_sec:`): its records then carry, right after their fields, the
    /// count of calls skipped before them ([`RecordBuilder::suppressed`]).
    ///
    /// [`RecordBuilder::suppressed`]: crate::record::RecordBuilder::suppressed
    sampled: bool,
    /// Whether the site is an `enabled!` check, which logs nothing: the
    /// storm guard does not count it.
    probe: bool,
    /// The storm guard's state for the site, made on its first event under
    /// the guard (null until then; see [`guard`]).
    guard: AtomicPtr<Guarded>,
    next: AtomicPtr<Callsite>,
    function: std::sync::OnceLock<&'static str>,
}

/// Declares a call site of pulselog's own (the panic hook's, the writer's
/// reports) with the metadata the log macros would give it: this line, the
/// file as [`own_file`] shortens it, and the bare name of the function the
/// declaration is in (declared at module level, it would be the module's
/// name: declare it inside the function that logs). The message is given
/// as its pieces, literal text and `{slot}`s:
/// `message = ["dropped " {0} " events"]`.
macro_rules! internal_site {
    (
        $vis:vis static $name:ident: $level:ident, target = $target:literal,
        template = $template:literal, message = [$($message:tt)*],
        fields = [$($field:literal),*], message_values = $values:literal $(,)?
    ) => {
        $crate::callsite::internal_site!(@site $vis $name $level $target $template
            [] [$($message)*] [$($field),*] $values);
    };
    (@site $vis:vis $name:ident $level:ident $target:literal $template:literal
        [$($piece:expr,)*] [$lit:literal $($rest:tt)*] $fields:tt $values:literal) => {
        $crate::callsite::internal_site!(@site $vis $name $level $target $template
            [$($piece,)* $crate::callsite::Piece::Lit($lit),] [$($rest)*] $fields $values);
    };
    (@site $vis:vis $name:ident $level:ident $target:literal $template:literal
        [$($piece:expr,)*] [{$slot:literal} $($rest:tt)*] $fields:tt $values:literal) => {
        $crate::callsite::internal_site!(@site $vis $name $level $target $template
            [$($piece,)* $crate::callsite::Piece::Value($slot),] [$($rest)*] $fields $values);
    };
    (@site $vis:vis $name:ident $level:ident $target:literal $template:literal
        [$($piece:expr,)*] [] [$($field:literal),*] $values:literal) => {
        $vis static $name: $crate::callsite::Callsite = {
            // Its path is `<function>::<static>::__pulselog_function`: the
            // static stands where the log macros' marker item would.
            fn __pulselog_function() -> &'static str {
                let path = ::core::any::type_name_of_val(&__pulselog_function);
                path.strip_suffix("::__pulselog_function").unwrap_or(path)
            }
            const FILE: &str = $crate::callsite::own_file_tail(file!());
            const LEN: usize = $crate::callsite::OWN_DIR.len() + FILE.len();
            const BYTES: [u8; LEN] = $crate::callsite::own_file::<LEN>(FILE);
            static META: $crate::callsite::Metadata = $crate::callsite::Metadata {
                level: $crate::level::Level::$level,
                target: $target,
                file: match ::core::str::from_utf8(&BYTES) {
                    Ok(file) => file,
                    Err(_) => file!(),
                },
                line: line!(),
                column: column!(),
                function: __pulselog_function,
                template: $template,
                pieces: &[$($piece),*],
                fields: &[$($field),*],
                message_values: $values,
            };
            $crate::callsite::Callsite::new(&META)
        };
    };
}
pub(crate) use internal_site;

/// Where pulselog's own files are said to be: the lines it writes itself
/// name `pulselog/src/tower.rs`, not the directory it was built in (an
/// absolute path for a path or registry dependency).
pub(crate) const OWN_DIR: &str = "pulselog/src/";

/// The part of `path` (`file!()` of one of pulselog's own files) after its
/// last `src/` component: `tower.rs`, `format/json/line.rs`.
pub(crate) const fn own_file_tail(path: &'static str) -> &'static str {
    let bytes = path.as_bytes();
    let mut at = bytes.len();
    while at >= 4 {
        at -= 1;
        let sep = bytes[at];
        if (sep == b'/' || sep == b'\\')
            && bytes[at - 3] == b's'
            && bytes[at - 2] == b'r'
            && bytes[at - 1] == b'c'
            && (at == 3 || bytes[at - 4] == b'/' || bytes[at - 4] == b'\\')
        {
            let (_, tail) = path.split_at(at + 1);
            return tail;
        }
    }
    path
}

/// [`OWN_DIR`] then `tail`, as the bytes of an `N`-byte string (`N` is
/// their length).
pub(crate) const fn own_file<const N: usize>(tail: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let (dir, tail) = (OWN_DIR.as_bytes(), tail.as_bytes());
    let mut i = 0;
    while i < N {
        out[i] = if i < dir.len() {
            dir[i]
        } else {
            tail[i - dir.len()]
        };
        i += 1;
    }
    out
}

static HEAD: AtomicPtr<Callsite> = AtomicPtr::new(ptr::null_mut());

/// A call site's storm-guard state ([`guard`]), made on its first event
/// under the guard and kept while the process lives, as call sites are
/// (the own sites of bridged records, which are freed, share
/// `guard::OVERFLOW` instead and never make one).
#[derive(Debug)]
pub(crate) struct Guarded {
    /// One key per level.
    pub(crate) keys: guard::Keys,
    /// The site's sampled twin, for its records that carry the guard's
    /// count: the same metadata, so the same line, with the count where a
    /// sampled site's records have theirs (none for a site that samples
    /// itself, whose records have a count already).
    pub(crate) twin: Option<Callsite>,
}

impl Callsite {
    #[doc(hidden)]
    #[must_use]
    pub const fn new(meta: &'static Metadata) -> Callsite {
        Callsite::with_sampling(meta, false)
    }

    /// The call site of an `enabled!` check: it logs nothing, so the
    /// storm guard leaves it alone.
    #[doc(hidden)]
    #[must_use]
    pub const fn new_probe(meta: &'static Metadata) -> Callsite {
        let mut site = Callsite::with_sampling(meta, false);
        site.probe = true;
        site
    }

    /// A call site that samples its calls (see [`sample`]): each of its
    /// records carries the count of calls skipped before it.
    #[doc(hidden)]
    #[must_use]
    pub const fn new_sampled(meta: &'static Metadata) -> Callsite {
        Callsite::with_sampling(meta, true)
    }

    const fn with_sampling(meta: &'static Metadata, sampled: bool) -> Callsite {
        Callsite {
            meta,
            threshold: AtomicU8::new(UNREGISTERED),
            filtered: AtomicU8::new(OFF),
            registered: AtomicBool::new(false),
            sampled,
            probe: false,
            guard: AtomicPtr::new(ptr::null_mut()),
            next: AtomicPtr::new(ptr::null_mut()),
            function: std::sync::OnceLock::new(),
        }
    }

    /// Whether the site samples its calls: its records have one value
    /// after their fields, the count of calls skipped before them.
    #[inline]
    pub(crate) fn is_sampled(&self) -> bool {
        self.sampled
    }

    /// The call site's metadata.
    #[must_use]
    pub fn metadata(&self) -> &'static Metadata {
        self.meta
    }

    /// Whether an event at `level` from here is enabled, and, under the
    /// storm guard, written: an event the guard drops is counted there
    /// (see [`guard`]), so call this once per event, just before its
    /// arguments are evaluated.
    #[inline(always)]
    pub fn enabled(&'static self, level: Level) -> bool {
        let threshold = self.threshold.load(Ordering::Relaxed);
        if level.number() < threshold {
            return false;
        }
        // Not registered yet, or guarded: the same one test that checked
        // for "not registered" before there was a guard.
        if threshold & SLOW != 0 {
            return self.slow(level);
        }
        true
    }

    /// An event whose level the cached byte lets through, on a site not
    /// registered yet or under the guard.
    #[cold]
    #[inline(never)]
    fn slow(&'static self, level: Level) -> bool {
        if self.threshold.load(Ordering::Relaxed) == UNREGISTERED && !self.register(level) {
            return false;
        }
        if self.probe {
            return true;
        }
        match settings::sampling() {
            None => true,
            Some(limits) => self.guarded().keys.admit(level, limits),
        }
    }

    /// The site's guard state, made on first use.
    #[inline]
    fn guarded(&'static self) -> &'static Guarded {
        match self.guarded_if_made() {
            Some(guarded) => guarded,
            None => self.make_guarded(),
        }
    }

    /// The site's guard state, if an event asked the guard.
    #[inline]
    pub(crate) fn guarded_if_made(&self) -> Option<&'static Guarded> {
        // SAFETY: the pointer is null or a leaked `Guarded`, published by
        // `make_guarded` with release and never freed.
        unsafe { self.guard.load(Ordering::Acquire).as_ref() }
    }

    #[cold]
    #[inline(never)]
    fn make_guarded(&'static self) -> &'static Guarded {
        let made = Box::into_raw(Box::new(Guarded {
            keys: guard::Keys::new(),
            twin: (!self.is_sampled()).then(|| Callsite::new_sampled(self.meta)),
        }));
        match self.guard.compare_exchange(
            ptr::null_mut(),
            made,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: just made and published; it is never freed.
            Ok(_) => unsafe { &*made },
            Err(theirs) => {
                // SAFETY: `made` was never shared; `theirs` is another
                // thread's, published and never freed.
                unsafe {
                    drop(Box::from_raw(made));
                    &*theirs
                }
            }
        }
    }

    /// This site, a sampled twin, takes `site`'s filter verdict: the
    /// pipeline asks a record's site, and a record moved to the twin is
    /// `site`'s.
    pub(crate) fn follow(&self, site: &Callsite) {
        self.filtered
            .store(site.filtered.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    #[cold]
    #[inline(never)]
    fn register(&'static self, level: Level) -> bool {
        if self
            .registered
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let mut head = HEAD.load(Ordering::Acquire);
            loop {
                self.next.store(head, Ordering::Relaxed);
                match HEAD.compare_exchange_weak(
                    head,
                    ptr::from_ref(self).cast_mut(),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(h) => head = h,
                }
            }
        }
        level.number() >= self.ask_filter()
    }

    /// The bare name of the function that holds this call site (`charge`,
    /// also from inside closures and async blocks), computed once.
    pub fn function(&self) -> &'static str {
        self.function
            .get_or_init(|| bare_function_name(enclosing_function((self.meta.function)())))
    }
}

impl Callsite {
    /// Computes the call site's verdicts and stores them while holding the
    /// filter lock, so that a concurrent filter change cannot be
    /// overwritten by a stale answer.
    fn ask_filter(&self) -> u8 {
        let filter = settings::filter();
        let own = settings::threshold(filter.as_ref(), self.meta.target);
        let t = if settings::overriding() {
            own.min(Level::Trace.number())
        } else {
            own
        };
        // Replay on error keeps, in a request scope, what no output
        // writes: the submit path tells the two apart.
        let t = settings::replay_level().map_or(t, |replay| t.min(replay));
        self.filtered.store(own, Ordering::Relaxed);
        let guarded = settings::sampling().is_some() && !self.probe;
        self.threshold.store(encode(t, guarded), Ordering::Relaxed);
        t
    }

    /// Whether the filter itself lets an event at `level` from here
    /// through, whatever overrides run: one relaxed load. Valid after
    /// [`Callsite::enabled`] said yes for this event.
    #[inline]
    pub(crate) fn passes_filter(&self, level: Level) -> bool {
        level.number() >= self.filtered.load(Ordering::Relaxed)
    }
}

/// The bit of a cached threshold that sends an event whose level it lets
/// through to [`Callsite::slow`].
const SLOW: u8 = 1;

/// The threshold of a site not registered yet: every level passes the
/// compare (each is above it), and [`SLOW`] is set.
const UNREGISTERED: u8 = SLOW;

/// The byte [`Callsite::enabled`] compares with for the threshold `t` (a
/// level number or [`OFF`]), with [`SLOW`] set when the storm guard is to
/// be asked. The compare `level < byte` must answer as `level < t` for
/// every level: levels are at least 5 apart (5, 10, 20 … 50), so `t - 1`
/// with the bit set, or `t` with it clear, falls between `t` and the level
/// below it, and no level lies in between. `OFF` is above every level
/// either way, and no event gets past it to the bit.
const fn encode(t: u8, guarded: bool) -> u8 {
    if t == OFF {
        OFF
    } else if guarded {
        (t - 1) | SLOW
    } else {
        t & !SLOW
    }
}

/// Installs (or, with `None`, removes) the filter every call site asks,
/// then tells those that keep their own copy of its verdicts (the bridges:
/// the `log` facade's maximum level, `tracing`'s interest cache).
pub(crate) fn set_filter(filter: Option<Filter>) {
    {
        let mut slot = settings::filter_mut();
        *slot = filter;
        reset_all();
    }
    let listeners = LISTENERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for listener in listeners {
        listener();
    }
}

/// Called after every filter change.
#[cfg_attr(not(any(feature = "log", feature = "tracing")), allow(dead_code))]
static LISTENERS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

/// Calls `f` after every later filter change.
#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) fn on_filter_change(f: fn()) {
    let mut listeners = LISTENERS.lock().unwrap_or_else(PoisonError::into_inner);
    if !listeners.contains(&f) {
        listeners.push(f);
    }
}

/// The most verbose level the installed filter enables anywhere (`None`:
/// nothing, or no filter).
#[cfg(feature = "log")]
pub(crate) fn max_verbosity() -> Option<Level> {
    let min = settings::max_verbosity(settings::filter().as_ref());
    (min != OFF).then(|| Level::from_number(min))
}

/// Whether the filter in force lets an event from `target` at `level`
/// through (the bridges' `enabled` checks; call sites cache theirs).
#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) fn filter_allows(target: &str, level: Level) -> bool {
    level.number() >= settings::threshold(settings::filter().as_ref(), target)
}

/// An interest override starts (a test capture): every call site is
/// re-evaluated, to see every level.
pub(crate) fn override_started() {
    if settings::override_started() {
        refresh();
    }
}

/// An override ends: with the last one, call sites go back to the filter.
pub(crate) fn override_ended() {
    if settings::override_ended() {
        refresh();
    }
}

/// Re-evaluates every call site under the filter lock.
fn refresh() {
    let _held = settings::filter_mut();
    reset_all();
}

/// Forgets every call site's cached verdict so that the next call asks the
/// (new) filter again.
fn reset_all() {
    let mut cur = HEAD.load(Ordering::Acquire);
    while !cur.is_null() {
        // SAFETY: only `&'static Callsite`s are ever pushed onto the list, and
        // they are never removed.
        let site = unsafe { &*cur };
        site.threshold.store(UNREGISTERED, Ordering::Relaxed);
        cur = site.next.load(Ordering::Acquire);
    }
}

/// The bare name of a function from its path, the one `function` carries:
/// `app::handlers::charge::{{closure}}` → `charge`,
/// `<app::S as app::T>::method` → `method`. Used for call sites (whose path
/// names the macro's marker item inside the function) and for the frames of
/// a backtrace.
pub(crate) fn bare_function_name(mut path: &str) -> &str {
    while let Some(head) = path.strip_suffix("::{{closure}}") {
        path = head;
    }
    let name = path.rsplit_once("::").map_or(path, |(_, last)| last);
    // A function's own name never carries generics; an impl's path may end
    // in them.
    name.split('<').next().unwrap_or(name)
}

/// The path of the function a call site is in, from the path of the marker
/// item the macros put inside it.
fn enclosing_function(marker: &'static str) -> &'static str {
    marker.rsplit_once("::").map_or(marker, |(head, _)| head)
}

#[cfg(test)]
mod tests {
    use super::{SLOW, UNREGISTERED, bare_function_name, enclosing_function, encode};
    use crate::filter::OFF;
    use crate::level::Level;

    #[test]
    fn an_encoded_threshold_lets_the_same_levels_through() {
        let thresholds = Level::ALL.map(Level::number);
        for t in thresholds.into_iter().chain([OFF]) {
            for guarded in [false, true] {
                let byte = encode(t, guarded);
                for level in Level::ALL {
                    assert_eq!(
                        level.number() < byte,
                        level.number() < t,
                        "{level:?} at threshold {t}, guarded {guarded}"
                    );
                }
                if t != OFF {
                    assert_eq!(byte & SLOW != 0, guarded, "threshold {t}");
                    assert_ne!(byte, UNREGISTERED);
                }
            }
        }
        for level in Level::ALL {
            assert!(level.number() >= UNREGISTERED);
        }
    }

    fn site_name(marker: &'static str) -> &'static str {
        bare_function_name(enclosing_function(marker))
    }

    #[test]
    fn call_site_function_names_are_bare() {
        assert_eq!(site_name("a::b::charge::__pulselog_function"), "charge");
        assert_eq!(
            site_name("a::charge::{{closure}}::{{closure}}::__pulselog_function"),
            "charge"
        );
        assert_eq!(
            site_name("a::<impl a::S>::method::__pulselog_function"),
            "method"
        );
        assert_eq!(site_name("main::__pulselog_function"), "main");
    }

    #[test]
    fn own_files_are_named_from_the_crate_source_directory() {
        use super::own_file_tail;
        assert_eq!(own_file_tail("runtime/src/tower.rs"), "tower.rs");
        assert_eq!(
            own_file_tail("/home/u/checkout/runtime/src/format/json/line.rs"),
            "format/json/line.rs"
        );
        assert_eq!(
            own_file_tail("/home/u/.cargo/registry/src/index-1/pulselog-0.1.0/src/panic.rs"),
            "panic.rs"
        );
        assert_eq!(own_file_tail(r"C:\src\pl\src\tower.rs"), "tower.rs");
        assert_eq!(own_file_tail("src/lib.rs"), "lib.rs");
        assert_eq!(own_file_tail("tower.rs"), "tower.rs");
        assert_eq!(own_file_tail("/x/mysrc/tower.rs"), "/x/mysrc/tower.rs");
    }

    #[test]
    fn frame_function_names_are_bare() {
        assert_eq!(bare_function_name("app::charge::{{closure}}"), "charge");
        assert_eq!(bare_function_name("<app::S as app::T>::method"), "method");
        assert_eq!(bare_function_name("app::Pool<T>::get"), "get");
        assert_eq!(bare_function_name("main"), "main");
    }
}
