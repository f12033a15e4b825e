//! OTLP/JSON lines: each event as one `{"resourceLogs":[…]}` object, the
//! shape the OpenTelemetry Collector's file exporter writes and its
//! `otlpjsonfile` receiver reads (the protobuf JSON mapping of
//! `ExportLogsServiceRequest`):
//!
//! ```text
//! {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},
//!  "scopeLogs":[{"scope":{"name":"shop::pay"},"logRecords":[{"timeUnixNano":"1775729730123456789",
//!  "observedTimeUnixNano":"1775729730123456789","severityNumber":17,"severityText":"ERROR",
//!  "body":{"stringValue":"Payment failed"},"attributes":[
//!  {"key":"code.file.path","value":{"stringValue":"src/pay.rs"}},
//!  {"key":"code.line.number","value":{"intValue":"42"}},
//!  {"key":"code.function.name","value":{"stringValue":"charge"}},
//!  {"key":"request_id","value":{"stringValue":"…"}},
//!  {"key":"user_id","value":{"intValue":"99"}}],
//!  "traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","flags":1}]}]}]}
//! ```
//!
//! The logger name is the instrumentation scope. Integers are `intValue`
//! (as strings, the mapping of a 64-bit integer); one that does not fit in
//! an `i64` is written as a `stringValue` with its digits, a float that is
//! not finite as `NaN`, `Infinity` or `-Infinity` in a `stringValue`; `None`
//! is an empty value. An error is `exception.type`, `exception.message` and
//! `exception.stacktrace`. Like the JSON writer, it renders what never
//! changes for a call site once and keeps it.

use super::common::{
    Event, REPLAYED, SUPPRESSED, StdKey, error_report_text, field_keys, for_each_context_field,
};
use super::json::site::{Hole, Part, Site, SiteCache, Step};
use super::json::{escape_into, write_hex, write_str, write_value};
use super::resource::Resource;
use super::spare::{DIGITS2, LineBuilder, Put, Spare, slot, write_in_place};
use crate::callsite::Piece;
use crate::encode::{Common, Cursor, Value};
use crate::level::Level;
use std::borrow::Cow;

/// The attribute keys every line may hold besides the fields: a field with
/// one of these names is prefixed with [`CLASH_PREFIX`](super::common::CLASH_PREFIX).
pub(crate) const OWN_KEYS: [&str; 7] = [
    "code.file.path",
    "code.line.number",
    "code.function.name",
    "request_id",
    "exception.type",
    "exception.message",
    "exception.stacktrace",
];

/// The OTLP/JSON formatter.
#[derive(Debug, Clone)]
pub(crate) struct OtelFormat {
    /// `{"resourceLogs":[{"resource":{…},"scopeLogs":[{"scope":{"name":`,
    /// rendered once.
    head: Vec<u8>,
    sites: SiteCache,
    nanos: Nanos,
}

/// OpenTelemetry's severity number of a level.
pub(crate) fn severity_number(level: Level) -> u8 {
    match level {
        Level::Trace => 1,
        Level::Debug => 5,
        Level::Info => 9,
        Level::Warning => 13,
        Level::Error => 17,
        Level::Critical => 21,
    }
}

impl OtelFormat {
    /// Lines whose resource has `resource`'s attributes (and a
    /// `service.name`, `unknown_service:<executable>` when none was set).
    pub(crate) fn new(resource: &Resource) -> OtelFormat {
        let mut head = b"{\"resourceLogs\":[{\"resource\":{\"attributes\":[".to_vec();
        for (i, (key, value)) in resource.with_default_service().attributes().enumerate() {
            if i > 0 {
                head.push(b',');
            }
            attribute_key(&mut head, key);
            write_any_value(&mut head, Value::Str(value));
            head.push(b'}');
        }
        head.extend_from_slice(b"]},\"scopeLogs\":[{\"scope\":{\"name\":");
        OtelFormat {
            head,
            sites: SiteCache::default(),
            nanos: Nanos::default(),
        }
    }

