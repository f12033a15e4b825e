//! What every format uses and no format owns: the record as formats read
//! it ([`Event`]), the key rules (the standard keys, the context's ids, the
//! prefix that keeps a line's keys unique), an error's report, the
//! characters no format writes raw, and [`FormatterError`]. It uses no
//! format.
//!
//! One file rather than one per item: split in five, the crate's codegen
//! units fell otherwise, and by callgrind a W1 `info!` took 27 more
//! instructions (218 against 191) and the writer 16 more per line.

use crate::callsite::Piece;
use crate::encode::{Cursor, Decoder, Value};
use crate::level::Level;
use crate::origin::Origin;
use crate::record::Record;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

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
        if !self.rec.task {
            return None;
        }
        let slot = self.after_fields() + usize::from(self.rec.callsite.is_sampled());
        match self.cursor().get(slot) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The calls that sampling skipped at a sampled call site (`every:`,
    /// `first:`, `per_sec:`) since its line before this one, when there
    /// were any: every format writes them as the field [`SUPPRESSED`].
    /// Asked of every line: the check is inlined, the reading is not.
    #[inline]
    pub(crate) fn suppressed(&self) -> Option<u64> {
        if self.rec.callsite.is_sampled() {
            self.read_suppressed()
        } else {
            None
        }
    }

    /// Whether the event was kept for replay on error and is written
    /// before its request's error: every format writes the field
    /// [`REPLAYED`], `true`.
    #[inline]
    pub(crate) fn replayed(&self) -> bool {
        self.rec.context.replayed()
    }

    #[inline(never)]
    fn read_suppressed(&self) -> Option<u64> {
        match self.cursor().get(self.after_fields()) {
            Some(Value::U64(n)) if n > 0 => Some(n),
            _ => None,
        }
    }

    /// The slot after the event's fields.
    fn after_fields(&self) -> usize {
        let meta = self.rec.callsite.metadata();
        usize::from(meta.message_values) + meta.fields.len()
    }

    pub(crate) fn callsite(&self) -> &'static crate::callsite::Callsite {
        self.rec.callsite
    }

    /// The record's values, in slot order.
    #[inline]
    pub(crate) fn values(&self) -> Decoder<'a> {
        Decoder::new(&self.rec.data)
    }

    /// Size of the record's encoded values.
    #[inline]
    pub(crate) fn data_len(&self) -> usize {
        self.rec.data.len()
    }

    /// Random access to the record's values.
    #[inline]
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
    pub(crate) fn target(&self) -> &'a str {
        self.rec.callsite.metadata().target
    }

    /// Source file of the call site, as `file!()` gives it; for a panic,
    /// the file where it happened.
    #[must_use]
    pub(crate) fn file(&self) -> &'a str {
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

    pub(in crate::format) fn panic_location(&self) -> Option<crate::exc_info::Location> {
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
    pub(crate) fn field_names(&self) -> &'a [&'a str] {
        self.rec.callsite.metadata().fields
    }

    /// The value slot of the first field (the message's values come
    /// before).
    #[must_use]
    pub(crate) fn first_field_slot(&self) -> usize {
        usize::from(self.rec.callsite.metadata().message_values)
    }

    /// The event's own `key = value` fields, in call order.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> + '_ {
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

/// A `JsonFormat` or `TextFormat` that cannot be used: an unknown key, a
/// key used twice, a template or a `datefmt` that does not parse. Every
/// problem found is listed.
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

/// Up to 8 bytes as a word (little-endian), padded with `a` (a byte no
/// escaper looks at): read with fixed-size loads (two that overlap).
#[inline(always)]
pub(crate) fn load_word(b: &[u8]) -> u64 {
    const PAD: u64 = u64::from_le_bytes([b'a'; 8]);
    let n = b.len();
    let word = if n >= 4 {
        let lo = u32::from_le_bytes(b[..4].try_into().expect("4 bytes"));
        let hi = u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes"));
        u64::from(lo) | u64::from(hi) << (8 * (n - 4))
    } else if n >= 2 {
        let lo = u16::from_le_bytes(b[..2].try_into().expect("2 bytes"));
        let hi = u16::from_le_bytes(b[n - 2..].try_into().expect("2 bytes"));
        u64::from(lo) | u64::from(hi) << (8 * (n - 2))
    } else {
        b.first().map_or(0, |&c| u64::from(c))
    };
    // The bytes past `n`: shifted out whole when there are none.
    word | PAD.checked_shl(8 * n as u32).unwrap_or(0)
}

