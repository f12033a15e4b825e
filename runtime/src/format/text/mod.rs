//! Human-readable lines from a template.
//!
//! The default template is
//! `{asctime} | {levelname:<8} | [{filename}:{lineno}] | {message}`, followed
//! by the request id (with `trace_id` and `span_id` for a W3C trace) and
//! fields as ` key=value`. Templates take the same keys as the JSON
//! formatter (plus `request_id`, `trace_id` and `span_id`), in `{key}` /
//! `{key:<8}` syntax or Python's `%(key)s` / `%(key)-8s` syntax.
//!
//! One event is one line: control characters in anything that comes from
//! data (message, values, request id) are escaped, so no input can start a
//! fake line or send a terminal escape sequence.
//!
//! **Colour.** On a terminal the level is coloured and the location
//! (`filename`, `lineno`, `funcName`, …) dimmed, as env_logger does, with
//! the same crates (`anstyle` for the styles, `anstream` for the decision):
//! [`ColorChoice::Auto`] colours when stdout is a terminal that supports
//! it, unless `NO_COLOR` is set, `TERM=dumb`, or `CLICOLOR=0`;
//! `CLICOLOR_FORCE` colours even a pipe. The escape sequences come only from
//! the styles: data is escaped before it is written, colour or not.

mod escape;
#[cfg(test)]
mod reference;
mod site;
mod template;

use super::common::{Event, FormatterError, IdKey, REPLAYED, SUPPRESSED, StdKey, error_report};
use super::spare::{Put, write_in_place};
use super::time::TimeFormat;
use crate::context::RequestId;
use crate::encode::{Common, Value};
use crate::exc_info::ExcInfo;
use anstyle::Style;
use escape::{Raw, push_pair, write_logfmt_str, write_logfmt_value};
use site::{DIM, Hole, Part, Site, SiteCache, pad, write_message_value};
use std::fmt::Write as _;
use template::{Key, Segment, parse_template};

pub(crate) use escape::escape_into;

/// The template of [`TextFormat::compact`].
pub const COMPACT_TEMPLATE: &str = "{levelname}{origin}: {message}";

/// The default text template.
pub const DEFAULT_TEMPLATE: &str = "{asctime} | {levelname:<8} | [{filename}:{lineno}] | {message}";

/// Whether the text format colours its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and the environment does not say
    /// otherwise (`NO_COLOR`, `TERM=dumb`, `CLICOLOR=0`; `CLICOLOR_FORCE`
    /// colours a pipe too). Output to `Config::writer`
    /// is not coloured.
    #[default]
    Auto,
    /// Always colour, whatever the output and the environment.
    Always,
    /// Never colour.
    Never,
}

/// Configuration of the text formatter.
#[derive(Debug, Clone)]
pub struct TextFormat {
    template: String,
    datefmt: Option<String>,
    fields: bool,
    color: ColorChoice,
    /// The program's own module path, for `{origin}`.
    program: Option<String>,
    /// The decision: whether lines get styles (settled at install for
    /// `Auto`).
    styled: bool,
    segments: Vec<Segment>,
    /// What lines need, once built (boxed: the formatter the writer runs
    /// is an enum of the formats, kept small).
    rt: Option<Box<Runtime>>,
}

#[derive(Debug, Clone)]
struct Runtime {
    time: TimeFormat,
    /// Whether the template has the request id, the trace id, the span id
    /// (as [`IdKey`] orders them): then the fields leave it out.
    ids_in_template: [bool; 3],
    /// What starts a continuation line, styled or not.
    marker: String,
    sites: SiteCache,
}

impl Default for TextFormat {
    fn default() -> Self {
        TextFormat::new()
    }
}

impl TextFormat {
    /// The default template, fields appended.
    #[must_use]
    pub fn new() -> TextFormat {
        TextFormat {
            template: DEFAULT_TEMPLATE.to_owned(),
            datefmt: None,
            fields: true,
            color: ColorChoice::Auto,
            program: None,
            styled: false,
            segments: Vec::new(),
            rt: None,
        }
    }

