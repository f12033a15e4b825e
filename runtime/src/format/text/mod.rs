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

mod template;

use super::common::{Event, FormatterError, IdKey, StdKey, error_report, is_hostile};
use super::time::TimeFormat;
use crate::encode::Value;
use crate::exc_info::ExcInfo;
use anstyle::{AnsiColor, Effects, Style};
use std::borrow::Cow;
use std::fmt::Write as _;
use template::{Align, Key, Segment, parse_template};

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
    /// The decision: whether lines get styles (settled at install for
    /// `Auto`).
    styled: bool,
    segments: Vec<Segment>,
    time: Option<TimeFormat>,
    scratch: String,
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
            styled: false,
            segments: Vec::new(),
            time: None,
            scratch: String::new(),
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

    /// Renders `asctime` with a strftime format (Python's `datefmt`).
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
                self.segments = segments;
                self.time = Some(time);
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
        let Some(time) = &mut self.time else {
            return;
        };
        for seg in &self.segments {
            match seg {
                Segment::Lit(s) => out.extend_from_slice(s.as_bytes()),
                Segment::Key { key, align, width } => {
                    let s = &mut self.scratch;
                    s.clear();
                    match key {
                        Key::Std(StdKey::Asctime) => {
                            let mut b = Vec::new();
                            time.write(event.time_ns(), &mut b);
                            s.push_str(&String::from_utf8_lossy(&b));
                        }
                        Key::Std(StdKey::Message) => {
                            let mut msg = String::new();
                            event.write_message(&mut msg);
                            escape_into(s, &msg);
                        }
                        Key::Std(k) => std_value(s, *k, event),
                        Key::Id(key) => {
                            if let Some(id) = id_text(event, *key) {
                                escape_into(s, &id);
                            }
                        }
                    }
                    let style = if self.styled {
                        key_style(*key, event.level())
                    } else {
                        Style::new()
                    };
                    pad(out, s, *align, *width, style);
                }
            }
        }
        if self.fields {
            let s = &mut self.scratch;
            s.clear();
            let ctx = event.context();
            for key in [IdKey::Request, IdKey::Trace, IdKey::Span] {
                let in_template = self
                    .segments
                    .iter()
                    .any(|seg| matches!(seg, Segment::Key { key: k, .. } if *k == Key::Id(key)));
                if let (Some(id), false) = (id_text(event, key), in_template) {
                    push_pair(s, key.as_str(), Value::Str(&id));
                }
            }
            let own: smallvec::SmallVec<[&str; 8]> = event.fields().map(|(k, _)| k).collect();
            ctx.for_each_field(|k, v| {
                if !own.contains(&k) {
                    push_pair(s, k, v);
                }
            });
            for (k, v) in event.fields() {
                push_pair(s, k, v);
            }
            out.extend_from_slice(s.as_bytes());
        }
        if let Some(exc) = event.exc_info() {
            let s = &mut self.scratch;
            s.clear();
            let marker = if self.styled {
                DIM.render().to_string() + CONTINUATION + &DIM.render_reset().to_string()
            } else {
                CONTINUATION.to_owned()
            };
            write_exc_info(s, exc, &marker, event.file());
            out.extend_from_slice(s.as_bytes());
        }
        out.push(b'\n');
    }
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
fn write_exc_info(s: &mut String, exc: &ExcInfo, marker: &str, file: &str) {
    error_report(exc, file, |literal, data| {
        s.push('\n');
        s.push_str(marker);
        s.push_str(literal);
        escape_into(s, data);
    });
}

/// The request id, or the trace or span id of a traced request.
fn id_text<'a>(event: &Event<'a>, key: IdKey) -> Option<Cow<'a, str>> {
    let id = event.context().id()?;
    match key {
        IdKey::Request => Some(Cow::Borrowed(id.as_str())),
        IdKey::Trace => id.trace_parent().map(|tp| tp.trace_id_hex().into()),
        IdKey::Span => id.trace_parent().map(|tp| tp.span_id_hex().into()),
    }
}

fn std_value(s: &mut String, key: StdKey, event: &Event<'_>) {
    let ns = event.time_ns();
    let _ = match key {
        StdKey::Asctime | StdKey::Message => Ok(()),
        #[allow(clippy::cast_precision_loss)]
        StdKey::Created => write!(s, "{:.6}", ns as f64 / 1e9),
        #[allow(clippy::cast_precision_loss)]
        StdKey::Msecs => write!(s, "{:.3}", (ns % 1_000_000_000) as f64 / 1e6),
        StdKey::Levelname => {
            s.push_str(event.level().as_str());
            Ok(())
        }
        StdKey::Levelno => write!(s, "{}", event.level().number()),
        StdKey::Name => {
            s.push_str(event.target());
            Ok(())
        }
        StdKey::Filename | StdKey::Pathname => {
            s.push_str(event.file());
            Ok(())
        }
        StdKey::Module => {
            s.push_str(event.target().rsplit("::").next().unwrap_or(""));
            Ok(())
        }
        StdKey::Lineno => write!(s, "{}", event.line()),
        StdKey::Colno => write!(s, "{}", event.column()),
        StdKey::FuncName => {
            s.push_str(event.function());
            Ok(())
        }
        StdKey::Process => write!(s, "{}", std::process::id()),
        // Unknown (outside a task, on a platform without thread ids): `-`.
        StdKey::Thread => match event.thread_id() {
            Some(id) => write!(s, "{id}"),
            None => write!(s, "-"),
        },
        StdKey::ThreadName => {
            escape_into(s, event.thread_name().unwrap_or("-"));
            Ok(())
        }
        StdKey::TaskName => {
            escape_into(s, event.task_name().unwrap_or("-"));
            Ok(())
        }
    };
}

