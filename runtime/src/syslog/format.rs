//! An event as one syslog message: RFC 5424 (the default) or the BSD
//! format of RFC 3164, with the event's fields as RFC 5424 STRUCTURED-DATA
//! in both. What this file writes is described, byte by byte, in
//! `docs/syslog.md`.
//!
//! A message is never longer than the output's `max_len`, and always well
//! formed: when it would be longer, the message text and the longest
//! parameter values are cut, each ending with `…<N bytes cut>`, never
//! inside an escape or a UTF-8 character.

use crate::encode::Value;
use crate::format::{
    CLASH_PREFIX, Event, IdKey, REPLAYED, SUPPRESSED, TimeFormat, field_keys,
    for_each_context_field,
};
use crate::level::Level;
use std::borrow::Cow;
use std::fmt::Write as _;

/// The SD-ID of the one SD-ELEMENT a message carries: a private ID under
/// the Private Enterprise Number reserved for documentation (RFC 5612).
pub(crate) const SD_ID: &str = "pulselog@32473";

/// The longest SD-NAME RFC 5424 allows.
const SD_NAME_MAX: usize = 32;

/// The most bytes a cut marker (`…<N bytes cut>`) takes: 3 for `…`, 20
/// for the largest `usize`, 12 for the rest.
const MARKER_MAX: usize = 35;

/// The syslog facility of the messages (RFC 5424 §6.2.1). Default:
/// [`Facility::User`], as Python's `SysLogHandler`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Facility {
    /// Kernel messages (0).
    Kern = 0,
    /// User-level messages (1).
    #[default]
    User = 1,
    /// Mail system (2).
    Mail = 2,
    /// System daemons (3).
    Daemon = 3,
    /// Security/authorization messages (4).
    Auth = 4,
    /// Messages generated internally by syslogd (5).
    Syslog = 5,
    /// Line printer subsystem (6).
    Lpr = 6,
    /// Network news subsystem (7).
    News = 7,
    /// UUCP subsystem (8).
    Uucp = 8,
    /// Clock daemon (9).
    Cron = 9,
    /// Security/authorization messages, private (10).
    Authpriv = 10,
    /// FTP daemon (11).
    Ftp = 11,
    /// Local use 0 (16).
    Local0 = 16,
    /// Local use 1 (17).
    Local1 = 17,
    /// Local use 2 (18).
    Local2 = 18,
    /// Local use 3 (19).
    Local3 = 19,
    /// Local use 4 (20).
    Local4 = 20,
    /// Local use 5 (21).
    Local5 = 21,
    /// Local use 6 (22).
    Local6 = 22,
    /// Local use 7 (23).
    Local7 = 23,
}

/// The syslog severity of a level: TRACE and DEBUG 7 (debug), INFO 6
/// (informational), WARNING 4 (warning), ERROR 3 (error), CRITICAL 2
/// (critical). The `levelname` parameter tells TRACE from DEBUG.
pub(crate) fn severity(level: Level) -> u8 {
    match level {
        Level::Trace | Level::Debug => 7,
        Level::Info => 6,
        Level::Warning => 4,
        Level::Error => 3,
        Level::Critical => 2,
    }
}

/// PRI: facility × 8 + severity.
pub(crate) fn pri(facility: Facility, level: Level) -> u8 {
    facility as u8 * 8 + severity(level)
}

/// The parameters written before the context's and the event's fields; a
/// field of the same name is written prefixed (`extra.name`).
const STD_PARAMS: [&str; 5] = ["levelname", "name", "filename", "lineno", "funcName"];

/// The prefix of the error's parameters.
const EXC: &str = "exc_info";

/// The formatter of syslog messages.
#[derive(Debug, Clone)]
pub(crate) struct SyslogFormat {
    pub(crate) facility: Facility,
    rfc3164: bool,
    /// APP-NAME (TAG in RFC 3164), made of printable US-ASCII.
    pub(crate) app_name: String,
    /// HOSTNAME, made of printable US-ASCII.
    pub(crate) hostname: String,
    /// The longest message, in bytes (the TCP frame's length prefix aside).
    pub(crate) max_len: usize,
    /// RFC 3339 with microseconds in UTC, or RFC 3164's `Mmm dd hh:mm:ss`
    /// (UTC too); both are valid formats, `None` is never seen.
    time: Option<TimeFormat>,
    /// This event's parameters: names (SD-NAMEs) and, in `values`, the
    /// range of each one's value as text, not escaped yet.
    names: Vec<String>,
    spans: Vec<(usize, usize)>,
    values: String,
    /// Each parameter's name and escaped value lengths.
    lens: Vec<(usize, usize)>,
    msg: String,
}

