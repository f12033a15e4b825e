//! JSON lines, python-json-logger compatible by default:
//! `{"asctime": "…", "levelname": "INFO", "name": "app", "message": "…",
//! "filename": "src/main.rs", "lineno": 42, "funcName": "main", …}` —
//! standard keys first, then static fields, then context fields (the
//! request id first), then the event's fields.

use super::Event;
use super::time::TimeFormat;
use crate::callsite::Piece;
use crate::exc_info::ExcInfo;
use crate::level::Level;
use crate::record::RecordBuilder;
use crate::value::{Decoder, Encode, Value};
use std::fmt::{self, Write as _};
use std::ops::Range;

/// A standard key: one attribute of Python's `LogRecord` that pulselog
/// knows how to fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdKey {
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
}

impl StdKey {
    const ALL: [StdKey; 14] = [
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
    ];

    /// The key's Python name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
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
        }
    }

    /// Looks a key up by its Python name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<StdKey> {
        StdKey::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Prefix given to a field whose key arrives at run time and equals a key
/// the line already has, so that no line has a duplicate key.
pub const CLASH_PREFIX: &str = "extra.";

/// Configuration of the JSON formatter.
#[derive(Debug, Clone)]
pub struct JsonFormat {
    keys: Vec<(StdKey, String)>,
    statics: Vec<(String, Vec<u8>)>,
    datefmt: Option<String>,
    errors: Vec<String>,
    rt: Option<Runtime>,
}

#[derive(Debug, Clone)]
struct Runtime {
    /// `"key": ` per standard key, escaped once.
    prefixes: Vec<Vec<u8>>,
    statics: Vec<u8>,
    taken: Vec<String>,
    time: TimeFormat,
    sites: SiteCache,
}

impl Default for JsonFormat {
    fn default() -> Self {
        JsonFormat::new()
    }
}

impl JsonFormat {
    /// The default schema: `asctime`, `levelname`, `name`, `message`,
    /// `filename`, `lineno`, `funcName`.
    #[must_use]
    pub fn new() -> JsonFormat {
        let keys = [
            StdKey::Asctime,
            StdKey::Levelname,
            StdKey::Name,
            StdKey::Message,
            StdKey::Filename,
            StdKey::Lineno,
            StdKey::FuncName,
        ];
        JsonFormat {
            keys: keys.iter().map(|k| (*k, k.as_str().to_owned())).collect(),
            statics: Vec::new(),
            datefmt: None,
            errors: Vec::new(),
            rt: None,
        }
    }

    /// Chooses the standard keys and their order, python-json-logger `fmt`
    /// style: `"%(asctime)s %(levelname)s %(message)s"`, or the same names in
    /// braces (`"{asctime} {levelname}"`) or bare, separated by spaces or
    /// commas. Renames made before are kept for the keys that remain.
    #[must_use]
    pub fn keys(mut self, fmt: &str) -> JsonFormat {
        let mut keys = Vec::new();
        for name in key_names(fmt) {
            match StdKey::from_name(&name) {
                Some(k) => {
                    let out = self
                        .keys
                        .iter()
                        .find(|(old, _)| *old == k)
                        .map_or_else(|| k.as_str().to_owned(), |(_, n)| n.clone());
                    keys.push((k, out));
                }
                None => self.errors.push(format!(
                    "unknown standard key `{name}` in JSON keys; known keys: {}",
                    StdKey::ALL.map(StdKey::as_str).join(", ")
                )),
            }
        }
        self.keys = keys;
        self
    }

    /// Writes a standard key under another name, like python-json-logger's
    /// `rename_fields` (`levelname` → `level`).
    #[must_use]
    pub fn rename(mut self, key: &str, to: &str) -> JsonFormat {
        match self.keys.iter_mut().find(|(k, _)| k.as_str() == key) {
            Some(slot) => slot.1 = to.to_owned(),
            None => self.errors.push(format!(
                "cannot rename `{key}`: it is not one of the chosen standard keys"
            )),
        }
        self
    }

