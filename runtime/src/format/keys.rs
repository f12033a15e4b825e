//! The keys of a line, as every format names them: the standard keys
//! (Python's `LogRecord` attributes), the request context's ids, and the
//! rule that gives a field a key no other key of its line has.

use super::event::Event;
use crate::value::Value;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::fmt;

/// A standard key: one attribute of Python's `LogRecord` that pulselog
/// knows how to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StdKey {
    /// Time of the call, ISO 8601 in UTC (or `datefmt`).
    Asctime,
    /// Time of the call as float seconds since the epoch.
    Created,
    /// Milliseconds part of the time, as a float.
    Msecs,
    /// `INFO`, `ERROR`, …
    Levelname,
    /// 20, 40, …
    Levelno,
    /// Logger name: the module path.
    Name,
    /// The rendered message.
    Message,
    /// `file!()` of the call site.
    Filename,
    /// Same as `filename` (Rust knows no other path at compile time).
    Pathname,
    /// Last segment of the module path.
    Module,
    /// Line of the call site.
    Lineno,
    /// Column of the call site.
    Colno,
    /// Bare name of the enclosing function.
    FuncName,
    /// Process id.
    Process,
    /// OS id of the thread that logged (Python's `thread`).
    Thread,
    /// Name of the thread that logged (tokio's workers are named).
    ThreadName,
    /// Id of the tokio task that logged, inside a task (Python's
    /// `taskName`); recorded only when a format asks for it.
    TaskName,
}

impl StdKey {
    pub(crate) const ALL: [StdKey; 17] = [
        StdKey::Asctime,
        StdKey::Created,
        StdKey::Msecs,
        StdKey::Levelname,
        StdKey::Levelno,
        StdKey::Name,
        StdKey::Message,
        StdKey::Filename,
        StdKey::Pathname,
        StdKey::Module,
        StdKey::Lineno,
        StdKey::Colno,
        StdKey::FuncName,
        StdKey::Process,
        StdKey::Thread,
        StdKey::ThreadName,
        StdKey::TaskName,
    ];

    /// The key's Python name.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StdKey::Asctime => "asctime",
            StdKey::Created => "created",
            StdKey::Msecs => "msecs",
            StdKey::Levelname => "levelname",
            StdKey::Levelno => "levelno",
            StdKey::Name => "name",
            StdKey::Message => "message",
            StdKey::Filename => "filename",
            StdKey::Pathname => "pathname",
            StdKey::Module => "module",
            StdKey::Lineno => "lineno",
            StdKey::Colno => "colno",
            StdKey::FuncName => "funcName",
            StdKey::Process => "process",
            StdKey::Thread => "thread",
            StdKey::ThreadName => "threadName",
            StdKey::TaskName => "taskName",
        }
    }

    /// Looks a key up by its Python name.
    #[must_use]
    pub(crate) fn from_name(name: &str) -> Option<StdKey> {
        StdKey::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Prefix given to a field whose key arrives at run time and equals a key
/// the line already has (in JSON, ECS and OTel lines and the OTLP export),
/// so that no line has a duplicate key: as many times as it takes
/// (`extra.extra.message` when the line has both `message` and
/// `extra.message`).
pub const CLASH_PREFIX: &str = "extra.";

/// The keys of the request context's ids, in output order: the request id,
/// then the W3C trace and span ids of a traced request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKey {
    Request,
    Trace,
    Span,
}

impl IdKey {
    pub(crate) const ALL: [IdKey; 3] = [IdKey::Request, IdKey::Trace, IdKey::Span];

    /// The key's default name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            IdKey::Request => "request_id",
            IdKey::Trace => "trace_id",
            IdKey::Span => "span_id",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<IdKey> {
        IdKey::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for StdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key a field is written under: `key` itself, or, when the line has
/// that key already (`clashes`), `key` with [`CLASH_PREFIX`] in front as
/// many times as it takes to be new (`extra.message`, then
/// `extra.extra.message` if the line has that too).
pub(crate) fn unique_key(key: &str, clashes: impl Fn(&str) -> bool) -> Cow<'_, str> {
    if !clashes(key) {
        return Cow::Borrowed(key);
    }
    let mut k = format!("{CLASH_PREFIX}{key}");
    while clashes(&k) {
        k.insert_str(0, CLASH_PREFIX);
    }
    Cow::Owned(k)
}

/// The keys an event's own fields are written under, each new on the line
/// (`taken`: the keys the line has besides them).
pub(crate) fn field_keys(event: &Event<'_>, taken: impl Fn(&str) -> bool) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for (key, _) in event.fields() {
        let k = unique_key(key, |k| taken(k) || keys.iter().any(|o| o == k)).into_owned();
        keys.push(k);
    }
    keys
}

/// Calls `f` with each context field of the event and the key it is
/// written under. A field the event has of the same name wins (the
/// context's is left out); a key the line has already (`taken`, the
/// event's keys as written, `own_keys`) is prefixed until it is new, also
/// among the context's own keys.
pub(crate) fn for_each_context_field(
    event: &Event<'_>,
    own_keys: &[String],
    taken: impl Fn(&str) -> bool,
    mut f: impl FnMut(&str, Value<'_>),
) {
    let ctx = event.context();
    let own = event.field_names();
    // Context keys written prefixed: they must not meet each other.
    let mut renamed: SmallVec<[String; 2]> = SmallVec::new();
    ctx.for_each_field(|key, value| {
        if own.contains(&key) {
            return;
        }
        let k = unique_key(key, |k| {
            taken(k)
                || own_keys.iter().any(|o| o == k)
                || (k.len() != key.len() && ctx.has_field(k))
                || renamed.iter().any(|r| r == k)
        });
        f(&k, value);
        if let Cow::Owned(k) = k {
            renamed.push(k);
        }
    });
}