    /// Uses another template: `{key}`, `{key:<8}`, `{key:>5}`, `{key:^9}`,
    /// `{{` and `}}`; or Python's `%(key)s`, `%(key)-8s`, `%(key)5d`, `%%`.
    /// The keys are [`JsonFormat::keys`](crate::format::json::JsonFormat::keys)'s, and
    /// `request_id`, `trace_id`, `span_id`; `thread`, `threadName` and
    /// `taskName` write `-` where there is none.
    #[must_use]
    pub fn template(mut self, template: &str) -> TextFormat {
        template.clone_into(&mut self.template);
        self
    }

    /// The compact line of a command-line tool, as env_logger's users know
    /// it: `WARNING: message key=value`, the level coloured on a terminal,
    /// no time, and the logger's name only for an event from outside
    /// `program` (`WARNING hyper::client: message`), the program's own
    /// crate as module paths spell it ([`this_crate!`](crate::this_crate)).
    /// The template is `{levelname}{origin}: {message}`.
    #[must_use]
    pub fn compact(program: &str) -> TextFormat {
        TextFormat::new()
            .template(COMPACT_TEMPLATE)
            .program(program)
    }

    /// The program's own crate (or module path), for the template key
    /// `{origin}`: a space and the logger's name for an event from any
    /// other module, nothing for the program's own. Without it, `{origin}`
    /// always writes the name.
    #[must_use]
    pub fn program(mut self, program: &str) -> TextFormat {
        self.program = Some(program.to_owned());
        self
    }

    /// Renders `asctime` with a strftime format (Python's `datefmt`).
    ///
    /// The time is UTC, as everywhere in pulselog's lines (Python's
    /// `logging` writes local time unless its `converter` is
    /// `time.gmtime`): `%z` is always `+0000` and `%Z` `UTC`. Names are
    /// English, as in the C locale.
    ///
    /// | Directive | Example | Meaning |
    /// |---|---|---|
    /// | `%Y` `%C` `%y` | `2026` `20` `26` | year, century, year in the century |
    /// | `%m` `%B` `%b` (`%h`) | `04` `April` `Apr` | month |
    /// | `%d` `%e` | `09` ` 9` | day of the month, zero- or space-padded |
    /// | `%j` | `099` | day of the year, 001 to 366 |
    /// | `%A` `%a` | `Thursday` `Thu` | weekday |
    /// | `%u` `%w` | `4` `4` | weekday, 1 (Monday) to 7, or 0 (Sunday) to 6 |
    /// | `%U` `%W` | `14` `14` | week of the year, weeks starting on Sunday or Monday (the days before the first are week 00) |
    /// | `%G` `%g` `%V` | `2026` `26` `15` | ISO 8601 week-numbering year and week |
    /// | `%q` | `2` | quarter |
    /// | `%H` `%k` | `10` `10` | hour, 00 to 23, zero- or space-padded |
    /// | `%I` `%l` `%p` `%P` | `10` `10` `AM` `am` | hour, 01 to 12, and AM/PM |
    /// | `%M` `%S` | `15` `30` | minute, second |
    /// | `%f` `%.f` | `12345` `.12345` | fraction of the second, trailing zeros dropped (`%.f` writes nothing for none) |
    /// | `%3f` `%.3f` | `123` `.123` | fraction of the second, exactly 1 to 9 digits, truncated (`%N` is `%9f`) |
    /// | `%s` | `1775729730` | seconds since 1970-01-01 |
    /// | `%z` `%:z` `%Z` | `+0000` `+00:00` `UTC` | the offset and zone (also `%::z` `+00:00:00`, `%:::z` `+00`) |
    /// | `%F` `%T` `%R` | `2026-04-09` `10:15:30` `10:15` | `%Y-%m-%d`, `%H:%M:%S`, `%H:%M` |
    /// | `%D` (`%x`) `%X` `%r` | `04/09/26` `10:15:30` `10:15:30 AM` | `%m/%d/%y`, `%H:%M:%S`, `%I:%M:%S %p` |
    /// | `%c` | `Thu Apr  9 10:15:30 2026` | `%a %b %e %H:%M:%S %Y` |
    /// | `%%` `%n` `%t` | `%` | a percent sign, a newline, a tab |
    ///
    /// A number directive takes a flag and a width after the `%`: `-` for
    /// no padding (`%-d`: `9`), `_` for spaces, `0` for zeros, and a width
    /// (`%5Y`: `02026`). `^` writes a name in capitals (`%^b`: `APR`).
    /// Any other directive is an error when the logger is installed
    /// ([`InitError::Formatter`](crate::InitError::Formatter)).
    ///
    /// ```
    /// use pulselog::TextFormat;
    ///
    /// let format = TextFormat::new()
    ///     .template("{asctime} {levelname} {message}")
    ///     .datefmt("%Y-%m-%d %H:%M:%S%.3f");
    /// ```
    #[must_use]
    pub fn datefmt(mut self, fmt: &str) -> TextFormat {
        self.datefmt = Some(fmt.to_owned());
        self
    }