    /// Adds a field with the same value on every line (`service`, `env`, …),
    /// like python-json-logger's `static_fields`. Numbers stay numbers.
    #[must_use]
    pub fn static_field(mut self, key: &str, value: impl Encode) -> JsonFormat {
        let mut rec = RecordBuilder::scratch();
        value.encode(&mut rec);
        let mut json = Vec::new();
        let data = rec.into_data();
        if let Some(v) = Decoder::new(&data).next() {
            write_value(&mut json, v);
        }
        self.statics.push((key.to_owned(), json));
        self
    }

    /// Renders `asctime` with a strftime format (Python's `datefmt`) instead
    /// of ISO 8601.
    #[must_use]
    pub fn datefmt(mut self, fmt: &str) -> JsonFormat {
        self.datefmt = Some(fmt.to_owned());
        self
    }

    /// Checks the configuration and precomputes what every line needs.
    pub(crate) fn build(mut self) -> Result<JsonFormat, String> {
        let time = TimeFormat::new(self.datefmt.clone());
        if let Err(e) = &time {
            self.errors.push(e.clone());
        }
        let mut taken: Vec<String> = Vec::new();
        for name in self
            .keys
            .iter()
            .map(|k| &k.1)
            .chain(self.statics.iter().map(|s| &s.0))
        {
            if taken.contains(name) {
                self.errors
                    .push(format!("the JSON key `{name}` is used twice"));
            }
            if name == "request_id" || name == EXC_INFO {
                self.errors.push(format!(
                    "the JSON key `{name}` is written by pulselog itself; choose another name"
                ));
            }
            taken.push(name.clone());
        }
        if !self.errors.is_empty() {
            return Err(self.errors.join("; "));
        }
        let prefixes = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, (_, name))| {
                let mut p = Vec::new();
                p.extend_from_slice(if i == 0 { b"{" } else { b", " });
                write_str(&mut p, name);
                p.extend_from_slice(b": ");
                p
            })
            .collect();
        let mut statics = Vec::new();
        for (i, (k, v)) in self.statics.iter().enumerate() {
            statics.extend_from_slice(if i == 0 && self.keys.is_empty() {
                b"{"
            } else {
                b", "
            });
            write_str(&mut statics, k);
            statics.extend_from_slice(b": ");
            statics.extend_from_slice(v);
        }
        self.rt = Some(Runtime {
            prefixes,
            statics,
            taken,
            time: time.expect("checked above"),
            sites: SiteCache::default(),
        });
        Ok(self)
    }

    pub(crate) fn format(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let Some(rt) = &mut self.rt else {
            return;
        };
        let layout = Layout {
            keys: &self.keys,
            prefixes: &rt.prefixes,
            statics: &rt.statics,
            taken: &rt.taken,
            iso_time: self.datefmt.is_none(),
        };
        let site = rt.sites.get(event, &layout);
        // Room for the line in one go (escaping makes a value at most six
        // times its encoded size); the copies below then never reallocate.
        out.reserve(site.bytes.len() + 6 * event.data_len() + 64);
        let ns = event.time_ns();
        let mut values = event.cursor();
        for part in &site.parts {
            let key = match part {
                Part::Static(r) => {
                    site.put(out, r);
                    continue;
                }
                Part::Value(key) => key,
            };
            match key {
                StdKey::Asctime => {
                    if self.datefmt.is_some() {
                        let mut buf = Vec::new();
                        rt.time.write(ns, &mut buf);
                        write_str(out, &String::from_utf8_lossy(&buf));
                    } else {
                        // Its quotes are in the template.
                        rt.time.write(ns, out);
                    }
                }
                StdKey::Created => {
                    #[allow(clippy::cast_precision_loss)]
                    let secs = ns as f64 / 1e9;
                    write_value(out, Value::F64(secs));
                }
                StdKey::Msecs => {
                    #[allow(clippy::cast_precision_loss)]
                    let ms = (ns % 1_000_000_000) as f64 / 1e6;
                    write_value(out, Value::F64(ms));
                }
                StdKey::Message => {
                    out.push(b'"');
                    for piece in &site.message {
                        match piece {
                            MessagePiece::Lit(r) => site.put(out, r),
                            MessagePiece::Value(i) => match values.get(*i) {
                                Some(Value::Str(s)) => escape_into(out, s),
                                Some(Value::I64(n)) => {
                                    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
                                }
                                Some(Value::U64(n)) => {
                                    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
                                }
                                Some(v) => {
                                    let _ = write!(&mut Escaped(out), "{v}");
                                }
                                None => {}
                            },
                        }
                    }
                    out.push(b'"');
                }
                // Rendered into the call site's static parts.
                _ => {}
            }
        }
        let mut first = site.parts.is_empty();
        let sep = |out: &mut Vec<u8>, first: &mut bool| {
            out.extend_from_slice(if *first { b"{" } else { b", " });
            *first = false;
        };
        let ctx = event.context();
        if let Some(id) = ctx.request_id() {
            sep(out, &mut first);
            write_str(out, "request_id");
            out.extend_from_slice(b": ");
            write_str(out, id);
        }
        let meta = event.callsite().metadata();
        if !ctx.is_empty() {
            ctx.for_each_field(|key, value| {
                if meta.fields.contains(&key) {
                    return;
                }
                sep(out, &mut first);
                write_key(out, key, &rt.taken);
                write_value(out, value);
            });
        }
        let first_field = usize::from(meta.message_values);
        for i in 0..meta.fields.len() {
            let Some(value) = values.get(first_field + i) else {
                break;
            };
            // The cached key starts with its `, ` separator.
            match site.keys.get(i) {
                Some(key) if first => {
                    out.push(b'{');
                    site.put(out, &(key.start + 2..key.end));
                }
                Some(key) => site.put(out, key),
                None => out.extend_from_slice(if first { b"{" } else { b", " }),
            }
            first = false;
            write_value(out, value);
        }
        if let Some(exc) = event.exc_info() {
            sep(out, &mut first);
            write_str(out, EXC_INFO);
            out.extend_from_slice(b": ");
            write_exc_info(out, exc);
        }
        if first {
            out.push(b'{');
        }
        out.extend_from_slice(b"}\n");
    }
}