    /// The template of a call site: everything up to the event's own
    /// attributes, with holes for the time and the message.
    fn render(head: &[u8], event: &Event<'_>) -> Site {
        let mut b = head.to_vec();
        let mut parts = Vec::new();
        write_str(&mut b, event.target());
        b.extend_from_slice(b"},\"logRecords\":[{\"timeUnixNano\":\"");
        parts.push(Part::Static(0..b.len()));
        parts.push(Part::Value(StdKey::Created));
        let mut run = b.len();
        b.extend_from_slice(b"\",\"observedTimeUnixNano\":\"");
        parts.push(Part::Static(run..b.len()));
        parts.push(Part::Value(StdKey::Created));
        run = b.len();
        b.extend_from_slice(b"\",\"severityNumber\":");
        b.extend_from_slice(
            itoa::Buffer::new()
                .format(severity_number(event.level()))
                .as_bytes(),
        );
        b.extend_from_slice(b",\"severityText\":");
        write_str(&mut b, event.level().as_str());
        b.extend_from_slice(b",\"body\":{\"stringValue\":");
        if !Site::literal_message(&mut b, event) {
            parts.push(Part::Static(run..b.len()));
            parts.push(Part::Value(StdKey::Message));
            run = b.len();
        }
        b.extend_from_slice(b"},\"attributes\":[");
        attribute_key(&mut b, OWN_KEYS[0]);
        write_any_value(&mut b, Value::Str(event.file()));
        b.extend_from_slice(b"},");
        attribute_key(&mut b, OWN_KEYS[1]);
        write_any_value(&mut b, Value::U64(event.line().into()));
        b.extend_from_slice(b"},");
        attribute_key(&mut b, OWN_KEYS[2]);
        write_any_value(&mut b, Value::Str(event.function()));
        b.push(b'}');
        parts.push(Part::Static(run..b.len()));
        let own_keys = field_keys(event, |k| OWN_KEYS.contains(&k));
        let keys = own_keys
            .iter()
            .map(|key| {
                let start = b.len();
                b.push(b',');
                attribute_key(&mut b, key);
                start..b.len()
            })
            .collect();
        Site::with_line(b, parts, keys, own_keys, event, |b, own_keys| {
            OtelFormat::render_line(b, head, event, own_keys)
        })
    }

    /// The whole line of the common event ([`Site::line`]), its bytes
    /// appended to the template `b`: the bytes [`OtelFormat::render`]'s
    /// parts and keys hold, between the holes of the times, the
    /// message's values and the fields' values.
    fn render_line(
        b: &mut Vec<u8>,
        head: &[u8],
        event: &Event<'_>,
        own_keys: &[String],
    ) -> Vec<Step> {
        let mut line = LineBuilder::new(b, Hole::End);
        line.b.extend_from_slice(head);
        write_str(line.b, event.target());
        line.b
            .extend_from_slice(b"},\"logRecords\":[{\"timeUnixNano\":\"");
        line.hole(Hole::Nanos);
        line.b.extend_from_slice(b"\",\"observedTimeUnixNano\":\"");
        line.hole(Hole::Nanos);
        line.b.extend_from_slice(b"\",\"severityNumber\":");
        line.b.extend_from_slice(
            itoa::Buffer::new()
                .format(severity_number(event.level()))
                .as_bytes(),
        );
        line.b.extend_from_slice(b",\"severityText\":");
        write_str(line.b, event.level().as_str());
        line.b.extend_from_slice(b",\"body\":{\"stringValue\":\"");
        for piece in event.pieces() {
            match *piece {
                Piece::Lit(text) => escape_into(line.b, text),
                Piece::Value(i) => line.hole(Hole::Text(i)),
            }
        }
        line.b.extend_from_slice(b"\"},\"attributes\":[");
        attribute_key(line.b, OWN_KEYS[0]);
        write_any_value(line.b, Value::Str(event.file()));
        line.b.extend_from_slice(b"},");
        attribute_key(line.b, OWN_KEYS[1]);
        write_any_value(line.b, Value::U64(event.line().into()));
        line.b.extend_from_slice(b"},");
        attribute_key(line.b, OWN_KEYS[2]);
        write_any_value(line.b, Value::Str(event.function()));
        line.b.push(b'}');
        let first = event.first_field_slot();
        for (i, key) in own_keys.iter().enumerate() {
            line.b.push(b',');
            attribute_key(line.b, key);
            line.hole(Hole::AnyValue(slot(first + i)));
            line.b.push(b'}');
        }
        line.b.extend_from_slice(b"]}]}]}]}\n");
        line.finish()
    }

