//! Writing one event as a JSON line: the call site's template with the
//! event's time, message, context, fields and error filled in.

use super::escape::{write_hex, write_str};
use super::number::write_value;
use super::site::{Layout, Part, Site};
use super::{CLASH_PREFIX, EXC_INFO, IdKey, JsonFormat, StdKey, Style};
use crate::exc_info::ExcInfo;
use crate::format::Event;
use crate::value::Value;

impl JsonFormat {
    pub(crate) fn format(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let Some(rt) = &mut self.rt else {
            return;
        };
        let style = self.style;
        let (comma, colon) = (style.comma(), style.colon());
        let layout = Layout {
            keys: &self.keys,
            prefixes: &rt.prefixes,
            statics: &rt.statics,
            taken: &rt.taken,
            iso_time: self.datefmt.is_none(),
            style,
        };
        let site = rt.sites.get(event, |event| Site::render(event, &layout));
        // Room for the line in one go (escaping makes a value at most six
        // times its encoded size); the copies below then never reallocate.
        out.reserve(site.len() + 6 * event.data_len() + 64);
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
                StdKey::Message => site.write_message(out, &mut values),
                StdKey::Thread => match event.thread_id() {
                    Some(id) => write_value(out, Value::U64(id)),
                    None => out.extend_from_slice(b"null"),
                },
                StdKey::ThreadName => write_opt_str(out, event.thread_name()),
                StdKey::TaskName => write_opt_str(out, event.task_name()),
                // Rendered into the call site's static parts.
                _ => {}
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
            ctx.for_each_field(|key, value| {
                if own.contains(&key) {
                    return;
                }
                sep(out, &mut first);
                write_context_key(out, key, &rt.taken, own, colon);
                write_value(out, value);
            });
        }
        let first_field = event.first_field_slot();
        for i in 0..own.len() {
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
        }
        if let Some(exc) = event.exc_info() {
            sep(out, &mut first);
            match style {
                Style::Python => {
                    write_str(out, EXC_INFO);
                    out.extend_from_slice(colon);
                    write_exc_info(out, exc, event.file());
                }
                Style::Ecs => crate::format::ecs::write_error(out, exc, event.file()),
            }
        }
        if first {
            out.push(b'{');
        }
        out.extend_from_slice(b"}\n");
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

/// `"key": ` for a call site's own field, prefixed when the line has a key
/// of that name already. (A key written at compile time as a prefixed key,
/// such as a `#[logged(args)]` argument `name`, `extra.name`, stays.)
pub(super) fn write_key(out: &mut Vec<u8>, key: &str, taken: &[String], colon: &[u8]) {
    if taken.iter().any(|t| t == key) {
        write_prefixed(out, key);
    } else {
        write_str(out, key);
    }
    out.extend_from_slice(colon);
}

/// `"key": ` for a context field, whose key arrives at run time: prefixed
/// when the line has a key of that name already, or when the key is the
/// prefixed form of such a key (`extra.message` when `message` is taken,
/// and so on down), so that it never meets another context field that was
/// prefixed; and prefixed again while that meets one of the event's own
/// fields (`own`, which context fields of the same name give way to).
pub(super) fn write_context_key(
    out: &mut Vec<u8>,
    key: &str,
    taken: &[String],
    own: &[&str],
    colon: &[u8],
) {
    fn clashes(key: &str, taken: &[String]) -> bool {
        taken.iter().any(|t| t == key)
            || key
                .strip_prefix(CLASH_PREFIX)
                .is_some_and(|rest| clashes(rest, taken))
    }
    if clashes(key, taken) {
        let mut k = format!("{CLASH_PREFIX}{key}");
        while own.contains(&k.as_str()) {
            k.insert_str(0, CLASH_PREFIX);
        }
        write_str(out, &k);
    } else {
        write_str(out, key);
    }
    out.extend_from_slice(colon);
}

/// `key` as a JSON string behind the clash prefix.
fn write_prefixed(out: &mut Vec<u8>, key: &str) {
    let mut k = String::with_capacity(CLASH_PREFIX.len() + key.len());
    k.push_str(CLASH_PREFIX);
    k.push_str(key);
    write_str(out, &k);
}
