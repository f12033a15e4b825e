//! The per-call-site line template.

use super::escape::{Escaped, escape_into, write_str};
use super::number::write_value;
use super::style::Style;
use crate::callsite::Piece;
use crate::encode::{Cursor, Value};
use crate::format::common::put_padded;
use crate::format::common::{Event, SITE_SLOTS, StdKey, field_keys, site_serves, site_slot};
use crate::format::spare::{LineBuilder, Put, Spare, slot};
use crate::level::Level;
use std::fmt::Write as _;
use std::ops::Range;

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
///
/// The OTLP/JSON format (`otel`) keeps its templates here too, rendered its
/// own way.
#[derive(Debug, Clone)]
pub(in crate::format) struct SiteCache {
    slots: Vec<Option<Site>>,
}

#[derive(Debug, Clone)]
pub(in crate::format) struct Site {
    callsite: usize,
    level: Level,
    bytes: Vec<u8>,
    /// The line up to the event's own fields, in output order: static
    /// bytes between the holes of what changes per event.
    pub(in crate::format) parts: Vec<Part>,
    /// `, "key": ` (or what the format puts before a value) of each event
    /// field.
    pub(in crate::format) keys: Vec<Range<usize>>,
    /// Those keys as written (prefixed where they clash), which context
    /// fields must not repeat.
    pub(in crate::format) own_keys: Vec<String>,
    /// The message template, its literal text escaped.
    message: Vec<MessagePiece>,
    /// The whole line of an event with no context, no count of skipped
    /// calls and no error, the common event (empty: none, as for the
    /// OTel format): the template's bytes between what changes per event,
    /// those of the standard keys, the message and the fields' keys
    /// merged into one run each. Walking [`Site::parts`], the message's
    /// pieces and the keys one after another, with the checks for what
    /// may come between them, took the JSON writer some 400 instructions
    /// a line.
    pub(in crate::format) line: Vec<Step>,
}

/// One step of [`Site::line`].
pub(in crate::format) type Step = crate::format::spare::Step<Hole>;

/// What follows a run of the template in a line. The slots are the
/// record's, in the order the line reads them.
#[derive(Debug, Clone, Copy)]
pub(in crate::format) enum Hole {
    /// The ISO time (its quotes are in the template).
    Time,
    /// Another standard key's value that changes per event.
    Key(StdKey),
    /// A value of the message, as text (escaped, within the message's
    /// quotes).
    Text(u16),
    /// A field's value, as JSON.
    Value(u16),
    /// `elapsed_ms`'s value, then the style's duration key and the same
    /// duration in nanoseconds (see [`Style::duration`]).
    Elapsed(u16),
    /// OTLP/JSON: the time in nanoseconds (its quotes are in the
    /// template).
    Nanos,
    /// OTLP/JSON: a field's value as an `AnyValue`.
    AnyValue(u16),
    /// The end of the line.
    End,
}

#[derive(Debug, Clone)]
enum MessagePiece {
    Lit(Range<usize>),
    Value(usize),
}

#[derive(Debug, Clone)]
pub(in crate::format) enum Part {
    Static(Range<usize>),
    /// A hole, named by the standard key whose value fills it: the time
    /// (`Asctime`, `Created`, `Msecs`) or the message.
    Value(StdKey),
}

/// What every line of this formatter shares, from which a call site's
/// template is rendered.
pub(super) struct Layout<'a> {
    pub(super) keys: &'a [(StdKey, String)],
    /// `"key": ` per standard key, escaped once.
    pub(super) prefixes: &'a [Vec<u8>],
    pub(super) statics: &'a [u8],
    /// Keys the line owns: a run-time key equal to one is prefixed.
    pub(super) taken: &'a [String],
    pub(super) iso_time: bool,
    pub(super) style: &'a Style,
}

/// Empty: the slots are made on the first event, so that a formatter
/// built only to be checked (or never used) costs nothing for them.
impl Default for SiteCache {
    fn default() -> Self {
        SiteCache { slots: Vec::new() }
    }
}

impl SiteCache {
    #[cold]
    fn fill(&mut self) {
        self.slots = vec![None; SITE_SLOTS];
    }

    /// The cached template of the event's call site, if there is one (and
    /// may be used for it): no closure to build, for the common hit.
    #[inline(always)]
    pub(in crate::format) fn find(&self, event: &Event<'_>) -> Option<&Site> {
        let (_, slot) = site_slot(event);
        self.slots
            .get(slot)
            .and_then(Option::as_ref)
            .filter(|s| site_serves(s.callsite, s.level, event))
    }