    /// Whether to append the request id and fields as ` key=value` (default
    /// yes).
    #[must_use]
    pub fn with_fields(mut self, on: bool) -> TextFormat {
        self.fields = on;
        self
    }

    /// Whether to colour the level and dim the location (default
    /// [`ColorChoice::Auto`]: on a terminal).
    #[must_use]
    pub fn color(mut self, choice: ColorChoice) -> TextFormat {
        self.color = choice;
        self
    }

    /// Settles [`ColorChoice::Auto`]: `terminal` says whether the output is
    /// a terminal the environment lets us colour.
    pub(crate) fn resolve_color(mut self, terminal: bool) -> TextFormat {
        self.styled = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal,
        };
        self
    }

    /// Whether `stream` (stdout or stderr) may be coloured, by the
    /// ecosystem's conventions (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`,
    /// `TERM`, and whether it is a terminal).
    pub(crate) fn wants_color(stream: &impl anstream::stream::RawStream) -> bool {
        anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
    }

    pub(crate) fn build(mut self) -> Result<TextFormat, FormatterError> {
        if self.color == ColorChoice::Always {
            self.styled = true;
        }
        let segments = parse_template(&self.template);
        let time = TimeFormat::new(self.datefmt.clone());
        match (segments, time) {
            (Ok(segments), Ok(time)) => {
                let ids_in_template = IdKey::ALL.map(|id| {
                    segments
                        .iter()
                        .any(|seg| matches!(seg, Segment::Key { key: Key::Id(k), .. } if *k == id))
                });
                let marker = if self.styled {
                    format!("{}{CONTINUATION}{}", DIM.render(), DIM.render_reset())
                } else {
                    CONTINUATION.to_owned()
                };
                self.segments = segments;
                self.rt = Some(Box::new(Runtime {
                    time,
                    ids_in_template,
                    marker,
                    sites: SiteCache::new(),
                }));
                Ok(self)
            }
            (segments, time) => Err(FormatterError::new(
                "text",
                segments.err().into_iter().chain(time.err()).collect(),
            )),
        }
    }

    /// Whether the (built) template has this standard key.
    pub(crate) fn has_key(&self, key: StdKey) -> bool {
        self.segments
            .iter()
            .any(|seg| matches!(seg, Segment::Key { key: Key::Std(k), .. } if *k == key))
    }

    pub(crate) fn format(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let Some(rt) = &mut self.rt else {
            return;
        };
        let (segments, styled, program, fields) = (
            &self.segments,
            self.styled,
            self.program.as_deref(),
            self.fields,
        );
        let plain = event.context().is_empty()
            && event.suppressed().is_none()
            && !event.replayed()
            && event.exc_info().is_none();
        if plain
            && let Some(site) = rt.sites.find(event)
            && write_plain(site, &mut rt.time, event, out)
        {
            return;
        }
        let site = rt.sites.get(event, || {
            Site::render(event, segments, styled, program, fields)
        });
        // Room for the line in one go (escaping makes a value at most six
        // times its encoded size).
        out.reserve(site.len() + 6 * event.data_len() + 64);
        let ctx = event.context();
        let mut values = event.cursor();
        for part in &site.parts {
            let (key, align, width) = match part {
                Part::Static(r) => {
                    site.put(out, r);
                    continue;
                }
                Part::Hole { key, align, width } => (*key, *align, *width),
            };
            let start = out.len();
            match key {
                // A valid strftime format writes UTF-8 text that needs no
                // escaping.
                Key::Std(StdKey::Asctime) => rt.time.write(event.time_ns(), out),
                Key::Std(StdKey::Message) => site.write_message(out, &mut values),
                Key::Std(k) => event_value(out, k, event),
                Key::Id(key) => {
                    if let Some(id) = ctx.id() {
                        write_id(out, id, key, escape_into);
                    }
                }
                // Rendered with the call site's line.
                Key::Origin => {}
            }
            // No key written per event is styled.
            if width > 0 {
                pad(out, start, align, width, Style::new());
            }
        }
        if self.fields {
            if let Some(id) = ctx.id() {
                for key in IdKey::ALL {
                    if !rt.ids_in_template[key as usize] {
                        write_id(out, id, key, |out, text| {
                            out.push(b' ');
                            out.extend_from_slice(key.as_str().as_bytes());
                            out.push(b'=');
                            write_logfmt_str(out, text);
                        });
                    }
                }
            }
            let suppressed = event.suppressed();
            let replayed = event.replayed();
            if !ctx.is_empty() {
                let own = event.field_names();
                ctx.for_each_field(|k, v| {
                    let the_events = own.contains(&k)
                        || (suppressed.is_some() && k == SUPPRESSED)
                        || (replayed && k == REPLAYED);
                    if !the_events {
                        push_pair(out, k, v);
                    }
                });
            }
            let first_field = event.first_field_slot();
            for (i, key) in site.keys.iter().enumerate() {
                let Some(value) = values.get(first_field + i) else {
                    break;
                };
                site.put(out, key);
                write_logfmt_value(out, value);
            }
            if let Some(n) = suppressed {
                push_pair(out, SUPPRESSED, Value::U64(n));
            }
            if replayed {
                push_pair(out, REPLAYED, Value::Bool(true));
            }
        }
        if let Some(exc) = event.exc_info() {
            write_exc_info(out, exc, &rt.marker, event.file());
        }
        out.push(b'\n');
    }
}

