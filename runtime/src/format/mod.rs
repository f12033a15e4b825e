//! Formatting, on the writer thread: a record becomes one line of output.
//!
//! Each format reads a record through one decoded view and turns it into
//! bytes: [`json`], [`text`], Elastic Common Schema (`ecs`, the JSON
//! writer in another style) and OTLP/JSON (`otel`).

pub(crate) mod ecs;
pub(crate) mod json;
pub(crate) mod otel;
#[cfg(feature = "otlp")]
pub(crate) mod otlp;
pub(crate) mod resource;
pub(crate) mod text;
pub(crate) mod time;

pub use json::CLASH_PREFIX;
pub use text::{CONTINUATION, DEFAULT_TEMPLATE};

use crate::callsite::Piece;
use crate::level::Level;
use crate::record::{Origin, Record};
use crate::value::{Cursor, Decoder, Value};
use std::fmt;

/// A [`JsonFormat`](json::JsonFormat) or [`TextFormat`](text::TextFormat)
/// that cannot be used: an unknown key, a key used twice, a template or a
/// `datefmt` that does not parse. Every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatterError {
    formatter: &'static str,
    problems: Vec<String>,
}

impl FormatterError {
    pub(crate) fn new(formatter: &'static str, problems: Vec<String>) -> FormatterError {
        FormatterError {
            formatter,
            problems,
        }
    }

    /// Each problem, in the order found.
    #[must_use]
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for FormatterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} format: ", self.formatter)?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(p)?;
        }
        Ok(())
    }
}

impl std::error::Error for FormatterError {}

/// A record, as formatters read it. Values are decoded as they are read
/// (decoding them all into a vector first took a quarter of the writer's
/// time per line).
#[derive(Debug)]
pub(crate) struct Event<'a> {
    rec: &'a Record,
    time_ns: u64,
    origin: Option<&'a Origin>,
}

impl<'a> Event<'a> {
    pub(crate) fn new(rec: &'a Record) -> Event<'a> {
        Event {
            rec,
            time_ns: crate::clock::wall_ns(rec.stamp),
            origin: None,
        }
    }

    /// The event, with the thread it came from.
    pub(crate) fn from_thread(rec: &'a Record, origin: &'a Origin) -> Event<'a> {
        Event {
            origin: Some(origin),
            ..Event::new(rec)
        }
    }

    /// The OS id of the thread that logged the event (`thread`).
    pub(crate) fn thread_id(&self) -> Option<u64> {
        self.origin?.thread_id
    }

    /// The name of the thread that logged the event (`threadName`).
    pub(crate) fn thread_name(&self) -> Option<&'a str> {
        self.origin?.thread_name.as_deref()
    }

    /// The id of the tokio task that logged the event (`taskName`): the
    /// value after the fields, when records carry one.
    pub(crate) fn task_name(&self) -> Option<&'a str> {
        if !crate::record::wants_task() {
            return None;
        }
        let meta = self.rec.callsite.metadata();
        let slot = usize::from(meta.message_values) + meta.fields.len();
        match self.cursor().get(slot) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn callsite(&self) -> &'static crate::callsite::Callsite {
        self.rec.callsite
    }

    /// The record's values, in slot order.
    pub(crate) fn values(&self) -> Decoder<'a> {
        Decoder::new(&self.rec.data)
    }

    /// Size of the record's encoded values.
    pub(crate) fn data_len(&self) -> usize {
        self.rec.data.len()
    }

    /// Random access to the record's values.
    pub(crate) fn cursor(&self) -> Cursor<'a> {
        Cursor::new(self.values())
    }

    /// The event's level.
    #[must_use]
    pub(crate) fn level(&self) -> Level {
        self.rec.level
    }

    /// The logger name: the module path of the call site.
    #[must_use]
    pub(crate) fn target(&self) -> &'static str {
        self.rec.callsite.metadata().target
    }

    /// Source file of the call site, as `file!()` gives it; for a panic,
    /// the file where it happened.
    #[must_use]
    pub(crate) fn file(&self) -> &'static str {
        match self.panic_location() {
            Some(loc) => loc.file,
            None => self.rec.callsite.metadata().file,
        }
    }

    /// Line of the call site (of the panic, for a panic).
    #[must_use]
    pub(crate) fn line(&self) -> u32 {
        match self.panic_location() {
            Some(loc) => loc.line,
            None => self.rec.callsite.metadata().line,
        }
    }

    /// Column of the call site (of the panic, for a panic).
    #[must_use]
    pub(crate) fn column(&self) -> u32 {
        match self.panic_location() {
            Some(loc) => loc.column,
            None => self.rec.callsite.metadata().column,
        }
    }

    /// Bare name of the enclosing function; for a panic, of the function
    /// that panicked (found in the backtrace, `<unknown>` without one).
    #[must_use]
    pub(crate) fn function(&self) -> &'static str {
        match &self.rec.exc {
            Some(exc) if exc.location().is_some() => exc.panic_function().unwrap_or("<unknown>"),
            _ => self.rec.callsite.function(),
        }
    }

    fn panic_location(&self) -> Option<crate::exc_info::Location> {
        self.rec.exc.as_ref()?.location()
    }

    /// The error or panic attached to the event (`exc_info`), if any.
    #[must_use]
    pub(crate) fn exc_info(&self) -> Option<&'a crate::exc_info::ExcInfo> {
        self.rec.exc.as_deref()
    }

    /// Wall-clock time of the call, nanoseconds since the Unix epoch.
    #[must_use]
    pub(crate) fn time_ns(&self) -> u64 {
        self.time_ns
    }

    /// The request context the event was logged in.
    #[must_use]
    pub(crate) fn context(&self) -> &'a crate::context::Context {
        &self.rec.context
    }

    /// Appends the rendered message.
    pub(crate) fn write_message(&self, out: &mut String) {
        let _ = self.write_message_to(out);
    }

    /// Renders the message into any writer (the JSON formatter escapes as
    /// it goes, so no message string is built).
    pub(crate) fn write_message_to(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let mut values = self.cursor();
        for piece in self.rec.callsite.metadata().pieces {
            match *piece {
                Piece::Lit(s) => out.write_str(s)?,
                Piece::Value(i) => match values.get(usize::from(i)) {
                    Some(Value::Str(s)) => out.write_str(s)?,
                    Some(Value::I64(v)) => out.write_str(itoa::Buffer::new().format(v))?,
                    Some(Value::U64(v)) => out.write_str(itoa::Buffer::new().format(v))?,
                    Some(v) => write!(out, "{v}")?,
                    None => {}
                },
            }
        }
        Ok(())
    }

    /// The rendered message.
    #[must_use]
    pub(crate) fn message(&self) -> String {
        let mut s = String::new();
        self.write_message(&mut s);
        s
    }

    /// The message, as literal text and value slots.
    #[must_use]
    pub(crate) fn pieces(&self) -> &'static [Piece] {
        self.rec.callsite.metadata().pieces
    }

    /// The keys of the event's own fields, in call order.
    #[must_use]
    pub(crate) fn field_names(&self) -> &'static [&'static str] {
        self.rec.callsite.metadata().fields
    }

    /// The value slot of the first field (the message's values come
    /// before).
    #[must_use]
    pub(crate) fn first_field_slot(&self) -> usize {
        usize::from(self.rec.callsite.metadata().message_values)
    }

    /// The event's own `key = value` fields, in call order.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&'static str, Value<'a>)> + '_ {
        let meta = self.rec.callsite.metadata();
        let start = usize::from(meta.message_values);
        meta.fields.iter().copied().zip(self.values().skip(start))
    }
}