/// The key of an event's error or panic.
const EXC_INFO: &str = "exc_info";

/// `{"type": …, "message": …, "chain": […], "backtrace": […]}`: the chain
/// from the error's own message to its root cause; `backtrace` (frames as
/// `function at file:line:column`, the call site first) only when one was
/// captured; `chain_truncated` only when the chain was cut.
fn write_exc_info(out: &mut Vec<u8>, exc: &ExcInfo) {
    out.extend_from_slice(b"{\"type\": ");
    write_str(out, exc.type_name());
    out.extend_from_slice(b", \"message\": ");
    write_str(out, exc.message());
    out.extend_from_slice(b", \"chain\": [");
    for (i, msg) in exc.chain().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        write_str(out, msg);
    }
    out.push(b']');
    if exc.chain_truncated() {
        out.extend_from_slice(b", \"chain_truncated\": true");
    }
    if let Some(frames) = exc.backtrace() {
        out.extend_from_slice(b", \"backtrace\": [");
        let mut s = String::new();
        for (i, frame) in frames.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            s.clear();
            let _ = write!(s, "{frame}");
            write_str(out, &s);
        }
        out.push(b']');
    }
    out.push(b'}');
}

fn write_key(out: &mut Vec<u8>, key: &str, taken: &[String]) {
    if taken.iter().any(|t| t == key) || key == "request_id" || key == EXC_INFO {
        let mut k = String::with_capacity(CLASH_PREFIX.len() + key.len());
        k.push_str(CLASH_PREFIX);
        k.push_str(key);
        write_str(out, &k);
    } else {
        write_str(out, key);
    }
    out.extend_from_slice(b": ");
}

