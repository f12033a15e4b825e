//! The run-time half of `#[logged]`: call-site metadata of its events, the
//! guard that logs `exit`, and the scope it opens. Not public API: generated
//! code reaches these through `__private`.

use crate::callsite::{Callsite, LOGGED_ENTER, LOGGED_EXIT, Metadata, Piece};
use crate::context::{Context, Names, RequestId};
use crate::encode::Encoder;
use crate::level::Level;
use crate::record::RecordBuilder;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// Which of the events of `#[logged]` a call site emits.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum LoggedEvent {
    /// `enter`, with the recorded arguments as fields.
    Enter,
    /// `exit`, with `elapsed_ms` and, for `ret`, `return`. A call that
    /// unwinds logs its `exit` at ERROR with `elapsed_ms` and
    /// `panicked: true` instead.
    Exit,
    /// `err`'s event: its message (`"checkout failed"`), and the message as
    /// its one literal piece; the returned error as `exc_info`.
    Error(&'static str, &'static [Piece]),
}

impl Metadata {
    /// Metadata of one `#[logged]` event. Not public API.
    #[doc(hidden)]
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    pub const fn logged(
        event: LoggedEvent,
        level: Level,
        target: &'static str,
        file: &'static str,
        line: u32,
        column: u32,
        function: fn() -> &'static str,
        fields: &'static [&'static str],
    ) -> Metadata {
        let (template, pieces) = match event {
            LoggedEvent::Enter => ("enter", LOGGED_ENTER.as_slice()),
            LoggedEvent::Exit => ("exit", LOGGED_EXIT.as_slice()),
            LoggedEvent::Error(message, pieces) => (message, pieces),
        };
        Metadata {
            level,
            target,
            file,
            line,
            column,
            function,
            template,
            pieces,
            fields,
            message_values: 0,
        }
    }
}

/// The level at which `#[logged(err)]` logs an error of this type, when
/// `err(level = ...)` does not say: implement it so that an expected
/// failure is a WARNING where an unexpected one stays an ERROR.
///
/// ```
/// use pulselog::prelude::*;
/// use pulselog::ErrorLevel;
///
/// #[derive(Debug, thiserror::Error)]
/// enum CartError {
///     #[error("no cart {0}")]
///     NotFound(u64),
///     #[error("database unavailable")]
///     Database,
/// }
///
/// impl ErrorLevel for CartError {
///     fn error_level(&self) -> Level {
///         match self {
///             CartError::NotFound(_) => Level::Warning,
///             CartError::Database => Level::Error,
///         }
///     }
/// }
///
/// #[logged(err)]
/// fn checkout(cart: u64) -> Result<(), CartError> {
///     Err(if cart == 0 { CartError::Database } else { CartError::NotFound(cart) })
/// }
///
/// let (_, events) = pulselog::testing::capture(|| checkout(7));
/// assert_eq!(events.find("checkout failed").level(), Level::Warning);
/// let (_, events) = pulselog::testing::capture(|| checkout(0));
/// assert_eq!(events.find("checkout failed").level(), Level::Error);
/// ```
///
/// Found through the error's concrete type at the function: in a function
/// generic over its error type, `E: ErrorLevel` is not known, and ERROR
/// applies.
pub trait ErrorLevel {
    /// The level of the event that logs this error.
    fn error_level(&self) -> Level;
}

/// `err(level = f)`: the level `f` gives the error. Not public API.
#[doc(hidden)]
#[inline]
pub fn error_level_with<E: ?Sized>(err: &E, f: impl FnOnce(&E) -> Level) -> Level {
    f(err)
}

/// `#[logged(err)]`'s level, tier 1: the error type's [`ErrorLevel`]. Not
/// public API.
#[doc(hidden)]
pub trait ErrorLevelKnown {
    fn __pulselog_error_level(&self) -> Level;
}
impl<T: ErrorLevel + ?Sized> ErrorLevelKnown for &crate::value::Wrap<'_, T> {
    #[inline]
    fn __pulselog_error_level(&self) -> Level {
        self.0.error_level()
    }
}

/// Tier 2: ERROR. Not public API.
#[doc(hidden)]
pub trait ErrorLevelDefault {
    fn __pulselog_error_level(&self) -> Level;
}
impl<T: ?Sized> ErrorLevelDefault for crate::value::Wrap<'_, T> {
    #[inline]
    fn __pulselog_error_level(&self) -> Level {
        Level::Error
    }
}