/// Dims the location and the continuation marker.
const DIM: Style = Style::new().effects(Effects::DIMMED);

/// The style of a template key on a terminal: the level coloured as
/// env_logger colours it (CRITICAL, which it lacks, white on red), the
/// location dimmed, the rest plain.
fn key_style(key: Key, level: crate::level::Level) -> Style {
    use crate::level::Level;
    match key {
        Key::Std(StdKey::Levelname | StdKey::Levelno) => match level {
            Level::Trace => AnsiColor::Cyan.on_default(),
            Level::Debug => AnsiColor::Blue.on_default(),
            Level::Info => AnsiColor::Green.on_default(),
            Level::Warning => AnsiColor::Yellow.on_default(),
            Level::Error => AnsiColor::Red.on_default().effects(Effects::BOLD),
            Level::Critical => AnsiColor::BrightWhite
                .on(AnsiColor::Red)
                .effects(Effects::BOLD),
        },
        Key::Std(
            StdKey::Filename
            | StdKey::Pathname
            | StdKey::Lineno
            | StdKey::Colno
            | StdKey::FuncName
            | StdKey::Module,
        ) => DIM,
        _ => Style::new(),
    }
}

/// Writes `s` padded to `width`; the style covers the text, not the
/// padding.
fn pad(out: &mut Vec<u8>, s: &str, align: Align, width: usize, style: Style) {
    use std::io::Write as _;
    let len = s.chars().count();
    let fill = width.saturating_sub(len);
    let (before, after) = match align {
        Align::Left => (0, fill),
        Align::Right => (fill, 0),
        Align::Center => (fill / 2, fill - fill / 2),
    };
    out.extend(std::iter::repeat_n(b' ', before));
    let _ = write!(out, "{}", style.render());
    out.extend_from_slice(s.as_bytes());
    let _ = write!(out, "{}", style.render_reset());
    out.extend(std::iter::repeat_n(b' ', after));
}

fn push_pair(s: &mut String, key: &str, value: Value<'_>) {
    s.push(' ');
    if needs_quotes(key) {
        push_quoted(s, key);
    } else {
        s.push_str(key);
    }
    s.push('=');
    push_logfmt_value(s, value);
}

fn push_logfmt_value(s: &mut String, value: Value<'_>) {
    match value {
        Value::Str(v) => {
            if needs_quotes(v) {
                push_quoted(s, v);
            } else {
                s.push_str(v);
            }
        }
        Value::Char(c) => push_logfmt_value(s, Value::Str(c.encode_utf8(&mut [0; 4]))),
        Value::Null => s.push_str("null"),
        other => {
            let _ = write!(s, "{other}");
        }
    }
}

fn needs_quotes(v: &str) -> bool {
    v.is_empty()
        || v.chars().any(|c| {
            c == ' ' || c == '"' || c == '=' || c == '\\' || c.is_control() || is_hostile(c)
        })
}

fn push_quoted(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c => push_char_escaped(s, c),
        }
    }
    s.push('"');
}

/// Appends `v`, escaping characters that could break the line or drive a
/// terminal.
pub(crate) fn escape_into(s: &mut String, v: &str) {
    if !v.chars().any(|c| c.is_control() || is_hostile(c)) {
        s.push_str(v);
        return;
    }
    for c in v.chars() {
        push_char_escaped(s, c);
    }
}

fn push_char_escaped(s: &mut String, c: char) {
    match c {
        '\n' => s.push_str("\\n"),
        '\r' => s.push_str("\\r"),
        '\t' => s.push_str("\\t"),
        c if c.is_control() || is_hostile(c) => {
            let _ = write!(s, "\\u{{{:x}}}", c as u32);
        }
        c => s.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_one_line() {
        let mut s = String::new();
        escape_into(&mut s, "a\nb\r\u{1b}[2J\u{202e}\tc\u{85}");
        assert_eq!(s, "a\\nb\\r\\u{1b}[2J\\u{202e}\\tc\\u{85}");
        let mut s = String::new();
        push_pair(&mut s, "k", Value::Str("two words \"q\"\nx"));
        assert_eq!(s, r#" k="two words \"q\"\nx""#);
        let mut s = String::new();
        push_pair(&mut s, "n", Value::F64(1.5));
        push_pair(&mut s, "e", Value::Str(""));
        assert_eq!(s, r#" n=1.5 e="""#);
    }
}
