//! Writing one event as a JSON line: the call site's template with the
//! event's time, message, context, fields and error filled in.

use super::JsonFormat;
use super::escape::{escape_into, write_hex, write_str};
use super::number::write_value;
use super::site::{Hole, Layout, Part, Site};
use super::style::{EXC_INFO, ErrorKeys, Style};
use crate::encode::Value;
use crate::exc_info::ExcInfo;
use crate::format::TimeFormat;
use crate::format::common::{
    Event, IdKey, REPLAYED, SUPPRESSED, StdKey, append, error_report_text, for_each_context_field,
    unique_key,
};

impl JsonFormat {
    pub(crate) fn format(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let Some(rt) = &mut self.rt else {
            return;
        };
        let style = &self.style;
        let (comma, colon) = (style.comma(), style.colon());
        let (keys, iso_time) = (&self.keys, self.datefmt.is_none());
        let (prefixes, statics, taken) = (&rt.prefixes, &rt.statics, &rt.taken);
        let site = rt.sites.get(event, |event| {
            let layout = Layout {
                keys,
                prefixes,
                statics,
                taken,
                iso_time,
                style,
            };
            Site::render(event, &layout)
        });
        // Room for the line in one go (escaping makes a value at most six
        // times its encoded size); the copies below then never reallocate.
        out.reserve(site.len() + 6 * event.data_len() + 64);
        let plain = event.context().is_empty()
            && event.suppressed().is_none()
            && event.exc_info().is_none();
        if plain && !site.line.is_empty() {
            let start = out.len();
            if write_line(
                site,
                &mut rt.time,
                self.datefmt.is_some(),
                style,
                event,
                out,
            ) {
                return;
            }
            // A value missing: the general path writes what there is.
            out.truncate(start);
        }
        let ns = event.time_ns();
        let mut values = event.cursor();
        let datefmt = self.datefmt.is_some();
        for part in &site.parts {
            match part {
                Part::Static(r) => site.put(out, r),
                Part::Value(StdKey::Message) => site.write_message(out, &mut values),
                // Its quotes are in the template.
                Part::Value(StdKey::Asctime) if !datefmt => rt.time.write(ns, out),
                Part::Value(key) => write_hole(out, *key, event, &mut rt.time),
            }
        }
        let mut first = site.parts.is_empty();
        let sep = |out: &mut Vec<u8>, first: &mut bool| {
            out.extend_from_slice(if *first { b"{" } else { comma });
            *first = false;
        };
        let ctx = event.context();
        if let Some(id) = ctx.id() {
            sep(out, &mut first);
            out.extend_from_slice(&rt.ids[IdKey::Request as usize]);
            write_str(out, id.as_str());
            if let Some(tp) = id.trace_parent() {
                out.extend_from_slice(comma);
                out.extend_from_slice(&rt.ids[IdKey::Trace as usize]);
                write_hex(out, &tp.trace_id());
                out.extend_from_slice(comma);
                out.extend_from_slice(&rt.ids[IdKey::Span as usize]);
                write_hex(out, &tp.span_id());
            }
        }
        let own = event.field_names();
        if !ctx.is_empty() {
            let taken = |k: &str| rt.taken.iter().any(|t| t == k);
            for_each_context_field(event, &site.own_keys, taken, |key, value| {
                sep(out, &mut first);
                write_str(out, key);
                out.extend_from_slice(colon);
                write_value(out, value);
            });
        }
        let first_field = event.first_field_slot();
        for (i, name) in own.iter().enumerate() {
            let Some(value) = values.get(first_field + i) else {
                break;
            };
            // The cached key starts with its separator.
            match site.keys.get(i) {
                Some(key) if first => {
                    out.push(b'{');
                    site.put(out, &(key.start + comma.len()..key.end));
                }
                Some(key) => site.put(out, key),
                None => out.extend_from_slice(if first { b"{" } else { comma }),
            }
            first = false;
            write_value(out, value);
            if let (Some(key), "elapsed_ms", Value::F64(ms)) = (style.duration, *name, value) {
                write_duration(out, key, comma, colon, ms);
            }
        }
        if let Some(n) = event.suppressed() {
            sep(out, &mut first);
            let own_keys = &site.own_keys;
            let key = unique_key(SUPPRESSED, |k| {
                rt.taken.iter().any(|t| t == k) || own_keys.iter().any(|o| o == k)
            });
            write_str(out, &key);
            out.extend_from_slice(colon);
            write_value(out, Value::U64(n));
        }
        if event.replayed() {
            sep(out, &mut first);
            let own_keys = &site.own_keys;
            let key = unique_key(REPLAYED, |k| {
                rt.taken.iter().any(|t| t == k) || own_keys.iter().any(|o| o == k)
            });
            write_str(out, &key);
            out.extend_from_slice(colon);
            write_value(out, Value::Bool(true));
        }
        if let Some(exc) = event.exc_info() {
            sep(out, &mut first);
            match &style.error {
                ErrorKeys::Nested => {
                    write_str(out, EXC_INFO);
                    out.extend_from_slice(colon);
                    write_exc_info(out, exc, event.file());
                }
                ErrorKeys::Flat(keys) => {
                    write_flat_error(out, keys, colon, comma, exc, event.file())
                }
            }
        }
        if first {
            out.push(b'{');
        }
        out.extend_from_slice(b"}\n");
    }
}