    /// The template of the event's call site, rendered by `render` if it is
    /// not cached. The hit is inlined, the rest is not.
    #[inline]
    pub(in crate::format) fn get(
        &mut self,
        event: &Event<'_>,
        render: impl FnOnce(&Event<'_>) -> Site,
    ) -> &Site {
        let (addr, slot) = site_slot(event);
        let hit = self
            .slots
            .get(slot)
            .and_then(Option::as_ref)
            .is_some_and(|s| site_serves(s.callsite, s.level, event));
        if !hit {
            self.render(event, slot, addr, render);
        }
        self.slots[slot].as_ref().expect("filled above")
    }

    #[cold]
    #[inline(never)]
    fn render(
        &mut self,
        event: &Event<'_>,
        slot: usize,
        addr: usize,
        render: impl FnOnce(&Event<'_>) -> Site,
    ) {
        if self.slots.is_empty() {
            self.fill();
        }
        let mut site = render(event);
        site.callsite = addr;
        site.level = event.level();
        self.slots[slot] = Some(site);
    }
}

impl Site {
    /// A template: `bytes` with the holes in `parts`, the event fields'
    /// keys, and the message's pieces escaped after them.
    pub(in crate::format) fn new(
        mut bytes: Vec<u8>,
        parts: Vec<Part>,
        keys: Vec<Range<usize>>,
        own_keys: Vec<String>,
        event: &Event<'_>,
    ) -> Site {
        let mut parts = parts;
        parts.retain(|p| !matches!(p, Part::Static(r) if r.is_empty()));
        let message = event
            .pieces()
            .iter()
            .map(|piece| match *piece {
                Piece::Lit(text) => {
                    let start = bytes.len();
                    escape_into(&mut bytes, text);
                    MessagePiece::Lit(start..bytes.len())
                }
                Piece::Value(i) => MessagePiece::Value(usize::from(i)),
            })
            .collect();
        bytes.extend_from_slice(&[0; PAD]);
        Site {
            callsite: 0,
            level: event.level(),
            bytes,
            parts,
            keys,
            own_keys,
            message,
            line: Vec::new(),
        }
    }

    /// Appends `"` + the event's message, escaped, + `"`.
    pub(in crate::format) fn write_message(&self, out: &mut Vec<u8>, values: &mut Cursor<'_>) {
        out.push(b'"');
        for piece in &self.message {
            match piece {
                MessagePiece::Lit(r) => self.put(out, r),
                MessagePiece::Value(i) => Site::write_text(out, values.get(*i)),
            }
        }
        out.push(b'"');
    }

    /// Appends a value of the message, escaped.
    #[inline]
    pub(in crate::format) fn write_text(out: &mut impl Put, value: Option<Value<'_>>) {
        match value {
            Some(Value::Str(s)) => escape_into(out, s),
            Some(Value::I64(n)) => out.put(itoa::Buffer::new().format(n).as_bytes()),
            Some(Value::U64(n)) => out.put(itoa::Buffer::new().format(n).as_bytes()),
            Some(v) => {
                let _ = write!(&mut Escaped(out), "{v}");
            }
            None => {}
        }
    }

    /// Writes a quoted message of literal text alone (no values) into a
    /// template; false if the message has values.
    pub(in crate::format) fn literal_message(b: &mut Vec<u8>, event: &Event<'_>) -> bool {
        let pieces = event.pieces();
        if !pieces.iter().all(|p| matches!(p, Piece::Lit(_))) {
            return false;
        }
        b.push(b'"');
        for piece in pieces {
            if let Piece::Lit(text) = piece {
                escape_into(b, text);
            }
        }
        b.push(b'"');
        true
    }

    /// The JSON formatter's template for the event's call site.
    pub(super) fn render(event: &Event<'_>, layout: &Layout<'_>) -> Site {
        let Layout {
            keys,
            prefixes,
            statics,
            taken,
            iso_time,
            style,
        } = *layout;
        let mut b = Vec::new();
        let mut parts = Vec::new();
        let mut run = 0;
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
                StdKey::Message if Site::literal_message(&mut b, event) => {}
                StdKey::Asctime
                | StdKey::Created
                | StdKey::Msecs
                | StdKey::Message
                | StdKey::Thread
                | StdKey::ThreadName
                | StdKey::TaskName => {
                    parts.push(Part::Static(run..b.len()));
                    parts.push(Part::Value(*key));
                    run = b.len();
                }
                _ => Site::render_static(&mut b, *key, event, style),
            }
        }
        b.extend_from_slice(statics);
        parts.push(Part::Static(run..b.len()));
        let own_keys = field_keys(event, |k| taken.iter().any(|t| t == k));
        let keys = own_keys
            .iter()
            .map(|key| {
                let start = b.len();
                b.extend_from_slice(style.comma());
                write_str(&mut b, key);
                b.extend_from_slice(style.colon());
                start..b.len()
            })
            .collect();
        Site::with_line(b, parts, keys, own_keys, event, |b, own_keys| {
            Site::render_line(b, event, layout, own_keys)
        })
    }