    pub(crate) fn format(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        let head = &self.head;
        let plain = event.context().is_empty()
            && event.suppressed().is_none()
            && !event.replayed()
            && event.exc_info().is_none();
        if plain
            && let Some(site) = self.sites.find(event)
            && write_plain(site, &mut self.nanos, event, out)
        {
            return;
        }
        let site = self
            .sites
            .get(event, |event| OtelFormat::render(head, event));
        out.reserve(site.len() + 12 * event.data_len() + 64);
        let mut values = event.cursor();
        let mut ns = itoa::Buffer::new();
        let ns = ns.format(event.time_ns());
        for part in &site.parts {
            match part {
                Part::Static(r) => site.put(out, r),
                Part::Value(StdKey::Message) => site.write_message(out, &mut values),
                Part::Value(_) => out.extend_from_slice(ns.as_bytes()),
            }
        }
        let ctx = event.context();
        let id = ctx.id();
        if let Some(id) = id {
            out.push(b',');
            attribute_key(out, OWN_KEYS[3]);
            write_any_value(out, Value::Str(id.as_str()));
            out.push(b'}');
        }
        if !ctx.is_empty() {
            let taken = |k: &str| OWN_KEYS.contains(&k);
            for_each_context_field(event, &site.own_keys, taken, |key, value| {
                out.push(b',');
                attribute_key(out, key);
                write_any_value(out, value);
                out.push(b'}');
            });
        }
        let first_field = event.first_field_slot();
        for (i, key) in site.keys.iter().enumerate() {
            let Some(value) = values.get(first_field + i) else {
                break;
            };
            site.put(out, key);
            write_any_value(out, value);
            out.push(b'}');
        }
        if let Some(n) = event.suppressed() {
            out.push(b',');
            attribute_key(out, SUPPRESSED);
            write_any_value(out, Value::U64(n));
            out.push(b'}');
        }
        if event.replayed() {
            out.push(b',');
            attribute_key(out, REPLAYED);
            write_any_value(out, Value::Bool(true));
            out.push(b'}');
        }
        if let Some(exc) = event.exc_info() {
            let report = error_report_text(exc, event.file());
            for (key, value) in OWN_KEYS[4..]
                .iter()
                .zip([exc.type_name(), exc.message(), &report])
            {
                out.push(b',');
                attribute_key(out, key);
                write_any_value(out, Value::Str(value));
                out.push(b'}');
            }
        }
        out.push(b']');
        if let Some(tp) = id.and_then(|id| id.trace_parent()) {
            out.extend_from_slice(b",\"traceId\":");
            write_hex(out, &tp.trace_id());
            out.extend_from_slice(b",\"spanId\":");
            write_hex(out, &tp.span_id());
            out.extend_from_slice(b",\"flags\":");
            out.extend_from_slice(itoa::Buffer::new().format(tp.flags()).as_bytes());
        }
        out.extend_from_slice(b"}]}]}]}\n");
    }
}

/// The line of an event with no context, count, replay mark or error,
/// written in place ([`Spare`](super::spare::Spare)) from its call site's
/// [`Site::line`]; false (and `out` as it was) if the site has none, a
/// value is missing, or the line did not fit the room reserved.
fn write_plain(site: &Site, nanos: &mut Nanos, event: &Event<'_>, out: &mut Vec<u8>) -> bool {
    if site.line.is_empty() {
        return false;
    }
    let mut values = event.cursor();
    // The line's two times, `timeUnixNano` and `observedTimeUnixNano`.
    let Some((ns, ns_len)) = nanos.digits(event.time_ns()) else {
        return false;
    };
    // An `AnyValue` wraps a value in at most 17 bytes, escaping makes it
    // at most six times its encoded size.
    let room = site.len() + 12 * event.data_len() + 128;
    write_in_place(out, room, |line| {
        for step in &site.line {
            site.put_run(line, step);
            match step.then {
                Hole::Nanos => line.put_array(&ns, ns_len),
                Hole::Text(slot) => line.put_text(
                    &mut values,
                    slot.into(),
                    |l, s| escape_into(l, s),
                    |l, v| Site::write_text(l, v),
                ),
                Hole::AnyValue(slot) => put_any_value(line, &mut values, slot.into())?,
                Hole::End => {}
                // The JSON format's: not in an OTLP/JSON line.
                Hole::Time | Hole::Key(_) | Hole::Value(_) | Hole::Elapsed(_) => return None,
            }
        }
        Some(())
    })
}

