//! The per-call-site line template.

use super::escape::{Escaped, escape_into, write_str};
use super::number::write_value;
use super::style::Style;
use crate::callsite::Piece;
use crate::encode::{Cursor, Value};
use crate::format::common::{Event, StdKey, field_keys};
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

const SITE_SLOTS: usize = 256;

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

    /// The template of the event's call site, rendered by `render` if it is
    /// not cached.
    pub(in crate::format) fn get(
        &mut self,
        event: &Event<'_>,
        render: impl FnOnce(&Event<'_>) -> Site,
    ) -> &Site {
        let addr = std::ptr::from_ref(event.callsite()) as usize;
        // Fibonacci hashing: the top bits of the product spread neighbours.
        let slot = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) % SITE_SLOTS;
        if self.slots.is_empty() {
            self.fill();
        }
        let entry = &mut self.slots[slot];
        // A panic's file, line and function are the panic's, not the call
        // site's: its template is rendered afresh (panics are rare). So is a
        // site a record owns (past the bound of run-time call sites): its
        // address may be another's once it is freed.
        if event.panic_location().is_some()
            || crate::callsite::own::is_own(event.callsite())
            || entry
                .as_ref()
                .is_none_or(|s| s.callsite != addr || s.level != event.level())
        {
            let mut site = render(event);
            site.callsite = addr;
            site.level = event.level();
            *entry = Some(site);
        }
        entry.as_ref().expect("filled above")
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
        }
    }

    /// Appends `"` + the event's message, escaped, + `"`.
    pub(in crate::format) fn write_message(&self, out: &mut Vec<u8>, values: &mut Cursor<'_>) {
        out.push(b'"');
        for piece in &self.message {
            match piece {
                MessagePiece::Lit(r) => self.put(out, r),
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
        let target = event.target();
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
                StdKey::Levelname if style.lowercase_level => {
                    write_str(&mut b, &event.level().as_str().to_ascii_lowercase());
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
        Site::new(b, parts, keys, own_keys, event)
    }

    /// Bytes of the template (the most a line copies from it).
    pub(in crate::format) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Appends the bytes of `r`, a range of the template.
    #[inline(always)]
    pub(in crate::format) fn put(&self, out: &mut Vec<u8>, r: &Range<usize>) {
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