    /// [`Site::new`], with the [`Site::line`] `render_line` appends to
    /// the template (given the keys as written); none for a site whose
    /// first event lacked values for some fields (none that pulselog
    /// makes), which is left to the general path.
    pub(in crate::format) fn with_line(
        mut bytes: Vec<u8>,
        parts: Vec<Part>,
        keys: Vec<Range<usize>>,
        own_keys: Vec<String>,
        event: &Event<'_>,
        render_line: impl FnOnce(&mut Vec<u8>, &[String]) -> Vec<Step>,
    ) -> Site {
        let line = if own_keys.len() == event.field_names().len() {
            render_line(&mut bytes, &own_keys)
        } else {
            Vec::new()
        };
        let mut site = Site::new(bytes, parts, keys, own_keys, event);
        site.line = line;
        site
    }

    /// The JSON formatter's [`Site::line`], its bytes appended to `b`.
    fn render_line(
        b: &mut Vec<u8>,
        event: &Event<'_>,
        layout: &Layout<'_>,
        own_keys: &[String],
    ) -> Vec<Step> {
        let Layout {
            keys,
            prefixes,
            statics,
            iso_time,
            style,
            ..
        } = *layout;
        let run = b.len();
        let mut line = LineBuilder::new(b, Hole::End);
        for ((key, _), prefix) in keys.iter().zip(prefixes) {
            line.b.extend_from_slice(prefix);
            match key {
                StdKey::Asctime if iso_time => {
                    line.b.push(b'"');
                    line.hole(Hole::Time);
                    line.b.push(b'"');
                }
                StdKey::Message => {
                    line.b.push(b'"');
                    for piece in event.pieces() {
                        match *piece {
                            Piece::Lit(text) => escape_into(line.b, text),
                            Piece::Value(i) => line.hole(Hole::Text(i)),
                        }
                    }
                    line.b.push(b'"');
                }
                StdKey::Asctime
                | StdKey::Created
                | StdKey::Msecs
                | StdKey::Thread
                | StdKey::ThreadName
                | StdKey::TaskName => line.hole(Hole::Key(*key)),
                // The same bytes as the template's parts.
                _ => Site::render_static(line.b, *key, event, style),
            }
        }
        line.b.extend_from_slice(statics);
        let mut empty = line.b.len() == run;
        let first = event.first_field_slot();
        for (i, (key, name)) in own_keys.iter().zip(event.field_names()).enumerate() {
            line.b
                .extend_from_slice(if empty { b"{" } else { style.comma() });
            empty = false;
            write_str(line.b, key);
            line.b.extend_from_slice(style.colon());
            let slot = slot(first + i);
            line.hole(match (style.duration, *name) {
                (Some(_), "elapsed_ms") => Hole::Elapsed(slot),
                _ => Hole::Value(slot),
            });
        }
        if empty {
            line.b.push(b'{');
        }
        line.b.extend_from_slice(b"}\n");
        line.finish()
    }

    /// The value of a standard key that a call site's events share.
    fn render_static(b: &mut Vec<u8>, key: StdKey, event: &Event<'_>, style: &Style) {
        let target = event.target();
        match key {
            StdKey::Levelname if style.lowercase_level => {
                write_str(b, &event.level().as_str().to_ascii_lowercase());
            }
            StdKey::Levelname => write_str(b, event.level().as_str()),
            StdKey::Levelno => write_value(b, Value::U64(event.level().number().into())),
            StdKey::Name => write_str(b, target),
            StdKey::Filename | StdKey::Pathname => write_str(b, event.file()),
            StdKey::Module => write_str(b, target.rsplit("::").next().unwrap_or(target)),
            StdKey::Lineno => write_value(b, Value::U64(event.line().into())),
            StdKey::Colno => write_value(b, Value::U64(event.column().into())),
            StdKey::FuncName => write_str(b, event.function()),
            StdKey::Process => write_value(b, Value::U64(std::process::id().into())),
            // Per event: holes of the template.
            StdKey::Asctime
            | StdKey::Created
            | StdKey::Msecs
            | StdKey::Message
            | StdKey::Thread
            | StdKey::ThreadName
            | StdKey::TaskName => {}
        }
    }

    /// Bytes of the template (the most a line copies from it).
    pub(in crate::format) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Appends the run of `step` to a line written in place.
    #[inline(always)]
    pub(in crate::format) fn put_run(&self, line: &mut Spare<'_>, step: &Step) {
        step.put_run(&self.bytes, line);
    }

    /// Appends the bytes of `r`, a range of the template.
    #[inline(always)]
    pub(in crate::format) fn put(&self, out: &mut Vec<u8>, r: &Range<usize>) {
        put_padded::<CHUNK>(out, &self.bytes, r.clone());
    }
}

/// Bytes of padding after a template's last range, so that a short range
/// can be copied as one whole [`CHUNK`].
const PAD: usize = CHUNK;
const CHUNK: usize = 32;