/// Key names in a python-json-logger `fmt` string.
fn key_names(fmt: &str) -> Vec<String> {
    if fmt.contains("%(") {
        fmt.split("%(")
            .skip(1)
            .filter_map(|s| s.split_once(')').map(|(k, _)| k.to_owned()))
            .collect()
    } else {
        fmt.split(|c: char| c.is_whitespace() || c == ',' || c == '{' || c == '}')
            .map(|s| s.split(':').next().unwrap_or(s))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Writes a value as JSON. Numbers stay numbers; a non-finite float becomes
/// `null` (JSON has no NaN, and a string would break the field's numeric
/// mapping in Elasticsearch and others).
pub(crate) fn write_value(out: &mut Vec<u8>, v: Value<'_>) {
    match v {
        Value::I64(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Value::U64(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Value::I128(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Value::U128(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Value::F32(f) if f.is_finite() => write_float(out, zmij::Buffer::new().format_finite(f)),
        Value::F64(f) if f.is_finite() => write_float(out, zmij::Buffer::new().format_finite(f)),
        Value::F32(_) | Value::F64(_) | Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Value::Char(c) => write_str(out, c.encode_utf8(&mut [0; 4])),
        Value::Str(s) => write_str(out, s),
    }
}

/// Appends a float as `zmij` renders it (the shortest text that reads
/// back as the same number), without the `+` of a positive exponent:
/// `1e300`, as JavaScript, Python's `repr` and `ryu` write it. (For the
/// `elapsed_ms` of a `#[logged]` exit line, `ryu` took about 490
/// instructions and `zmij` takes about 190, by callgrind.)
fn write_float(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    // The only `+` is the exponent's sign, followed by one to three digits.
    let n = b.len();
    match (2..=4)
        .filter(|&k| k < n)
        .map(|k| n - k)
        .find(|&i| b[i] == b'+')
    {
        Some(plus) => {
            out.extend_from_slice(&b[..plus]);
            out.extend_from_slice(&b[plus + 1..]);
        }
        None => out.extend_from_slice(b),
    }
}

/// Which bytes start something the escaper must look at: ASCII controls,
/// `"`, `\`, DEL, and the lead bytes of the escaped non-ASCII characters
/// (C1 controls `C2 80..9F`, `E2 80 A8..AE` and `E2 81 A6..A9` for the line
/// separators and bidi controls, `D8 9C` for the Arabic letter mark).
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[0x7F] = true;
    t[0xC2] = true;
    t[0xD8] = true;
    t[0xE2] = true;
    t
};

/// Whether a character is written as `\uXXXX` although JSON allows it raw:
/// it could end a line for a JavaScript-based reader (U+2028/2029), is
/// invisible and steers terminals (DEL, C1 controls), or reorders the text a
/// human reads (bidi embeddings, overrides, isolates and marks).
pub(crate) fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{7F}'..='\u{9F}'
        | '\u{061C}'
        | '\u{200E}' | '\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}')
}

/// Writes `s` as a JSON string, quotes included. Besides JSON's required
/// escapes, U+2028/2029, DEL, C1 controls and bidi controls are written as
/// `\uXXXX`, so a line is safe for any JSON reader and for human eyes.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    escape_into(out, s);
    out.push(b'"');
}

/// Whether any of 8 bytes is an ASCII control, `"`, `\`, DEL or non-ASCII,
/// i.e. may need [`SPECIAL`]'s closer look (bit tricks on a `u64`: a byte
/// `b` has its high bit set in `(x - 0x01..) & !x & 0x80..` only if some
/// byte is zero, after `^` with the byte sought).
#[inline]
fn needs_look(chunk: [u8; 8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let x = u64::from_ne_bytes(chunk);
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    (below_space
        | has_zero(x ^ (ONES * u64::from(b'"')))
        | has_zero(x ^ (ONES * u64::from(b'\\')))
        | has_zero(x ^ (ONES * 0x7F))
        | (x & HIGH))
        != 0
}

/// Writes `s` escaped as in [`write_str`], without the quotes. Runs of
/// plain ASCII are skipped eight bytes at a time.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            if !needs_look(chunk.try_into().expect("8 bytes")) {
                i += 8;
                continue;
            }
        } else {
            // The last few bytes, padded with a byte that needs no look:
            // most values are shorter than eight bytes, and going through
            // them one by one took about 25 instructions a byte.
            let mut tail = [b'a'; 8];
            tail[..bytes.len() - i].copy_from_slice(&bytes[i..]);
            if !needs_look(tail) {
                break;
            }
        }
        let b = bytes[i];
        if !SPECIAL[b as usize] {
            i += 1;
            continue;
        }
        let (c, len) = match s[i..].chars().next() {
            Some(c) => (c, c.len_utf8()),
            None => break,
        };
        let escape: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            '\u{08}' => Some(b"\\b"),
            '\u{0C}' => Some(b"\\f"),
            _ => None,
        };
        if escape.is_none() && !(c < ' ' || is_hostile(c)) {
            i += len;
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => push_u_escape(out, c),
        }
        i += len;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// A `fmt::Write` that appends JSON-escaped text.
