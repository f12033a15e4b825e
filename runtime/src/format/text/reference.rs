//! The text formatter as it was first written, string by string and
//! character by character: the oracle the tests hold the line templates
//! and the escaping scans to, byte for byte.

use super::CONTINUATION;
use super::site::{DIM, key_style};
use super::template::{Align, Key, Segment};
use crate::encode::Value;
use crate::exc_info::ExcInfo;
use crate::format::common::{Event, IdKey, REPLAYED, SUPPRESSED, StdKey, error_report, is_hostile};
use crate::format::time::TimeFormat;
use anstyle::Style;
use std::borrow::Cow;
use std::fmt::Write as _;

pub(super) struct Reference {
    pub(super) segments: Vec<Segment>,
    pub(super) fields: bool,
    pub(super) styled: bool,
    pub(super) time: TimeFormat,
    pub(super) scratch: String,
    pub(super) program: Option<&'static str>,
}

impl Reference {
    pub(super) fn format(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let time = &mut self.time;
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
                            if crate::callsite::logged_phase(event.pieces()).is_some() {
                                msg = format!("{msg} {}", event.function());
                            }
                            escape_into(s, &msg);
                        }
                        Key::Std(k) => std_value(s, *k, event),
                        Key::Id(key) => {
                            if let Some(id) = id_text(event, *key) {
                                escape_into(s, &id);
                            }
                        }
                        Key::Origin => {
                            let own = self.program.is_some_and(|p| {
                                event.target() == p || event.target().starts_with(&format!("{p}::"))
                            });
                            if !own {
                                s.push(' ');
                                escape_into(s, event.target());
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
            let suppressed = event.suppressed();
            let mut own: smallvec::SmallVec<[&str; 8]> = event.fields().map(|(k, _)| k).collect();
            own.extend(suppressed.map(|_| SUPPRESSED));
            let replayed = event.replayed();
            own.extend(replayed.then_some(REPLAYED));
            ctx.for_each_field(|k, v| {
                if !own.contains(&k) {
                    push_pair(s, k, v);
                }
            });
            for (k, v) in event.fields() {
                push_pair(s, k, v);
            }
            if let Some(n) = suppressed {
                push_pair(s, SUPPRESSED, Value::U64(n));
            }
            if replayed {
                push_pair(s, REPLAYED, Value::Bool(true));
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
fn escape_into(s: &mut String, v: &str) {
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