/// Value `slot` of `values` as [`write_any_value`] writes it, the common
/// kinds inline; `None` if there is no such value.
#[inline(always)]
fn put_any_value(line: &mut Spare<'_>, values: &mut Cursor<'_>, slot: usize) -> Option<()> {
    let int = match values.get_common(slot) {
        Common::Str(s) => {
            line.put_array(b"{\"stringValue\":\"", 16);
            line.detour(|line| escape_into(line, s));
            line.put_array(b"\"}", 2);
            return Some(());
        }
        Common::I64(n) => n,
        Common::U64(n) => match i64::try_from(n) {
            Ok(n) => n,
            // Its digits as a string, as `any_value` says.
            Err(_) => {
                line.detour(|line| write_any_value(line, Value::U64(n)));
                return Some(());
            }
        },
        Common::Other => {
            let value = values.get(slot)?;
            line.detour(|line| write_any_value(line, value));
            return Some(());
        }
    };
    line.put_array(b"{\"intValue\":\"", 13);
    line.put_i64(int);
    line.put_array(b"\"}", 2);
    Some(())
}

/// The decimal digits of times in nanoseconds, those of the second
/// rendered once a second: a time's 19 digits took some 100 instructions a
/// line, its nine past the second take a quarter of that.
#[derive(Debug, Clone, Default)]
struct Nanos {
    /// The second whose digits start `digits` (0: none yet).
    second: u64,
    digits: [u8; 32],
    /// How many digits the second has.
    len: usize,
}

impl Nanos {
    /// The digits of `ns` and their count (`None` for a time within the
    /// first second of 1970, whose digits are not the second's and nine
    /// more).
    #[inline(always)]
    fn digits(&mut self, ns: u64) -> Option<([u8; 32], usize)> {
        let second = ns / 1_000_000_000;
        if second != self.second {
            if second == 0 {
                return None;
            }
            self.new_second(second);
        }
        #[allow(clippy::cast_possible_truncation)]
        let frac = (ns - second * 1_000_000_000) as usize;
        let (high, low) = (frac / 100_000, frac % 100_000);
        let mut digits = self.digits;
        let at = self.len;
        let d = digits.get_mut(at..at + 9)?;
        d[..2].copy_from_slice(&DIGITS2[high / 100]);
        d[2..4].copy_from_slice(&DIGITS2[high % 100]);
        #[allow(clippy::cast_possible_truncation)]
        let ten_thousands = (low / 10_000) as u8;
        d[4] = b'0' + ten_thousands;
        d[5..7].copy_from_slice(&DIGITS2[low % 10_000 / 100]);
        d[7..9].copy_from_slice(&DIGITS2[low % 100]);
        Some((digits, at + 9))
    }

    #[cold]
    #[inline(never)]
    fn new_second(&mut self, second: u64) {
        let mut buf = itoa::Buffer::new();
        let text = buf.format(second).as_bytes();
        self.digits[..text.len()].copy_from_slice(text);
        self.len = text.len();
        self.second = second;
    }
}

/// `{"key":"…","value":` for one of the line's own attributes.
fn attribute_key(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b"{\"key\":");
    write_str(out, key);
    out.extend_from_slice(b",\"value\":");
}

/// A value as an OTLP `AnyValue` holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AnyValue<'a> {
    Int(i64),
    Double(f64),
    Bool(bool),
    Text(Cow<'a, str>),
    /// `None`: a value with nothing set.
    Empty,
}