struct Escaped<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s);
        Ok(())
    }
}

fn push_u_escape(out: &mut Vec<u8>, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = c as u32;
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((n >> shift) & 0xF) as usize]);
    }
}

/// Each call site's line template, rendered on its first event: the parts
/// of the line that never change for it (standard keys with their values —
/// level, logger name, file, line, function —, static fields, each field's
/// `, "key": `), escaped once, between the holes that change per event
/// (time, message). Escaping and copying these piece by piece on every line
/// took over a third of the writer's time.
///
/// Direct-mapped by call-site address and level: a collision only costs a
/// re-render. Sound because all of it comes from the call site's `'static`
/// metadata and the formatter's configuration (except for a panic, whose
/// location is its own: its template is never reused).
#[derive(Debug, Clone)]
struct SiteCache {
    slots: Vec<Option<Site>>,
}

#[derive(Debug, Clone)]
struct Site {
    callsite: usize,
    level: Level,
    bytes: Vec<u8>,
    /// The standard keys and static fields, in output order.
    parts: Vec<Part>,
    /// `, "key": ` of each event field.
    keys: Vec<Range<usize>>,
    /// The message template, its literal text escaped.
    message: Vec<MessagePiece>,
}

#[derive(Debug, Clone)]
enum MessagePiece {
    Lit(Range<usize>),
    Value(usize),
}

#[derive(Debug, Clone)]
enum Part {
    Static(Range<usize>),
    Value(StdKey),
}

const SITE_SLOTS: usize = 256;

/// What every line of this formatter shares, from which a call site's
/// template is rendered.
struct Layout<'a> {
    keys: &'a [(StdKey, String)],
    /// `"key": ` per standard key, escaped once.
    prefixes: &'a [Vec<u8>],
    statics: &'a [u8],
    /// Keys the line owns: a run-time key equal to one is prefixed.
    taken: &'a [String],
    iso_time: bool,
}

impl Default for SiteCache {
    fn default() -> Self {
        SiteCache {
            slots: vec![None; SITE_SLOTS],
        }
    }
}

impl SiteCache {
    fn get(&mut self, event: &Event<'_>, layout: &Layout<'_>) -> &Site {
        let addr = std::ptr::from_ref(event.callsite()) as usize;
        // Fibonacci hashing: the top bits of the product spread neighbours.
        let slot = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) % SITE_SLOTS;
        let entry = &mut self.slots[slot];
        // A panic's file, line and function are the panic's, not the call
        // site's: its template is rendered afresh (panics are rare).
        if event.panic_location().is_some()
            || entry
                .as_ref()
                .is_none_or(|s| s.callsite != addr || s.level != event.level())
        {
            *entry = Some(Site::render(addr, event, layout));
        }
        entry.as_ref().expect("filled above")
    }
}