/// Logs the `exit` event of a `#[logged]` call when dropped (after a normal
/// return, an early `return`, a `?`, a panic, or the drop of an unfinished
/// future), unless [`Exit::exit_with`] logged it already. Dropped while its
/// thread unwinds, it logs the panic's `exit`: ERROR, `elapsed_ms` and
/// `panicked: true`.
#[doc(hidden)]
#[derive(Debug)]
#[must_use]
pub struct Exit {
    site: &'static Callsite,
    level: Level,
    /// `None` when the exit event is disabled (then no clock is read).
    start: Option<Instant>,
    /// Whether the thread was unwinding already when the call began (a
    /// destructor's call): then its drop during unwinding is a return.
    unwinding: bool,
}

impl Exit {
    /// `entered`: whether the `enter` event was enabled. The filter sees
    /// the same module and level for both events, so a disabled `enter`
    /// means a disabled `exit`, and a disabled call costs one atomic load.
    #[doc(hidden)]
    #[inline]
    pub fn new(site: &'static Callsite, level: Level, entered: bool) -> Exit {
        let start = if entered && site.enabled(level) {
            Some(Instant::now())
        } else {
            None
        };
        let unwinding = start.is_some() && std::thread::panicking();
        Exit {
            site,
            level,
            start,
            unwinding,
        }
    }

    /// Logs `exit` now, with the values `fields` encodes after `elapsed_ms`.
    #[doc(hidden)]
    #[inline]
    pub fn exit_with(&mut self, fields: impl FnOnce(&mut Encoder)) {
        if let Some(start) = self.start.take() {
            self.emit(start, fields);
        }
    }

    fn emit(&self, start: Instant, fields: impl FnOnce(&mut Encoder)) {
        let mut rec = RecordBuilder::new(self.site, self.level);
        rec.values().push_f64(elapsed_ms(start.elapsed()));
        fields(rec.values());
        crate::logger::submit(rec);
    }
}

impl Drop for Exit {
    /// Small enough to inline: a disabled `#[logged]` pays one branch here,
    /// not a call.
    #[inline]
    fn drop(&mut self) {
        if let Some(start) = self.start.take() {
            self.emit_plain(start);
        }
    }
}

impl Exit {
    #[inline(never)]
    fn emit_plain(&self, start: Instant) {
        if std::thread::panicking() && !self.unwinding {
            self.emit_panicked(start);
        } else {
            self.emit(start, |_| {});
        }
    }

    /// The `exit` of a call that unwinds: its own call site (same place,
    /// ERROR, `panicked`), so that the filter and the formats see it as the
    /// distinct event it is.
    #[cold]
    fn emit_panicked(&self, start: Instant) {
        let site = panicked_site(self.site);
        if !site.enabled(Level::Error) {
            return;
        }
        let mut rec = RecordBuilder::new(site, Level::Error);
        let values = rec.values();
        values.push_f64(elapsed_ms(start.elapsed()));
        values.push_bool(true);
        crate::logger::submit(rec);
    }
}

/// The call site of the panic `exit` that belongs with the `exit` call site
/// `exit`: made on a function's first panic and kept, one per `#[logged]`
/// function that ever unwinds.
fn panicked_site(exit: &'static Callsite) -> &'static Callsite {
    static SITES: Mutex<Option<HashMap<usize, &'static Callsite>>> = Mutex::new(None);
    let mut sites = SITES.lock().unwrap_or_else(PoisonError::into_inner);
    let sites = sites.get_or_insert_with(HashMap::new);
    let key = std::ptr::from_ref(exit) as usize;
    sites.entry(key).or_insert_with(|| {
        let m = exit.metadata();
        let meta: &'static Metadata = Box::leak(Box::new(Metadata {
            level: Level::Error,
            fields: &["elapsed_ms", "panicked"],
            message_values: 0,
            ..Metadata::logged(
                LoggedEvent::Exit,
                Level::Error,
                m.target,
                m.file,
                m.line,
                m.column,
                m.function,
                &[],
            )
        }));
        Box::leak(Box::new(Callsite::new(meta)))
    })
}