/// The event's whole line from its call site's [`Site::line`]; false if a
/// value is missing (the caller then drops what was written).
#[inline]
fn write_line(
    site: &Site,
    time: &mut TimeFormat,
    datefmt: bool,
    style: &Style,
    event: &Event<'_>,
    out: &mut Vec<u8>,
) -> bool {
    let mut values = event.cursor();
    for step in &site.line {
        let (start, end) = step.lit;
        site.put(out, &(start as usize..end as usize));
        match step.then {
            Hole::Time => time.write(event.time_ns(), out),
            Hole::Text(slot) => Site::write_text(out, values.get(usize::from(slot))),
            // The common values inline, the rest through `write_value`.
            Hole::Value(slot) => match values.get(usize::from(slot)) {
                Some(Value::Str(s)) => {
                    out.push(b'"');
                    escape_into(out, s);
                    out.push(b'"');
                }
                Some(Value::U64(n)) => append(out, itoa::Buffer::new().format(n).as_bytes()),
                Some(Value::I64(n)) => append(out, itoa::Buffer::new().format(n).as_bytes()),
                Some(v) => write_value(out, v),
                None => return false,
            },
            Hole::Elapsed(slot) => match values.get(usize::from(slot)) {
                Some(v) => {
                    write_value(out, v);
                    if let (Some(key), Value::F64(ms)) = (style.duration, v) {
                        write_duration(out, key, style.comma(), style.colon(), ms);
                    }
                }
                None => return false,
            },
            Hole::Key(StdKey::Asctime) if !datefmt => time.write(event.time_ns(), out),
            Hole::Key(key) => write_hole(out, key, event, time),
            Hole::End => {}
        }
    }
    true
}

/// The value of a standard key that changes per event, other than the
/// message and the ISO time (whose quotes are in the template).
#[inline(never)]
fn write_hole(out: &mut Vec<u8>, key: StdKey, event: &Event<'_>, time: &mut TimeFormat) {
    let ns = event.time_ns();
    match key {
        StdKey::Asctime => {
            let mut buf = Vec::new();
            time.write(ns, &mut buf);
            write_str(out, &String::from_utf8_lossy(&buf));
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
        StdKey::Thread => match event.thread_id() {
            Some(id) => write_value(out, Value::U64(id)),
            None => out.extend_from_slice(b"null"),
        },
        StdKey::ThreadName => write_opt_str(out, event.thread_name()),
        StdKey::TaskName => write_opt_str(out, event.task_name()),
        // Rendered into the call site's template.
        _ => {}
    }
}

/// `{"type": …, "message": …, "chain": […], "backtrace": […]}`: the chain
/// from the error's own message to its root cause; `backtrace` (frames as
/// `function at file:line:column`, the call site first, runs of plumbing
/// frames as `… 9 frames in tokio …`, the lines the text format writes)
/// only when one was captured; `chain_truncated` only when the chain was
/// cut.
fn write_exc_info(out: &mut Vec<u8>, exc: &ExcInfo, file: &str) {
    out.extend_from_slice(b"{\"type\": ");
    write_str(out, exc.type_name());
    out.extend_from_slice(b", \"message\": ");
    write_str(out, exc.message());
    out.extend_from_slice(b", \"chain\": ");
    write_strings(out, exc.chain());
    if exc.chain_truncated() {
        out.extend_from_slice(b", \"chain_truncated\": true");
    }
    if let Some(lines) = exc.backtrace_lines(file) {
        out.extend_from_slice(b", \"backtrace\": ");
        write_strings(out, lines.iter().map(String::as_str));
    }
    out.push(b'}');
}

/// `"error.type": …, "error.message": …, "error.stack_trace": …` (the keys
/// are the style's): the stack trace is the error's report (chain and
/// backtrace) as plain text.
fn write_flat_error(
    out: &mut Vec<u8>,
    keys: &[&str; 3],
    colon: &[u8],
    comma: &[u8],
    exc: &ExcInfo,
    file: &str,
) {
    let report = error_report_text(exc, file);
    for (i, (key, value)) in keys
        .iter()
        .zip([exc.type_name(), exc.message(), &report])
        .enumerate()
    {
        if i > 0 {
            out.extend_from_slice(comma);
        }
        write_str(out, key);
        out.extend_from_slice(colon);
        write_str(out, value);
    }
}

/// A duration (the access line's, a `#[logged]` exit's) under the style's
/// own key, written after `elapsed_ms`: in nanoseconds.
fn write_duration(out: &mut Vec<u8>, key: &str, comma: &[u8], colon: &[u8], ms: f64) {
    out.extend_from_slice(comma);
    write_str(out, key);
    out.extend_from_slice(colon);
    // Whole microseconds: exact in nanoseconds.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ns = (ms * 1e6).round() as u64;
    write_value(out, Value::U64(ns));
}

/// A string, or `null`.
fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON array of strings.
fn write_strings<'a>(out: &mut Vec<u8>, items: impl Iterator<Item = &'a str>) {
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        write_str(out, item);
    }
    out.push(b']');
}