/// Up to 16 bytes, padded (with `a`, a byte no escaper looks at): read
/// with fixed-size moves (two that overlap), so that no `memcpy` is
/// called for them.
#[inline(always)]
pub(crate) fn load_short(b: &[u8]) -> [u8; 16] {
    let n = b.len();
    let mut buf = [b'a'; 16];
    if n >= 8 {
        buf[..8].copy_from_slice(&b[..8]);
        buf[n - 8..n].copy_from_slice(&b[n - 8..]);
    } else if n >= 4 {
        buf[..4].copy_from_slice(&b[..4]);
        buf[n - 4..n].copy_from_slice(&b[n - 4..]);
    } else if n >= 2 {
        buf[..2].copy_from_slice(&b[..2]);
        buf[n - 2..n].copy_from_slice(&b[n - 2..]);
    } else if n == 1 {
        buf[0] = b[0];
    }
    buf
}

/// Appends `b`: a short slice (a number's digits, most values) with one
/// fixed-size move, after which what was copied past it is dropped. The
/// writer's lines are many short pieces, and a `memcpy` call for each took
/// some 25 instructions (by callgrind).
#[inline(always)]
pub(crate) fn append(out: &mut Vec<u8>, b: &[u8]) {
    if b.len() <= 16 {
        let end = out.len() + b.len();
        out.extend_from_slice(&load_short(b));
        out.truncate(end);
    } else {
        out.extend_from_slice(b);
    }
}

/// Appends `src[r]`; a range of at most `CHUNK` bytes with one fixed-size
/// move, after which what was copied past the range is dropped. `src` must
/// extend at least `CHUNK` bytes past `r` (a call site's template is
/// padded so). Most pieces of a template are short keys and literals, and
/// a `memcpy` call for each was a sixth of the writer's instructions.
#[inline(always)]
pub(crate) fn put_padded<const CHUNK: usize>(out: &mut Vec<u8>, src: &[u8], r: Range<usize>) {
    if r.len() <= CHUNK {
        let end = out.len() + r.len();
        let (chunk, _) = src[r.start..]
            .split_first_chunk::<CHUNK>()
            .expect("the template is padded");
        out.extend_from_slice(chunk);
        out.truncate(end);
    } else {
        out.extend_from_slice(&src[r]);
    }
}

/// Whether a character is escaped (`\uXXXX` in JSON, `\u{…}` in text)
/// although JSON allows it raw: it could end a line for a JavaScript-based
/// reader (U+2028/2029), is invisible and steers terminals (DEL, C1
/// controls), or reorders the text a human reads (bidi embeddings,
/// overrides, isolates and marks).
#[inline]
pub(crate) fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{7F}'..='\u{9F}'
        | '\u{061C}'
        | '\u{200E}' | '\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}')
}

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

impl fmt::Display for StdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Prefix given to a field whose key arrives at run time and equals a key
/// the line already has (in JSON, ECS and OTel lines and the OTLP export),
/// so that no line has a duplicate key: as many times as it takes
/// (`extra.extra.message` when the line has both `message` and
/// `extra.message`).
pub const CLASH_PREFIX: &str = "extra.";

/// Slots of a formatter's cache of call-site templates (JSON, OTLP/JSON
/// and text each keep one).
pub(crate) const SITE_SLOTS: usize = 256;

/// The address of the event's call site and its slot in a template cache
/// (Fibonacci hashing: the top bits of the product spread neighbours).
#[inline(always)]
pub(crate) fn site_slot(event: &Event<'_>) -> (usize, usize) {
    let addr = std::ptr::from_ref(event.callsite()) as usize;
    let slot = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) % SITE_SLOTS;
    (addr, slot)
}

/// Whether a template rendered for the call site at `addr` and `level`
/// serves `event`. A panic's file, line and function are the panic's, not
/// the call site's: its template is rendered afresh (panics are rare). So
/// is a site a record owns (past the bound of run-time call sites): its
/// address may be another's once it is freed.
#[inline(always)]
pub(crate) fn site_serves(addr: usize, level: Level, event: &Event<'_>) -> bool {
    std::ptr::from_ref(event.callsite()) as usize == addr
        && level == event.level()
        && event.panic_location().is_none()
        && !crate::callsite::own::is_own(event.callsite())
}

/// The field that carries the calls a sampled call site skipped before an
/// event (`"suppressed": 99`), written after the event's own fields when
/// there were any. A sampled call cannot have a field of that name (the
/// macros refuse it); a context field of that name is left out of a line
/// that has the count.
pub(crate) const SUPPRESSED: &str = "suppressed";

/// The field that marks an event written by replay on error
/// (`"replayed": true`), after its own fields (and [`SUPPRESSED`]); a
/// context field of that name is left out of such a line.
pub(crate) const REPLAYED: &str = "replayed";

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
/// context's is left out), and so do its [`SUPPRESSED`] count and its
/// [`REPLAYED`] mark; a key the line has already (`taken`, the
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
    let suppressed = event.suppressed().is_some();
    let replayed = event.replayed();
    // Context keys written prefixed: they must not meet each other.
    let mut renamed: SmallVec<[String; 2]> = SmallVec::new();
    ctx.for_each_field(|key, value| {
        if own.contains(&key) || (suppressed && key == SUPPRESSED) || (replayed && key == REPLAYED)
        {
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