impl Site {
    fn render(callsite: usize, event: &Event<'_>, layout: &Layout<'_>) -> Site {
        let Layout {
            keys,
            prefixes,
            statics,
            taken,
            iso_time,
        } = *layout;
        let mut b = Vec::new();
        let mut parts = Vec::new();
        let mut run = 0;
        let target = event.target();
        let pieces = event.callsite().metadata().pieces;
        let literal_message = pieces.iter().all(|p| matches!(p, Piece::Lit(_)));
        for ((key, _), prefix) in keys.iter().zip(prefixes) {
            b.extend_from_slice(prefix);
            match key {
                // An ISO time needs no escaping: its quotes go in the
                // template.
                StdKey::Asctime if iso_time => {
                    b.push(b'"');
                    parts.push(Part::Static(run..b.len()));
                    parts.push(Part::Value(*key));
                    b.push(b'"');
                    run = b.len() - 1;
                }
                // A message without values (`#[logged]`'s `enter`, many
                // plain messages) is as static as the level.
                StdKey::Message if literal_message => {
                    b.push(b'"');
                    for piece in pieces {
                        if let Piece::Lit(text) = piece {
                            escape_into(&mut b, text);
                        }
                    }
                    b.push(b'"');
                }
                StdKey::Asctime | StdKey::Created | StdKey::Msecs | StdKey::Message => {
                    parts.push(Part::Static(run..b.len()));
                    parts.push(Part::Value(*key));
                    run = b.len();
                }
                StdKey::Levelname => write_str(&mut b, event.level().as_str()),
                StdKey::Levelno => write_value(&mut b, Value::U64(event.level().number().into())),
                StdKey::Name => write_str(&mut b, target),
                StdKey::Filename | StdKey::Pathname => write_str(&mut b, event.file()),
                StdKey::Module => write_str(&mut b, target.rsplit("::").next().unwrap_or(target)),
                StdKey::Lineno => write_value(&mut b, Value::U64(event.line().into())),
                StdKey::Colno => write_value(&mut b, Value::U64(event.column().into())),
                StdKey::FuncName => write_str(&mut b, event.function()),
                StdKey::Process => write_value(&mut b, Value::U64(std::process::id().into())),
            }
        }
        b.extend_from_slice(statics);
        parts.push(Part::Static(run..b.len()));
        parts.retain(|p| !matches!(p, Part::Static(r) if r.is_empty()));
        let keys = event
            .fields()
            .map(|(key, _)| {
                let start = b.len();
                b.extend_from_slice(b", ");
                write_key(&mut b, key, taken);
                start..b.len()
            })
            .collect();
        let message = event
            .callsite()
            .metadata()
            .pieces
            .iter()
            .map(|piece| match *piece {
                Piece::Lit(text) => {
                    let start = b.len();
                    escape_into(&mut b, text);
                    MessagePiece::Lit(start..b.len())
                }
                Piece::Value(i) => MessagePiece::Value(usize::from(i)),
            })
            .collect();
        Site {
            callsite,
            level: event.level(),
            bytes: {
                b.extend_from_slice(&[0; PAD]);
                b
            },
            parts,
            keys,
            message,
        }
    }

    /// Appends the bytes of `r`, a range of the template.
    #[inline(always)]
    fn put(&self, out: &mut Vec<u8>, r: &Range<usize>) {
        put_padded(out, &self.bytes, r.clone());
    }
}

/// Bytes of padding after a template's last range, so that a short range
/// can be copied as one whole [`CHUNK`].
const PAD: usize = CHUNK;
const CHUNK: usize = 32;