impl SyslogFormat {
    pub(crate) fn new(app_name: &str, hostname: &str, max_len: usize) -> SyslogFormat {
        SyslogFormat {
            facility: Facility::default(),
            rfc3164: false,
            app_name: header_field(app_name, 48),
            hostname: header_field(hostname, 255),
            max_len,
            time: TimeFormat::new(None).ok(),
            names: Vec::new(),
            spans: Vec::new(),
            values: String::new(),
            lens: Vec::new(),
            msg: String::new(),
        }
    }

    /// Writes the BSD format of RFC 3164 instead of RFC 5424.
    pub(crate) fn use_rfc3164(&mut self) {
        self.rfc3164 = true;
        self.time = TimeFormat::new(Some("%b %e %H:%M:%S".to_owned())).ok();
    }

    /// Appends one message (no newline, no framing: the transport frames
    /// it).
    pub(crate) fn format(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let start = out.len();
        self.header(event, out);
        let header_len = out.len() - start;
        self.collect(event);
        self.msg.clear();
        event.write_message(&mut self.msg);

        let msg_len = escaped_len(&self.msg, false);
        let with_sp = |n: usize| if n == 0 { 0 } else { n + 1 };
        let mut lens = std::mem::take(&mut self.lens);
        lens.clear();
        lens.extend(
            self.names
                .iter()
                .zip(&self.spans)
                .map(|(n, &(a, b))| (n.len(), escaped_len(&self.values[a..b], true))),
        );
        let sd_full = sd_len(&lens, lens.len(), usize::MAX);
        let avail = self.max_len.saturating_sub(header_len);
        let (msg_keep, kept, cap) = if sd_full + with_sp(msg_len) <= avail {
            (msg_len, lens.len(), usize::MAX)
        } else {
            // The text keeps at least half the room when it needs it; the
            // parameters get the rest, their longest values cut first.
            let msg_keep = msg_len.min(avail.saturating_sub(sd_full + 1).max(avail / 2));
            let (kept, cap) = fit(&lens, avail.saturating_sub(with_sp(msg_keep)));
            (msg_keep, kept, cap)
        };

        out.push(b'[');
        out.extend_from_slice(SD_ID.as_bytes());
        for i in 0..kept {
            let (a, b) = self.spans[i];
            out.push(b' ');
            out.extend_from_slice(self.names[i].as_bytes());
            out.extend_from_slice(b"=\"");
            write_cut(out, &self.values[a..b], true, cap);
            out.push(b'"');
        }
        out.push(b']');
        if msg_keep > 0 {
            out.push(b' ');
            write_cut(out, &self.msg, false, msg_keep);
        }
        self.lens = lens;
    }

    /// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID ` (RFC 5424), or
    /// `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: ` (RFC 3164).
    fn header(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let rfc3164 = self.rfc3164;
        let mut itoa = itoa::Buffer::new();
        out.push(b'<');
        out.extend_from_slice(itoa.format(pri(self.facility, event.level())).as_bytes());
        out.push(b'>');
        if !rfc3164 {
            out.extend_from_slice(b"1 ");
        }
        match &mut self.time {
            Some(time) => time.write(event.time_ns(), out),
            None => out.push(b'-'),
        }
        out.push(b' ');
        out.extend_from_slice(self.hostname.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.app_name.as_bytes());
        // Read per message: a forked child has a pid of its own.
        let pid = itoa.format(std::process::id());
        if rfc3164 {
            out.push(b'[');
            out.extend_from_slice(pid.as_bytes());
            out.extend_from_slice(b"]: ");
        } else {
            out.push(b' ');
            out.extend_from_slice(pid.as_bytes());
            // MSGID: none (the logger name is the `name` parameter; a
            // module path is often longer than MSGID's 32 characters).
            out.extend_from_slice(b" - ");
        }
    }