/// The report of an error, line by line, as `f(literal, data)`: the data
/// (type, messages, frames) comes from the program and is for the caller to
/// escape as its format needs. The backtrace is in its short form (see
/// `ExcInfo::backtrace_lines`), its paths relative to the directory that
/// `file`, the event's own source file, names.
///
/// ```text
/// app::ConfigError: could not load the configuration
///   Caused by: could not read /etc/app.toml
///   Caused by: No such file or directory (os error 2)
/// Backtrace:
///     app::load at src/main.rs:42:9
///     … 9 frames in tokio, std …
///     app::main at src/main.rs:12:5
/// ```
pub(crate) fn error_report(
    exc: &crate::exc_info::ExcInfo,
    file: &str,
    mut f: impl FnMut(&str, &str),
) {
    f("", &format!("{}: {}", exc.type_name(), exc.message()));
    for cause in exc.chain().skip(1) {
        f("  Caused by: ", cause);
    }
    if exc.chain_truncated() {
        let cut = format!(
            "  Caused by: … (chain cut at {} causes)",
            crate::exc_info::MAX_CHAIN
        );
        f(&cut, "");
    }
    if let Some(lines) = exc.backtrace_lines(file) {
        f("Backtrace:", "");
        for line in &lines {
            f("    ", line);
        }
    }
}

/// [`error_report`] as plain text, one line per line.
pub(crate) fn error_report_text(exc: &crate::exc_info::ExcInfo, file: &str) -> String {
    let mut report = String::new();
    error_report(exc, file, |literal, data| {
        if !report.is_empty() {
            report.push('\n');
        }
        report.push_str(literal);
        report.push_str(data);
    });
    report
}

/// The formatter the writer thread runs.
#[derive(Debug)]
pub(crate) enum Formatter {
    Json(Box<json::JsonFormat>),
    Text(text::TextFormat),
    Otel(Box<otel::OtelFormat>),
}

impl Formatter {
    /// Whether lines need the id of the task that logged (`taskName`):
    /// only then do records carry it.
    pub(crate) fn wants_task(&self) -> bool {
        match self {
            Formatter::Json(f) => f.has_key(json::StdKey::TaskName),
            Formatter::Text(f) => f.has_key(json::StdKey::TaskName),
            Formatter::Otel(_) => false,
        }
    }

    /// Whether lines show the thread that logged (`thread`, `threadName`):
    /// then two events from different threads are different lines.
    pub(crate) fn writes_thread(&self) -> bool {
        match self {
            Formatter::Json(f) => {
                f.has_key(json::StdKey::Thread) || f.has_key(json::StdKey::ThreadName)
            }
            Formatter::Text(f) => {
                f.has_key(json::StdKey::Thread) || f.has_key(json::StdKey::ThreadName)
            }
            Formatter::Otel(_) => false,
        }
    }

    pub(crate) fn format(&mut self, rec: &Record, origin: &Origin, out: &mut Vec<u8>) {
        let event = Event::from_thread(rec, origin);
        match self {
            Formatter::Json(f) => f.format(&event, out),
            Formatter::Text(f) => f.format(&event, out),
            Formatter::Otel(f) => f.format(&event, out),
        }
    }
}