/// The line of an event with no context, count, replay mark or error,
/// written in place ([`Spare`](super::spare::Spare)) from its call site's
/// [`Site::line`]; false (and `out` as it was) if the site has none, a
/// value is missing, or the line did not fit.
fn write_plain(site: &Site, time: &mut TimeFormat, event: &Event<'_>, out: &mut Vec<u8>) -> bool {
    if site.line.is_empty() {
        return false;
    }
    let mut values = event.cursor();
    let room = site.len() + 6 * event.data_len() + 128;
    write_in_place(out, room, |line| {
        for step in &site.line {
            site.put_run(line, step);
            match step.then {
                Hole::Time => time.put_in_place(event.time_ns(), line),
                Hole::Key(k) => line.detour(|line| event_value(line, k, event)),
                Hole::Text(slot) => line.put_text(
                    &mut values,
                    slot.into(),
                    |l, s| escape_into(l, s),
                    |l, v| write_message_value(l, v),
                ),
                Hole::Value(slot) => match values.get_common(slot.into()) {
                    Common::U64(n) => line.put_u64(n),
                    Common::I64(n) => line.put_i64(n),
                    Common::Str(s) => line.detour(|line| write_logfmt_str(line, s)),
                    Common::Other => {
                        let v = values.get(slot.into())?;
                        line.detour(|line| write_logfmt_value(line, v));
                    }
                },
                Hole::End => {}
            }
        }
        Some(())
    })
}