/// How a value is written as an `AnyValue`: an integer that does not fit
/// in an `i64` as its digits, a float that is not finite by protobuf's
/// JSON name for it.
pub(crate) fn any_value(v: Value<'_>) -> AnyValue<'_> {
    let wide = |v: Value<'_>| AnyValue::Text(Cow::Owned(v.to_string()));
    match v {
        Value::I64(n) => AnyValue::Int(n),
        Value::U64(n) => i64::try_from(n).map_or_else(|_| wide(v), AnyValue::Int),
        Value::I128(n) => i64::try_from(n).map_or_else(|_| wide(v), AnyValue::Int),
        Value::U128(n) => i64::try_from(n).map_or_else(|_| wide(v), AnyValue::Int),
        // Widened through its shortest text, so that `0.1f32` stays 0.1.
        Value::F32(f) => double(f.to_string().parse().unwrap_or(f.into())),
        Value::F64(f) => double(f),
        Value::Bool(b) => AnyValue::Bool(b),
        Value::Char(c) => AnyValue::Text(Cow::Owned(c.to_string())),
        Value::Str(s) => AnyValue::Text(Cow::Borrowed(s)),
        Value::Null => AnyValue::Empty,
    }
}

fn double(f: f64) -> AnyValue<'static> {
    if f.is_finite() {
        AnyValue::Double(f)
    } else if f.is_nan() {
        AnyValue::Text(Cow::Borrowed("NaN"))
    } else if f > 0.0 {
        AnyValue::Text(Cow::Borrowed("Infinity"))
    } else {
        AnyValue::Text(Cow::Borrowed("-Infinity"))
    }
}

/// A value as an OTLP `AnyValue`, in the protobuf JSON mapping.
fn write_any_value(out: &mut impl Put, v: Value<'_>) {
    match any_value(v) {
        AnyValue::Int(n) => {
            out.put(b"{\"intValue\":\"");
            out.put(itoa::Buffer::new().format(n).as_bytes());
            out.put(b"\"}");
        }
        AnyValue::Double(f) => {
            out.put(b"{\"doubleValue\":");
            write_value(out, Value::F64(f));
            out.put_byte(b'}');
        }
        AnyValue::Bool(true) => out.put(b"{\"boolValue\":true}"),
        AnyValue::Bool(false) => out.put(b"{\"boolValue\":false}"),
        AnyValue::Text(s) => {
            out.put(b"{\"stringValue\":");
            write_str(out, &s);
            out.put_byte(b'}');
        }
        AnyValue::Empty => out.put(b"{}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callsite::internal_site;
    use crate::context::Context;
    use crate::encode::Encoder;
    use crate::level::Level;
    use crate::origin::Origin;
    use crate::record::Record;
    use crate::value::Encode;

    internal_site! {
        static SITE: Info,
        target = "app::billing",
        template = "request {i} \"failed\"",
        message = ["request " {0} " \"failed\""],
        fields = ["user_id", "gateway", "big", "ratio", "code.line.number"],
        message_values = 1,
    }

    #[test]
    fn nanos_are_their_digits() {
        let mut nanos = Nanos::default();
        for ns in [
            1_000_000_000,
            1_775_729_730_000_000_000,
            1_775_729_730_000_000_001,
            1_775_729_730_000_100_000,
            1_775_729_730_123_456_789,
            1_775_729_730_999_999_999,
            1_775_729_731_000_000_009,
            1_775_729_730_500_000_000,
            u64::MAX,
            1_999_999_999,
        ] {
            let (digits, len) = nanos.digits(ns).expect("past 1970's first second");
            assert_eq!(std::str::from_utf8(&digits[..len]).unwrap(), ns.to_string());
        }
        assert!(nanos.digits(999_999_999).is_none());
    }

    /// The common event's line is written in place, and is the line the
    /// general path writes (which wrote the site's first).
    #[test]
    fn the_common_event_is_written_in_place_as_the_general_path_writes_it() {
        let mut e = Encoder::new();
        7_u64.encode(&mut e);
        (-99_i64).encode(&mut e);
        "str\"ipe\n".encode(&mut e);
        u64::MAX.encode(&mut e);
        0.5_f64.encode(&mut e);
        "clash".encode(&mut e);
        let rec = Record {
            callsite: &SITE,
            level: Level::Info,
            task: false,
            stamp: 0,
            context: Context::default(),
            data: e.into_data(),
            exc: None,
        };
        let origin = Origin::default();
        let event = Event::from_thread(&rec, &origin);
        let mut format = OtelFormat::new(&Resource::default());
        let mut general = Vec::new();
        format.format(&event, &mut general);
        let site = format.sites.find(&event).expect("the site's template");
        assert!(!site.line.is_empty());
        let mut line = b"kept|".to_vec();
        assert!(write_plain(site, &mut Nanos::default(), &event, &mut line));
        assert_eq!(
            String::from_utf8(line).unwrap(),
            format!("kept|{}", String::from_utf8(general).unwrap())
        );
    }
}
