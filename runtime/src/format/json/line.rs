//! Writing one event as a JSON line: the call site's template with the
//! event's time, message, context, fields and error filled in.

use super::JsonFormat;
use super::escape::{escape_into, write_hex, write_str};
use super::number::write_value;
use super::site::{Hole, Layout, Part, Site};
use super::style::{EXC_INFO, ErrorKeys, Style};
use crate::encode::{Common, Value};
use crate::exc_info::ExcInfo;
use crate::format::TimeFormat;
use crate::format::common::{
    Event, IdKey, REPLAYED, SUPPRESSED, StdKey, error_report_text, for_each_context_field,
    unique_key,
};
use crate::format::spare::{Put, Spare, write_in_place};

impl JsonFormat {
    /// Appends the event's line: the common event (no context, no count of
    /// skipped calls, no error) in place from its call site's whole-line
    /// program, the rest by [`JsonFormat::format_general`].
    pub(crate) fn format(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let datefmt = self.datefmt.is_some();
        let Some(rt) = &mut self.rt else {
            return;
        };
        let plain = event.context().is_empty()
            && event.suppressed().is_none()
            && event.exc_info().is_none();
        if plain
            && let Some(site) = rt.sites.find(event)
            && !site.line.is_empty()
            && write_line(site, &mut rt.time, datefmt, &self.style, event, out)
        {
            return;
        }
        self.format_general(event, out);
    }

    /// Any event's line, the parts of its call site's template in turn,
    /// then what the template cannot hold: context, fields past the
    /// template's, the count of skipped calls, the error.
    #[inline(never)]
    fn format_general(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let datefmt = self.datefmt.is_some();
        let Some(rt) = &mut self.rt else {
            return;
        };
        let style = &self.style;
        let (comma, colon) = (style.comma(), style.colon());
        let (keys, iso_time) = (&self.keys, !datefmt);
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
        // times its encoded size).
        out.reserve(site.len() + 6 * event.data_len() + 64);
        let ns = event.time_ns();
        let mut values = event.cursor();
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

/// The event's whole line from its call site's [`Site::line`], written in
/// place ([`Spare`]); false if a value is missing or the line did not fit
/// the room reserved (`out` is then as it was).
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
    // Escaping makes a value at most six times its encoded size; the time,
    // the last move's excess and a duration key fit in the rest.
    let room = site.len() + 6 * event.data_len() + 128;
    write_in_place(out, room, |line| {
        for step in &site.line {
            site.put_run(line, step);
            match step.then {
                Hole::Time => time.put_in_place(event.time_ns(), line),
                // The common values inline.
                Hole::Text(slot) => {
                    line.put_text(
                        &mut values,
                        slot.into(),
                        |l, s| escape_into(l, s),
                        |l, v| {
                            Site::write_text(l, v);
                        },
                    );
                }
                Hole::Value(slot) => match values.get_common(usize::from(slot)) {
                    Common::Str(s) => {
                        line.push(b'"');
                        line.detour(|line| escape_into(line, s));
                        line.push(b'"');
                    }
                    Common::U64(n) => line.put_u64(n),
                    Common::I64(n) => line.put_i64(n),
                    Common::Other => {
                        let v = values.get(usize::from(slot))?;
                        line.detour(|line| write_value(line, v));
                    }
                },
                Hole::Elapsed(slot) => {
                    let v = values.get(usize::from(slot))?;
                    line.detour(|line| write_elapsed(line, v, style));
                }
                Hole::Key(StdKey::Asctime) if !datefmt => time.put_in_place(event.time_ns(), line),
                Hole::Key(key) => line.detour(|line| write_hole(line, key, event, time)),
                Hole::End => {}
                // OTLP/JSON's: not in a JSON line.
                Hole::Nanos | Hole::AnyValue(_) => return None,
            }
        }
        Some(())
    })
}

/// `elapsed_ms`'s value, then the style's duration key and the same
/// duration in nanoseconds. Out of line: its style's separators, loaded
/// up front, cost every line of the in-place path.
#[inline(never)]
fn write_elapsed(line: &mut Spare<'_>, v: Value<'_>, style: &Style) {
    write_value(line, v);
    if let (Some(key), Value::F64(ms)) = (style.duration, v) {
        write_duration(line, key, style.comma(), style.colon(), ms);
    }
}

/// The value of a standard key that changes per event, other than the
/// message and the ISO time (whose quotes are in the template).
#[inline(never)]
fn write_hole(out: &mut impl Put, key: StdKey, event: &Event<'_>, time: &mut TimeFormat) {
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
            None => out.put(b"null"),
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
fn write_duration(out: &mut impl Put, key: &str, comma: &[u8], colon: &[u8], ms: f64) {
    out.put(comma);
    write_str(out, key);
    out.put(colon);
    // Whole microseconds: exact in nanoseconds.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ns = (ms * 1e6).round() as u64;
    write_value(out, Value::U64(ns));
}

/// A string, or `null`.
fn write_opt_str(out: &mut impl Put, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.put(b"null"),
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