    /// The event's parameters, in order: the standard ones, the request
    /// ids, the context's fields, the event's fields, the error.
    fn collect(&mut self, event: &Event<'_>) {
        self.names.clear();
        self.spans.clear();
        self.values.clear();
        let level = event.level();
        self.param(STD_PARAMS[0], |s| s.push_str(level.as_str()));
        self.param(STD_PARAMS[1], |s| s.push_str(event.target()));
        self.param(STD_PARAMS[2], |s| s.push_str(event.file()));
        self.param(STD_PARAMS[3], |s| {
            s.push_str(itoa::Buffer::new().format(event.line()));
        });
        self.param(STD_PARAMS[4], |s| s.push_str(event.function()));
        if let Some(id) = event.context().id() {
            self.param(IdKey::Request.as_str(), |s| s.push_str(id.as_str()));
            if let Some(tp) = id.trace_parent() {
                self.param(IdKey::Trace.as_str(), |s| s.push_str(&tp.trace_id_hex()));
                self.param(IdKey::Span.as_str(), |s| s.push_str(&tp.span_id_hex()));
            }
        }
        let taken = |k: &str| {
            STD_PARAMS.contains(&k)
                || IdKey::from_name(k).is_some()
                || k == EXC
                || k.strip_prefix(EXC).is_some_and(|r| r.starts_with('.'))
        };
        let own = field_keys(event, taken);
        if !event.context().is_empty() {
            let mut ctx: Vec<(String, String)> = Vec::new();
            for_each_context_field(event, &own, taken, |key, value| {
                let mut s = String::new();
                push_value(&mut s, value);
                ctx.push((key.to_owned(), s));
            });
            for (key, value) in ctx {
                self.param(&key, |s| s.push_str(&value));
            }
        }
        for (key, (_, value)) in own.iter().zip(event.fields()) {
            self.param(key, |s| push_value(s, value));
        }
        if let Some(n) = event.suppressed() {
            self.param(SUPPRESSED, |s| push_value(s, Value::U64(n)));
        }
        if event.replayed() {
            self.param(REPLAYED, |s| push_value(s, Value::Bool(true)));
        }
        if let Some(exc) = event.exc_info() {
            self.param("exc_info.type", |s| s.push_str(exc.type_name()));
            self.param("exc_info.message", |s| s.push_str(exc.message()));
            for (i, m) in exc.chain().enumerate() {
                self.param(&format!("exc_info.chain.{i}"), |s| s.push_str(m));
            }
            if exc.chain_truncated() {
                self.param("exc_info.chain_truncated", |s| s.push_str("true"));
            }
            if let Some(lines) = exc.backtrace_lines(event.file()) {
                for (i, line) in lines.iter().enumerate() {
                    self.param(&format!("exc_info.backtrace.{i}"), |s| s.push_str(line));
                }
            }
        }
    }

    /// One parameter: its key as an SD-NAME new in the element, and its
    /// value as `value` writes it.
    fn param(&mut self, key: &str, value: impl FnOnce(&mut String)) {
        let mut name = sd_name(key);
        let mut prefixed = key.to_owned();
        while self.names.iter().any(|n| *n == name) {
            prefixed.insert_str(0, CLASH_PREFIX);
            name = Cow::Owned(sd_name(&prefixed).into_owned());
        }
        let name = name.into_owned();
        self.names.push(name);
        let a = self.values.len();
        value(&mut self.values);
        self.spans.push((a, self.values.len()));
    }
}

/// A value as text: strings as they are, numbers and booleans as Rust
/// prints them, `None` as `null`.
fn push_value(s: &mut String, value: Value<'_>) {
    match value {
        Value::Str(v) => s.push_str(v),
        Value::I64(v) => s.push_str(itoa::Buffer::new().format(v)),
        Value::U64(v) => s.push_str(itoa::Buffer::new().format(v)),
        Value::Null => s.push_str("null"),
        other => {
            let _ = write!(s, "{other}");
        }
    }
}