/// Appends `src[r]`; a range of at most `CHUNK` bytes with one fixed-size
/// move (inlined here), after which what was copied past the range is
/// dropped. `src` must extend at least `PAD` bytes past `r`. Most pieces of
/// a template are short keys and literals, and a `memcpy` call for each
/// was a sixth of the writer's instructions.
#[inline(always)]
fn put_padded(out: &mut Vec<u8>, src: &[u8], r: Range<usize>) {
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

impl fmt::Display for StdKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_what_json_requires_and_what_is_hostile() {
        assert_eq!(esc("plain"), r#""plain""#);
        assert_eq!(esc("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(esc("l1\nl2\r\t\u{8}\u{c}"), r#""l1\nl2\r\t\b\f""#);
        assert_eq!(esc("\u{0}\u{1b}[31m"), r#""\u0000\u001b[31m""#);
        assert_eq!(esc("x\u{7f}\u{85}\u{9f}"), r#""x\u007f\u0085\u009f""#);
        assert_eq!(esc("\u{2028}\u{2029}"), r#""\u2028\u2029""#);
        assert_eq!(
            esc("\u{202e}evil\u{2066}\u{2069}\u{200f}\u{61c}"),
            r#""\u202eevil\u2066\u2069\u200f\u061c""#
        );
        // Non-hostile characters sharing lead bytes stay raw.
        assert_eq!(esc("é ✓ € — ء"), "\"é ✓ € — ء\"");
    }

    #[test]
    fn the_eight_byte_scan_misses_nothing() {
        // Every special byte at every offset of a run longer than a chunk,
        // so that both the fast skip and the tail are exercised.
        let hits = [
            "\"", "\\", "\n", "\u{1}", "\u{7f}", "\u{85}", "\u{2028}", "\u{202e}", "é",
        ];
        for hit in hits {
            for at in 0..20 {
                let s = format!("{}{hit}{}", "a".repeat(at), "b".repeat(19 - at));
                let slow: String = s
                    .chars()
                    .map(|c| esc(&c.to_string()))
                    .map(|q| q[1..q.len() - 1].to_owned())
                    .collect();
                assert_eq!(esc(&s), format!("\"{slow}\""), "{hit:?} at {at}");
            }
        }
        // Bytes next to the thresholds stay raw.
        assert_eq!(
            esc(" !#[]~ 0123456789abcdef"),
            "\" !#[]~ 0123456789abcdef\""
        );
    }

    #[test]
    fn floats_are_shortest_and_exponents_have_no_plus() {
        let mut out = Vec::new();
        for v in [
            Value::F64(1e16),
            Value::F64(-2.5e123),
            Value::F64(1e-7),
            Value::F64(1.5e-300),
            Value::F64(9_999_999_999_999_998.0),
            Value::F64(0.000_29),
            Value::F64(f64::MAX),
            Value::F32(1e20),
            Value::F32(3.4e38),
            Value::F32(1e-45),
        ] {
            write_value(&mut out, v);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1e16 -2.5e123 1e-7 1.5e-300 9999999999999998.0 0.00029 1.7976931348623157e308 1e20 3.4e38 1e-45 "
        );
    }

    #[test]
    fn key_names_accept_python_and_brace_styles() {
        assert_eq!(
            key_names("%(asctime)s %(levelname)-8s %(message)s"),
            ["asctime", "levelname", "message"]
        );
        assert_eq!(
            key_names("{asctime} {levelname:<8}, message"),
            ["asctime", "levelname", "message"]
        );
    }

    #[test]
    fn numbers_keep_their_type_and_non_finite_is_null() {
        let mut out = Vec::new();
        for v in [
            Value::I64(-3),
            Value::U64(u64::MAX),
            Value::I128(i128::MIN),
            Value::F64(0.1),
            Value::F64(1e300),
            Value::F32(1.5),
            Value::F64(f64::NAN),
            Value::F64(f64::NEG_INFINITY),
            Value::Bool(true),
            Value::Null,
            Value::Char('"'),
        ] {
            write_value(&mut out, v);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "-3 18446744073709551615 -170141183460469231731687303715884105728 0.1 1e300 1.5 null null true null \"\\\"\" "
        );
    }
}