/// Starts every line of the text format that continues an event (error
/// chain, backtrace), so that it cannot be taken for the start of a new
/// event. Data in those lines is escaped like the message: a newline in an
/// error message cannot end the line and forge one.
pub const CONTINUATION: &str = "  | ";

/// The error under the event line:
///
/// ```text
/// … | config load failed path=/etc/app.toml
///   | app::ConfigError: could not load the configuration
///   |   Caused by: could not read /etc/app.toml
///   |   Caused by: No such file or directory (os error 2)
///   | Backtrace:
///   |     app::load at src/main.rs:42:9
///   |     … 9 frames in tokio, std …
///   |     app::main at src/main.rs:12:5
/// ```
fn write_exc_info(out: &mut Vec<u8>, exc: &ExcInfo, marker: &str, file: &str) {
    error_report(exc, file, |literal, data| {
        out.push(b'\n');
        out.extend_from_slice(marker.as_bytes());
        out.extend_from_slice(literal.as_bytes());
        escape_into(out, data);
    });
}

/// Calls `write` with the request id, or the trace or span id of a traced
/// request if it is one.
fn write_id(out: &mut Vec<u8>, id: &RequestId, key: IdKey, write: impl FnOnce(&mut Vec<u8>, &str)) {
    let mut hex = [0; 32];
    let text = match (key, id.trace_parent()) {
        (IdKey::Request, _) => id.as_str(),
        (IdKey::Trace, Some(tp)) => hex_str(&mut hex, &tp.trace_id()),
        (IdKey::Span, Some(tp)) => hex_str(&mut hex, &tp.span_id()),
        (IdKey::Trace | IdKey::Span, None) => return,
    };
    write(out, text);
}

/// `bytes` as lowercase hex digits, in `buf`.
fn hex_str<'b>(buf: &'b mut [u8; 32], bytes: &[u8]) -> &'b str {
    let hex = &mut buf[..2 * bytes.len()];
    crate::context::hex_encode(bytes, hex);
    std::str::from_utf8(hex).unwrap_or_default()
}

/// The text of a key that changes per event (besides the time and the
/// message).
fn event_value(out: &mut impl Put, key: StdKey, event: &Event<'_>) {
    let ns = event.time_ns();
    match key {
        #[allow(clippy::cast_precision_loss)]
        StdKey::Created => {
            let _ = write!(Raw(out), "{:.6}", ns as f64 / 1e9);
        }
        #[allow(clippy::cast_precision_loss)]
        StdKey::Msecs => {
            let _ = write!(Raw(out), "{:.3}", (ns % 1_000_000_000) as f64 / 1e6);
        }
        // Unknown (outside a task, on a platform without thread ids): `-`.
        StdKey::Thread => match event.thread_id() {
            Some(id) => out.put(itoa::Buffer::new().format(id).as_bytes()),
            None => out.put_byte(b'-'),
        },
        StdKey::ThreadName => escape_into(out, event.thread_name().unwrap_or("-")),
        StdKey::TaskName => escape_into(out, event.task_name().unwrap_or("-")),
        // In the call site's template.
        StdKey::Asctime
        | StdKey::Message
        | StdKey::Levelname
        | StdKey::Levelno
        | StdKey::Name
        | StdKey::Filename
        | StdKey::Pathname
        | StdKey::Module
        | StdKey::Lineno
        | StdKey::Colno
        | StdKey::FuncName
        | StdKey::Process => {}
    }
}

#[cfg(test)]
mod tests {
    use super::reference::Reference;
    use super::*;
    use crate::callsite::{Callsite, internal_site};
    use crate::context::{Context, RequestId};
    use crate::encode::Encoder;
    use crate::level::Level;
    use crate::origin::Origin;
    use crate::record::Record;
    use crate::value::Encode;