/// Milliseconds to the nearest microsecond: a whole number of microseconds
/// over 1000 is the double nearest to that decimal, so every format writes
/// it with at most three decimals (`2.198`, not `2.1977160000000002`).
fn elapsed_ms(d: std::time::Duration) -> f64 {
    // In `u64`, the sub-second part divided by a constant: a `u128`
    // division (`as_nanos`) cost the caller some 60 instructions a call.
    let micros = d.as_secs() * 1_000_000 + u64::from((d.subsec_nanos() + 500) / 1000);
    // Exact below 2^53 µs (285 years).
    #[allow(clippy::cast_precision_loss)]
    let micros = micros as f64;
    micros / 1e3
}

/// Builds the context a `#[logged(request_id, fields(...))]` call runs in:
/// a child of the current one. Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct Scope {
    parent: Context,
    id: Option<RequestId>,
    names: &'static [&'static str],
    values: Encoder,
}

impl Scope {
    #[doc(hidden)]
    #[must_use]
    pub fn new(names: &'static [&'static str]) -> Scope {
        Scope {
            parent: Context::current(),
            id: None,
            names,
            values: Encoder::new(),
        }
    }

    /// `request_id`: a new id, unless the flow has one already.
    #[doc(hidden)]
    pub fn ensure_request_id(&mut self) {
        if self.parent.request_id().is_none() {
            self.id = Some(RequestId::new());
        }
    }

    /// `request_id = expr`.
    #[doc(hidden)]
    pub fn request_id(&mut self, id: RequestId) {
        self.id = Some(id);
    }

    /// Where the values of `fields(...)` are encoded, in the order of `names`.
    #[doc(hidden)]
    pub fn values(&mut self) -> &mut Encoder {
        &mut self.values
    }

    #[doc(hidden)]
    #[must_use]
    pub fn build(self) -> Context {
        if self.id.is_none() && self.names.is_empty() {
            return self.parent;
        }
        self.parent
            .child(self.id, Names::Static(self.names), self.values.into_data())
    }
}

/// `request_id = expr` tier 1: a [`RequestId`] (or a reference to one) is
/// kept whole, trace ids included. Not public API.
#[doc(hidden)]
pub trait IdKnown {
    fn __pulselog_request_id(&self) -> RequestId;
}
impl<T: AsRef<RequestId> + ?Sized> IdKnown for &crate::value::Wrap<'_, T> {
    #[inline]
    fn __pulselog_request_id(&self) -> RequestId {
        self.0.as_ref().clone()
    }
}

/// `request_id = expr` tier 2: anything `Display`. Not public API.
#[doc(hidden)]
pub trait IdDisplay {
    fn __pulselog_request_id(&self) -> RequestId;
}
impl<T: fmt::Display + ?Sized> IdDisplay for crate::value::Wrap<'_, T> {
    #[inline]
    fn __pulselog_request_id(&self) -> RequestId {
        RequestId::from_display(self.0)
    }
}

/// What `#[logged(err)]` needs of a return type. Not public API.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`#[logged(err)]` needs a function that returns `Result<T, E>`, not `{Self}`",
    label = "`err` logs the `Err` of a `Result`",
    note = "`E` is logged with its source chain when it implements `std::error::Error`, else through `Display` or `Debug`"
)]
pub trait LoggedResult {
    type Ok;
    type Err: ?Sized;
    fn __pulselog_split(&self) -> Result<&Self::Ok, &Self::Err>;
}

impl<T, E> LoggedResult for Result<T, E> {
    type Ok = T;
    type Err = E;
    #[inline]
    fn __pulselog_split(&self) -> Result<&T, &E> {
        self.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::elapsed_ms;
    use std::time::Duration;

    #[test]
    fn elapsed_ms_is_rounded_to_the_microsecond() {
        let ms = |ns| elapsed_ms(Duration::from_nanos(ns)).to_string();
        assert_eq!(ms(2_197_716), "2.198");
        assert_eq!(ms(2_197_499), "2.197");
        assert_eq!(ms(0), "0");
        assert_eq!(ms(999), "0.001");
        assert_eq!(ms(123_456_789_012), "123456.789");
        // Every count of microseconds reads back with three decimals at most.
        for micros in (0..2_000_000u64).step_by(7) {
            let s = ms(micros * 1000);
            let decimals = s.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(decimals <= 3, "{micros} µs: {s}");
        }
    }
}
