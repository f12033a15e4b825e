//! The per-call-site line template.

use super::escape::{escape_into, write_str};
use super::line::write_key;
use super::number::write_value;
use super::{StdKey, Style};
use crate::callsite::Piece;
use crate::format::Event;
use crate::level::Level;
use crate::value::Value;
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
#[derive(Debug, Clone)]
pub(super) struct SiteCache {
    slots: Vec<Option<Site>>,
}

#[derive(Debug, Clone)]
pub(super) struct Site {
    pub(super) callsite: usize,
    pub(super) level: Level,
    pub(super) bytes: Vec<u8>,
    /// The standard keys and static fields, in output order.
    pub(super) parts: Vec<Part>,
    /// `, "key": ` of each event field.
    pub(super) keys: Vec<Range<usize>>,
    /// The message template, its literal text escaped.
    pub(super) message: Vec<MessagePiece>,
}

#[derive(Debug, Clone)]
pub(super) enum MessagePiece {
    Lit(Range<usize>),
    Value(usize),
}

#[derive(Debug, Clone)]
pub(super) enum Part {
    Static(Range<usize>),
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
    pub(super) style: Style,
}

impl Default for SiteCache {
    fn default() -> Self {
        SiteCache {
            slots: vec![None; SITE_SLOTS],
        }
    }
}

impl SiteCache {
    pub(super) fn get(&mut self, event: &Event<'_>, layout: &Layout<'_>) -> &Site {
        let addr = std::ptr::from_ref(event.callsite()) as usize;
        // Fibonacci hashing: the top bits of the product spread neighbours.
        let slot = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) % SITE_SLOTS;
        let entry = &mut self.slots[slot];
        // A panic's file, line and function are the panic's, not the call
        // site's: its template is rendered afresh (panics are rare).
        if event.panic_location().is_some()
            || entry
                .as_ref()
                .is_none_or(|s| s.callsite != addr || s.level != event.level())
        {
            *entry = Some(Site::render(addr, event, layout));
        }
        entry.as_ref().expect("filled above")
    }
}

impl Site {
    fn render(callsite: usize, event: &Event<'_>, layout: &Layout<'_>) -> Site {
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
        let pieces = event.callsite().metadata().pieces;
        let literal_message = pieces.iter().all(|p| matches!(p, Piece::Lit(_)));
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
                StdKey::Message if literal_message => {
                    b.push(b'"');
                    for piece in pieces {
                        if let Piece::Lit(text) = piece {
                            escape_into(&mut b, text);
                        }
                    }
                    b.push(b'"');
                }
                StdKey::Asctime | StdKey::Created | StdKey::Msecs | StdKey::Message => {
                    parts.push(Part::Static(run..b.len()));
                    parts.push(Part::Value(*key));
                    run = b.len();
                }
                StdKey::Levelname => match style {
                    Style::Python => write_str(&mut b, event.level().as_str()),
                    Style::Ecs => write_str(&mut b, &event.level().as_str().to_ascii_lowercase()),
                },
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
        parts.retain(|p| !matches!(p, Part::Static(r) if r.is_empty()));
        let keys = event
            .fields()
            .map(|(key, _)| {
                let start = b.len();
                b.extend_from_slice(style.comma());
                write_key(&mut b, key, taken, style.colon());
                start..b.len()
            })
            .collect();
        let message = event
            .callsite()
            .metadata()
            .pieces
            .iter()
            .map(|piece| match *piece {
                Piece::Lit(text) => {
                    let start = b.len();
                    escape_into(&mut b, text);
                    MessagePiece::Lit(start..b.len())
                }
                Piece::Value(i) => MessagePiece::Value(usize::from(i)),
            })
            .collect();
        Site {
            callsite,
            level: event.level(),
            bytes: {
                b.extend_from_slice(&[0; PAD]);
                b
            },
            parts,
            keys,
            message,
        }
    }

    /// Appends the bytes of `r`, a range of the template.
    #[inline(always)]
    pub(super) fn put(&self, out: &mut Vec<u8>, r: &Range<usize>) {
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