/// A header field (HOSTNAME, APP-NAME): printable US-ASCII, at most `max`
/// bytes, `-` (the NILVALUE) when empty; any other character becomes `_`.
pub(crate) fn header_field(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(max)
        .collect();
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// A key as an SD-NAME: 1 to 32 printable US-ASCII characters except `=`,
/// space, `]` and `"`. A key that is one already is kept; otherwise every
/// other character becomes `_`, and a key longer than 32 becomes its
/// first 23 characters, `~` and 8 hex digits of a hash (FNV-1a) of the
/// whole key, so that two long keys with the same start stay apart.
pub(crate) fn sd_name(key: &str) -> Cow<'_, str> {
    let ok = |c: char| c.is_ascii_graphic() && !matches!(c, '=' | ']' | '"');
    if !key.is_empty() && key.len() <= SD_NAME_MAX && key.chars().all(ok) {
        return Cow::Borrowed(key);
    }
    let mut name: String = key.chars().map(|c| if ok(c) { c } else { '_' }).collect();
    if name.is_empty() {
        name.push('_');
    }
    if name.len() > SD_NAME_MAX {
        // Only ASCII left: any byte index is a character boundary.
        name.truncate(23);
        let hash = key.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        let _ = write!(name, "~{hash:08x}");
    }
    Cow::Owned(name)
}

/// The bytes `c` takes once escaped. In a PARAM-VALUE (`param`), `"`, `\`
/// and `]` take a backslash (RFC 5424 §6.3.3); everywhere, the C0
/// controls and DEL are written `#` and three octal digits (`#012` for a
/// newline), as rsyslog writes them on receipt, so that no control
/// character reaches a receiver that stops at NUL or a log file that a
/// newline would split.
fn escaped_char_len(c: char, param: bool) -> usize {
    match c {
        '"' | '\\' | ']' if param => 2,
        c if c.is_ascii_control() => 4,
        c => c.len_utf8(),
    }
}

fn escaped_len(s: &str, param: bool) -> usize {
    s.chars().map(|c| escaped_char_len(c, param)).sum()
}

fn write_escaped_char(out: &mut Vec<u8>, c: char, param: bool) {
    match c {
        '"' | '\\' | ']' if param => {
            out.push(b'\\');
            out.push(c as u8);
        }
        c if c.is_ascii_control() => {
            let b = c as u8;
            out.extend_from_slice(&[b'#', b'0' + (b >> 6), b'0' + ((b >> 3) & 7), b'0' + (b & 7)]);
        }
        c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
    }
}

/// Writes `s` escaped, in at most `cap` bytes: whole when it fits, else
/// as much as fits before `…<N bytes cut>` (N: the bytes of `s` left out).
/// Below [`MARKER_MAX`], the marker alone (which may pass `cap`; `fit`
/// counts a cut value as at least that long).
fn write_cut(out: &mut Vec<u8>, s: &str, param: bool, cap: usize) {
    if cap == usize::MAX || escaped_len(s, param) <= cap {
        for c in s.chars() {
            write_escaped_char(out, c, param);
        }
        return;
    }
    let room = cap.saturating_sub(MARKER_MAX);
    let mut used = 0;
    let mut consumed = 0;
    for c in s.chars() {
        let n = escaped_char_len(c, param);
        if used + n > room {
            break;
        }
        write_escaped_char(out, c, param);
        used += n;
        consumed += c.len_utf8();
    }
    out.extend_from_slice("…<".as_bytes());
    out.extend_from_slice(itoa::Buffer::new().format(s.len() - consumed).as_bytes());
    out.extend_from_slice(b" bytes cut>");
}

/// The length of the SD-ELEMENT with the first `kept` parameters, values
/// of escaped length above `cap` cut to `cap` (at least [`MARKER_MAX`]).
/// `lens`: each parameter's name and escaped value lengths.
fn sd_len(lens: &[(usize, usize)], kept: usize, cap: usize) -> usize {
    let params: usize = lens[..kept]
        .iter()
        .map(|&(name, value)| {
            let value = if value <= cap {
                value
            } else {
                cap.max(MARKER_MAX)
            };
            // ` name="value"`
            name + value + 4
        })
        .sum();
    SD_ID.len() + 2 + params
}