    internal_site! {
        static VALUES: Info,
        target = "app::billing",
        template = "request {i} failed",
        message = ["request " {0} " failed"],
        fields = ["user_id", "gateway"],
        message_values = 1,
    }

    internal_site! {
        static LITERAL: Warning,
        target = "app",
        template = "plain \u{1b}[31m and é\n",
        message = ["plain \u{1b}[31m and é\n"],
        fields = ["k"],
        message_values = 0,
    }

    internal_site! {
        static ODD_KEYS: Error,
        target = "app::deep::módulo",
        template = "{b}{a} = ✓",
        message = [{1} {0} " = ✓"],
        fields = ["a b", "q\"", "=", "", "user_id"],
        message_values = 2,
    }

    /// A `#[logged]` entry, whose text line names the function.
    static LOGGED_META: crate::callsite::Metadata = crate::callsite::Metadata {
        level: Level::Debug,
        target: "app::cart",
        file: "src/cart.rs",
        line: 9,
        column: 1,
        function: || "app::cart::lookup::{{closure}}::F",
        template: "enter",
        pieces: &crate::callsite::LOGGED_ENTER,
        fields: &["id"],
        message_values: 0,
    };
    static LOGGED: Callsite = Callsite::new(&LOGGED_META);

    /// Values of every kind, with text that needs escaping or quoting at
    /// its ends, in the middle, and beyond an eight-byte chunk.
    fn values() -> Vec<Encoder> {
        fn enc(vs: &[&dyn Fn(&mut Encoder)]) -> Encoder {
            let mut e = Encoder::new();
            for v in vs {
                v(&mut e);
            }
            e
        }
        fn v<T: Encode + Copy + 'static>(x: T) -> impl Fn(&mut Encoder) {
            move |e: &mut Encoder| x.encode(e)
        }
        let texts = [
            "",
            "stripe",
            " lead",
            "trail ",
            "a=b",
            "\"q\"",
            "back\\slash",
            "line\nbreak",
            "\u{1b}[2J",
            "é",
            "naïve café au lait",
            "bidi\u{202e}txt",
            "\u{85}",
            "✓ ok",
            "exactly8",
            "seventeen chars!!",
            "日本語",
        ];
        let mut all: Vec<Encoder> = Vec::new();
        for t in texts {
            all.push(enc(&[&v(t), &v(t), &v(t), &v(t), &v(t), &v(t), &v(t)]));
        }
        all.push(enc(&[
            &v(-12_i64),
            &v(u64::MAX),
            &v(i128::MIN),
            &v(u128::MAX),
            &v(1.5_f32),
            &v(1e300_f64),
            &v(f64::NAN),
        ]));
        all.push(enc(&[
            &v(true),
            &v('\n'),
            &v(' '),
            &v('é'),
            &v(None::<u8>),
            &v(-0.0_f64),
            &v(false),
        ]));
        all
    }

    fn contexts() -> Vec<Context> {
        let traced =
            RequestId::from_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .unwrap();
        vec![
            Context::default(),
            Context::default()
                .with_request_id("r 1\u{1b}")
                .with_field("user_id", 1)
                .with_field("tenant id", "acme corp")
                .with_field("ok", true),
            Context::default()
                .with_id(traced)
                .with_field("", "")
                .with_field("n", 2.25),
        ]
    }

    fn records() -> Vec<Record> {
        let mut recs = Vec::new();
        let sites: [&'static Callsite; 4] = [&VALUES, &LITERAL, &ODD_KEYS, &LOGGED];
        for (i, data) in values().into_iter().enumerate() {
            for (j, context) in contexts().into_iter().enumerate() {
                for (k, site) in sites.iter().enumerate() {
                    // The same site at two levels, so that a cached
                    // template is both reused and replaced.
                    let level = [Level::Info, Level::Critical, Level::Trace][(i + j + k) % 3];
                    recs.push(Record {
                        callsite: site,
                        level,
                        task: false,
                        stamp: 0,
                        context: context.clone(),
                        data: data.data().clone(),
                        exc: None,
                    });
                }
            }
        }
        // An error whose text needs escaping, and a panic, whose location
        // is its own and not the call site's.
        let err = std::io::Error::other("disk\nfull \u{1b}[2J");
        let panic: &(dyn std::any::Any + Send) = &"boom\r";
        for exc in [
            crate::exc_info::capture_error("std::io::Error", &err, false),
            crate::exc_info::capture_panic(panic, Some(std::panic::Location::caller()), false),
        ] {
            recs.push(Record {
                callsite: &VALUES,
                level: Level::Error,
                task: false,
                stamp: 0,
                context: Context::default(),
                data: values().swap_remove(3).into_data(),
                exc: Some(exc),
            });
        }
        recs
    }

    const TEMPLATES: [&str; 6] = [
        DEFAULT_TEMPLATE,
        "%(asctime)s %(created)s %(msecs)s %(levelno)5d %(levelname)-8s %(name)s %(module)s \
         %(filename)s %(pathname)s %(lineno)d %(colno)d %(funcName)s %(process)d %(thread)s \
         %(threadName)s %(taskName)s %(message)s",
        "{message:^40}|{levelname:>10}|{name:<25}|{module:^9}|{funcName:^70}|{request_id:>20}\
         |{trace_id}|{span_id:<3}|{threadName:^15}|{thread:>4}|{lineno:>6}{{}}",
        "{asctime:>30} {{{levelno:^5}}} {message:<3}",
        COMPACT_TEMPLATE,
        "{origin:>20}|{name}",
    ];

    #[test]
    fn lines_match_the_reference_formatter_byte_for_byte() {
        let origins = [
            Origin {
                thread_id: Some(7),
                thread_name: Some("wörker \u{202e}1".into()),
            },
            Origin::default(),
        ];
        let records = records();
        let (mut lines, mut in_place) = (0, 0);
        for template in TEMPLATES {
            for datefmt in [None, Some("%d/%m/%Y %H:%M:%S%.3f")] {
                for (styled, fields, program) in [
                    (false, true, None),
                    (true, true, Some("app")),
                    (false, false, Some("app::deep")),
                ] {
                    let mut format = TextFormat::new()
                        .template(template)
                        .with_fields(fields)
                        .color(if styled {
                            ColorChoice::Always
                        } else {
                            ColorChoice::Never
                        });
                    if let Some(p) = program {
                        format = format.program(p);
                    }
                    if let Some(f) = datefmt {
                        format = format.datefmt(f);
                    }
                    let mut format = format.build().unwrap();
                    let mut reference = Reference {
                        segments: format.segments.clone(),
                        fields,
                        styled,
                        time: TimeFormat::new(datefmt.map(str::to_owned)).unwrap(),
                        scratch: String::new(),
                        program,
                    };
                    // Twice over: the second pass meets cached templates.
                    for rec in records.iter().chain(&records) {
                        for origin in &origins {
                            let event = Event::from_thread(rec, origin);
                            let (mut new, mut old) = (b"x".to_vec(), b"x".to_vec());
                            format.format(&event, &mut new);
                            reference.format(&event, &mut old);
                            assert_eq!(
                                String::from_utf8(new).unwrap(),
                                String::from_utf8(old).unwrap(),
                                "{template:?} styled={styled} fields={fields}"
                            );
                            lines += 1;
                            // The common event whose site has a line
                            // program was written in place.
                            let plain = event.context().is_empty()
                                && event.exc_info().is_none()
                                && event.suppressed().is_none();
                            let Runtime { sites, time, .. } = &mut **format.rt.as_mut().unwrap();
                            if plain
                                && let Some(site) = sites.find(&event)
                                && !site.line.is_empty()
                            {
                                let mut line = Vec::new();
                                assert!(
                                    write_plain(site, time, &event, &mut line),
                                    "{template:?} fields={fields}"
                                );
                                in_place += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(lines > 1000);
        assert!(
            in_place * 10 > lines,
            "{in_place} of {lines} lines in place"
        );
    }
}