/// How many parameters fit in `budget` bytes, and the longest value (cap)
/// that lets them: the largest cap that fits, so that only the longest
/// values are cut; when even the names and cut markers do not fit, the
/// last parameters are left out.
fn fit(lens: &[(usize, usize)], budget: usize) -> (usize, usize) {
    for kept in (0..=lens.len()).rev() {
        if sd_len(lens, kept, usize::MAX) <= budget {
            return (kept, usize::MAX);
        }
        if sd_len(lens, kept, 0) > budget {
            continue;
        }
        let (mut lo, mut hi) = (0, lens[..kept].iter().map(|l| l.1).max().unwrap_or(0));
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if sd_len(lens, kept, mid) <= budget {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return (kept, lo);
    }
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pri_is_facility_times_eight_plus_severity() {
        let sev: Vec<u8> = [
            Level::Trace,
            Level::Debug,
            Level::Info,
            Level::Warning,
            Level::Error,
            Level::Critical,
        ]
        .into_iter()
        .map(severity)
        .collect();
        assert_eq!(sev, [7, 7, 6, 4, 3, 2]);
        assert_eq!(pri(Facility::User, Level::Info), 14);
        assert_eq!(pri(Facility::Kern, Level::Critical), 2);
        assert_eq!(pri(Facility::Local7, Level::Debug), 191);
        assert_eq!(pri(Facility::Daemon, Level::Error), 27);
        assert_eq!(pri(Facility::Authpriv, Level::Warning), 84);
    }

    fn escaped(s: &str, param: bool) -> String {
        let mut out = Vec::new();
        write_cut(&mut out, s, param, usize::MAX);
        assert_eq!(out.len(), escaped_len(s, param));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn param_values_escape_quote_backslash_bracket_and_controls() {
        assert_eq!(
            escaped("a\"b\\c]d\ne\0f\r\t\u{7f}é", true),
            r#"a\"b\\c\]d#012e#000f#015#011#177é"#
        );
        // In the message, only the controls.
        assert_eq!(escaped("a\"b\\c]d\ne\0f", false), "a\"b\\c]d#012e#000f");
        // A lone backslash at the end cannot swallow the closing quote.
        assert_eq!(escaped("x\\", true), r"x\\");
    }

    #[test]
    fn sd_names_are_kept_mapped_or_hashed() {
        assert_eq!(sd_name("user_id"), "user_id");
        assert_eq!(sd_name("http.request.method"), "http.request.method");
        assert_eq!(sd_name("a b=c]d\"é"), "a_b_c_d__");
        assert_eq!(sd_name(""), "_");
        let long = "a".repeat(40);
        let name = sd_name(&long);
        assert_eq!(name.len(), 32);
        assert!(name.starts_with(&"a".repeat(23)));
        assert_ne!(name, sd_name(&"a".repeat(41)));
        assert_eq!(sd_name(&"b".repeat(32)).len(), 32);
    }

    #[test]
    fn header_fields_are_printable_ascii() {
        assert_eq!(header_field("my app\n", 48), "my_app_");
        assert_eq!(header_field("", 48), "-");
        assert_eq!(header_field(&"x".repeat(60), 48).len(), 48);
    }

    #[test]
    fn cut_values_end_with_a_marker_and_never_split_an_escape() {
        let mut out = Vec::new();
        // 100 quotes escape to 200 bytes; a cap of 50 keeps 7 of them.
        write_cut(&mut out, &"\"".repeat(100), true, 50);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, format!("{}…<93 bytes cut>", "\\\"".repeat(7)));
        assert!(s.len() <= 50);
        let mut out = Vec::new();
        write_cut(&mut out, &"é".repeat(100), true, 60);
        let s = String::from_utf8(out).unwrap();
        assert!(s.len() <= 60 && s.ends_with("…<176 bytes cut>"), "{s}");
    }

    #[test]
    fn fit_cuts_the_longest_values_first() {
        // Names of 4 bytes; values of 10, 5000 and 3000 bytes.
        let lens = [(4, 10), (4, 5000), (4, 3000)];
        let (kept, cap) = fit(&lens, 2000);
        assert_eq!(kept, 3);
        assert!(sd_len(&lens, 3, cap) <= 2000);
        assert!(sd_len(&lens, 3, cap + 1) > 2000);
        assert!(cap > 10 && cap < 3000);
        // Too small for every name: the last parameters go.
        let many = [(30, 1); 10];
        let (kept, _) = fit(&many, SD_ID.len() + 2 + 3 * 40);
        assert_eq!(kept, 3);
    }

    mod messages {
        use super::super::*;
        use crate::callsite::internal_site;
        use crate::context::Context;
        use crate::encode::Encoder;
        use crate::record::Record;

        internal_site! {
            static SITE: Error,
            target = "app::pay",
            template = "payment failed for {user}",
            message = ["payment failed for " {0}],
            fields = ["user", "name", "a b=c", "amount"],
            message_values = 0,
        }

        fn record(user: &str, context: Context) -> Record {
            let mut b = Encoder::new();
            b.push_str(user);
            b.push_str("clash");
            b.push_str("odd key");
            b.push_u64(30);
            Record {
                callsite: &SITE,
                level: Level::Error,
                task: false,
                stamp: crate::clock::stamp(),
                context,
                data: b.into_data(),
                exc: None,
            }
        }

        fn message(f: &mut SyslogFormat, rec: &Record) -> String {
            let mut out = Vec::new();
            f.format(&Event::new(rec), &mut out);
            String::from_utf8(out).unwrap()
        }

        /// The SD-ELEMENT of a message, parsed as RFC 5424 says: its
        /// SD-ID, its params unescaped, and the rest of the message.
        fn parse_sd(sd: &str) -> (String, Vec<(String, String)>, String) {
            let sd = sd.strip_prefix('[').expect("an SD-ELEMENT");
            let (id, mut rest) = sd.split_at(sd.find([' ', ']']).unwrap());
            let mut params = Vec::new();
            while let Some(r) = rest.strip_prefix(' ') {
                let (name, r) = r.split_once("=\"").unwrap();
                let mut value = String::new();
                let mut chars = r.char_indices();
                let end = loop {
                    match chars.next().expect("a closing quote") {
                        (_, '\\') => {
                            let (_, c) = chars.next().unwrap();
                            assert!(matches!(c, '"' | '\\' | ']'), "escape of {c:?}");
                            value.push(c);
                        }
                        (i, '"') => break i,
                        (_, c) => {
                            assert!(c != ']', "a raw ] in a value");
                            value.push(c);
                        }
                    }
                };
                params.push((name.to_owned(), value));
                rest = &r[end + 1..];
            }
            let rest = rest.strip_prefix(']').expect("the end of the SD-ELEMENT");
            (id.to_owned(), params, rest.to_owned())
        }

        #[test]
        fn rfc5424_message_with_every_field_as_an_sd_param() {
            let mut f = SyslogFormat::new("my app", "host-1", 8096);
            let ctx = Context::default()
                .with_request_id("req-7")
                .with_field("tenant", "acme");
            let hostile = "a\"b\\c]d\ne\0f";
            let msg = message(&mut f, &record(hostile, ctx));
            let head: Vec<&str> = msg.splitn(7, ' ').collect();
            assert_eq!(head[0], "<11>1");
            assert_eq!(head[1].len(), "2026-04-09T10:15:30.123456Z".len());
            assert!(head[1].ends_with('Z'), "{msg}");
            assert_eq!(
                head[2..6],
                ["host-1", "my_app", &std::process::id().to_string(), "-"]
            );
            let (id, params, rest) = parse_sd(head[6]);
            assert_eq!(id, SD_ID);
            let escaped = "a\"b\\c]d#012e#000f";
            assert_eq!(rest, format!(" payment failed for {escaped}"));
            let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(
                names,
                [
                    "levelname",
                    "name",
                    "filename",
                    "lineno",
                    "funcName",
                    "request_id",
                    "tenant",
                    "user",
                    "extra.name",
                    "a_b_c",
                    "amount"
                ]
            );
            let get = |k: &str| params.iter().find(|(n, _)| n == k).unwrap().1.as_str();
            assert_eq!(get("levelname"), "ERROR");
            assert_eq!(get("name"), "app::pay");
            assert_eq!(get("request_id"), "req-7");
            assert_eq!(get("tenant"), "acme");
            assert_eq!(get("user"), escaped);
            assert_eq!(get("extra.name"), "clash");
            assert_eq!(get("a_b_c"), "odd key");
            assert_eq!(get("amount"), "30");
            assert!(!msg.bytes().any(|b| b.is_ascii_control()), "{msg:?}");
        }

        #[test]
        fn a_sampled_site_s_count_is_a_param_after_the_fields() {
            use crate::callsite::{Callsite, Metadata, Piece};
            fn function() -> &'static str {
                "app::drain::__pulselog_function"
            }
            static META: Metadata = Metadata {
                level: Level::Warning,
                target: "app",
                file: "src/drain.rs",
                line: 9,
                column: 5,
                function,
                template: "queue full",
                pieces: &[Piece::Lit("queue full")],
                fields: &["depth"],
                message_values: 0,
            };
            static SAMPLED: Callsite = Callsite::new_sampled(&META);
            let mut f = SyslogFormat::new("app", "h", 8096);
            let mut params = |skipped: u64| {
                let mut b = Encoder::new();
                b.push_u64(7);
                b.push_u64(skipped);
                let rec = Record {
                    callsite: &SAMPLED,
                    level: Level::Warning,
                    task: false,
                    stamp: crate::clock::stamp(),
                    context: Context::default().with_field("suppressed", "ctx"),
                    data: b.into_data(),
                    exc: None,
                };
                let msg = message(&mut f, &rec);
                let (_, params, _) = parse_sd(msg.splitn(7, ' ').nth(6).unwrap());
                params
                    .into_iter()
                    .filter(|(k, _)| ["depth", "suppressed"].contains(&k.as_str()))
                    .collect::<Vec<_>>()
            };
            let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
            assert_eq!(
                params(99),
                [pair("depth", "7"), pair("suppressed", "99")],
                "the count, not the context's field"
            );
            assert_eq!(
                params(0),
                [pair("suppressed", "ctx"), pair("depth", "7")],
                "no count: the context's field stays"
            );
        }

        #[test]
        fn a_replayed_event_says_so_and_a_context_field_of_that_name_gives_way() {
            let mut f = SyslogFormat::new("app", "h", 8096);
            let ctx = Context::default()
                .with_request_id("req-1")
                .with_field("replayed", "ctx");
            let replayed = |rec: &Record, f: &mut SyslogFormat| {
                let msg = message(f, rec);
                let (_, params, _) = parse_sd(msg.splitn(7, ' ').nth(6).unwrap());
                params
                    .into_iter()
                    .filter(|(k, _)| k == "replayed")
                    .map(|(_, v)| v)
                    .collect::<Vec<_>>()
            };
            let live = record("ann", ctx.clone());
            assert_eq!(replayed(&live, &mut f), ["ctx"]);
            let copy = ctx.replay_copy(&mut crate::context::CopyCache::default());
            assert_eq!(replayed(&record("ann", copy), &mut f), ["true"]);
        }

        #[test]
        fn huge_values_are_cut_and_the_message_stays_well_formed() {
            for max_len in [480, 2048, 8096] {
                let mut f = SyslogFormat::new("app", "h", max_len);
                let huge = "x]\"\\\n".repeat(1 << 18);
                let ctx = Context::default().with_field("big", huge.clone());
                let msg = message(&mut f, &record(&huge, ctx));
                assert!(msg.len() <= max_len, "{} > {max_len}", msg.len());
                let sd = msg.splitn(7, ' ').nth(6).unwrap();
                let (_, params, rest) = parse_sd(sd);
                assert!(rest.starts_with(" payment failed for x]"));
                assert!(rest.ends_with(" bytes cut>"), "{rest}");
                if max_len == 480 {
                    // Too small for every name and cut marker: the last
                    // parameters are left out, the first ones whole.
                    assert_eq!(params[0], ("levelname".to_owned(), "ERROR".to_owned()));
                    continue;
                }
                assert_eq!(params.len(), 10, "{msg}");
                let big = &params.iter().find(|(n, _)| n == "big").unwrap().1;
                assert!(big.ends_with(" bytes cut>"), "{big}");
                // The short values are whole.
                assert_eq!(params.iter().find(|(n, _)| n == "amount").unwrap().1, "30");
            }
        }

        #[test]
        fn rfc3164_message_shape() {
            let mut f = SyslogFormat::new("app", "h", 8096);
            f.use_rfc3164();
            f.facility = Facility::Local0;
            let msg = message(&mut f, &record("u", Context::default()));
            let (pri, rest) = msg.split_once('>').unwrap();
            assert_eq!(pri, "<131");
            // `Mmm dd hh:mm:ss`, the day padded with a space.
            let (time, rest) = rest.split_at(15);
            let t = time.as_bytes();
            assert!(t[..3].iter().all(u8::is_ascii_alphabetic), "{time}");
            assert!(
                t[3] == b' ' && (t[4] == b' ' || t[4].is_ascii_digit()),
                "{time}"
            );
            assert_eq!((t[6], t[9], t[12]), (b' ', b':', b':'), "{time}");
            let tag = format!(" h app[{}]: ", std::process::id());
            let sd = rest.strip_prefix(&tag).unwrap();
            let (id, params, rest) = parse_sd(sd);
            assert_eq!(id, SD_ID);
            assert_eq!(params[0], ("levelname".to_owned(), "ERROR".to_owned()));
            assert_eq!(rest, " payment failed for u");
        }
    }
}
