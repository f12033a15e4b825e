//! The per-call-site line template of the text format.

use super::escape::{Escaped, escape_into, write_logfmt_str};
use super::template::{Align, Key, Segment};
use crate::callsite::Piece;
use crate::encode::{Cursor, Value};
use crate::format::common::{Event, SITE_SLOTS, StdKey, put_padded, site_serves, site_slot};
use crate::format::spare::{LineBuilder, Put, Spare, Step, slot};
use crate::level::Level;
use anstyle::{AnsiColor, Effects, Style};
use std::fmt::Write as _;
use std::ops::Range;

/// Each call site's line, rendered on its first event at a level: the
/// template's literal text and every key that depends only on the call
/// site and the level (level name, logger name, file, line, function, …),
/// padded and styled once, between the holes that change per event (time,
/// message, thread, ids); the message's literal pieces, escaped; each
/// field's ` key=`. Rendering all of it on every line (`core::fmt` for
/// the numbers, padding and styles, a string per key) made a text line
/// cost four times a JSON one.
///
/// Direct-mapped by call-site address and level, like the JSON format's
/// cache: a collision only costs a re-render. Sound because all of it
/// comes from the call site's `'static` metadata and the formatter's
/// configuration, except for a panic (whose location is its own: its
/// template is never kept) and a site a record owns (its address may be
/// another's once it is freed).
#[derive(Debug, Clone, Default)]
pub(super) struct SiteCache {
    slots: Vec<Option<Site>>,
}

#[derive(Debug, Clone)]
pub(super) struct Site {
    callsite: usize,
    level: Level,
    bytes: Vec<u8>,
    pub(super) parts: Vec<Part>,
    message: Vec<MessagePiece>,
    /// ` key=` of each of the event's fields.
    pub(super) keys: Vec<Range<usize>>,
    /// The whole line of an event with no context, no count of skipped
    /// calls, no replay mark and no error, the common event: the
    /// template's bytes between what changes per event, those of the
    /// parts, the message and the fields' keys merged into one run each
    /// (empty: none, when a key that changes per event is padded). Walking
    /// the parts, the message's pieces and the keys one after another took
    /// the writer some 90 instructions more a line.
    pub(super) line: Vec<Step<Hole>>,
}

/// What follows a run of the template in a text line ([`Site::line`]).
/// The slots are the record's, in the order the line reads them.
#[derive(Debug, Clone, Copy)]
pub(super) enum Hole {
    /// The time, as the format writes it.
    Time,
    /// Another standard key's text that changes per event.
    Key(StdKey),
    /// A value of the message, escaped.
    Text(u16),
    /// A field's value, as logfmt.
    Value(u16),
    /// The end of the line.
    End,
}

#[derive(Debug, Clone)]
enum MessagePiece {
    Lit(Range<usize>),
    Value(usize),
}

#[derive(Debug, Clone)]
pub(super) enum Part {
    Static(Range<usize>),
    /// A key whose text changes per event, padded to `width`; none of
    /// them is styled.
    Hole {
        key: Key,
        align: Align,
        width: usize,
    },
}

impl SiteCache {
    /// Empty: the slots are made on the first event, so that a formatter
    /// built only to be checked (or never used) costs nothing for them.
    pub(super) fn new() -> SiteCache {
        SiteCache { slots: Vec::new() }
    }

    #[cold]
    fn fill(&mut self) {
        self.slots = vec![None; SITE_SLOTS];
    }

    /// The cached template of the event's call site, if there is one (and
    /// may be used for it): no closure to build, for the common hit.
    #[inline(always)]
    pub(super) fn find(&self, event: &Event<'_>) -> Option<&Site> {
        let (_, slot) = site_slot(event);
        self.slots
            .get(slot)
            .and_then(Option::as_ref)
            .filter(|s| site_serves(s.callsite, s.level, event))
    }

    /// The template of the event's call site, rendered by `render` if it is
    /// not cached.
    pub(super) fn get(&mut self, event: &Event<'_>, render: impl FnOnce() -> Site) -> &Site {
        let (addr, slot) = site_slot(event);
        if self.slots.is_empty() {
            self.fill();
        }
        let entry = &mut self.slots[slot];
        if !entry
            .as_ref()
            .is_some_and(|s| site_serves(s.callsite, s.level, event))
        {
            let mut site = render();
            site.callsite = addr;
            site.level = event.level();
            *entry = Some(site);
        }
        entry.as_ref().expect("filled above")
    }
}

/// Whether a key's text is the same on every line of a call site at one
/// level.
fn is_static(key: Key) -> bool {
    key == Key::Origin
        || matches!(
            key,
            Key::Std(
                StdKey::Levelname
                    | StdKey::Levelno
                    | StdKey::Name
                    | StdKey::Filename
                    | StdKey::Pathname
                    | StdKey::Module
                    | StdKey::Lineno
                    | StdKey::Colno
                    | StdKey::FuncName
                    | StdKey::Process
            )
        )
}

impl Site {
    /// Renders the template of the event's call site.
    pub(super) fn render(
        event: &Event<'_>,
        segments: &[Segment],
        styled: bool,
        program: Option<&str>,
        fields: bool,
    ) -> Site {
        let mut b = Vec::new();
        let mut parts = Vec::new();
        let mut run = 0;
        // A `#[logged]` entry or exit says which function: its message
        // (`enter`) names nothing, and the default template has no
        // `funcName`.
        let logged = crate::callsite::logged_phase(event.pieces())
            .map(|phase| format!("{phase} {}", event.function()));
        let literal_message = event.pieces().iter().all(|p| matches!(p, Piece::Lit(_)));
        for seg in segments {
            match seg {
                Segment::Lit(s) => b.extend_from_slice(s.as_bytes()),
                Segment::Key { key, align, width } => {
                    let mut text = Vec::new();
                    match key {
                        Key::Std(StdKey::Message) if logged.is_some() => {
                            escape_into(&mut text, logged.as_deref().unwrap_or_default());
                        }
                        Key::Std(StdKey::Message) if literal_message => {
                            for piece in event.pieces() {
                                if let Piece::Lit(s) = piece {
                                    escape_into(&mut text, s);
                                }
                            }
                        }
                        Key::Std(k) if is_static(*key) => static_value(&mut text, *k, event),
                        Key::Origin => {
                            if let Some(name) = foreign_name(event.target(), program) {
                                text.push(b' ');
                                escape_into(&mut text, name);
                            }
                        }
                        _ => {
                            parts.push(Part::Static(run..b.len()));
                            parts.push(Part::Hole {
                                key: *key,
                                align: *align,
                                width: *width,
                            });
                            run = b.len();
                            continue;
                        }
                    }
                    let style = if styled {
                        key_style(*key, event.level())
                    } else {
                        Style::new()
                    };
                    let start = b.len();
                    b.extend_from_slice(&text);
                    pad(&mut b, start, *align, *width, style);
                }
            }
        }
        parts.push(Part::Static(run..b.len()));
        parts.retain(|p| !matches!(p, Part::Static(r) if r.is_empty()));
        let keys: Vec<Range<usize>> = event
            .field_names()
            .iter()
            .map(|key| {
                let start = b.len();
                b.push(b' ');
                write_logfmt_str(&mut b, key);
                b.push(b'=');
                start..b.len()
            })
            .collect();
        let message = match &logged {
            Some(text) => {
                let start = b.len();
                escape_into(&mut b, text);
                vec![MessagePiece::Lit(start..b.len())]
            }
            None => event
                .pieces()
                .iter()
                .map(|piece| match *piece {
                    Piece::Lit(text) => {
                        let start = b.len();
                        escape_into(&mut b, text);
                        MessagePiece::Lit(start..b.len())
                    }
                    Piece::Value(i) => MessagePiece::Value(usize::from(i)),
                })
                .collect(),
        };
        let line = Site::render_line(&mut b, &parts, &message, &keys, fields, event);
        b.extend_from_slice(&[0; PAD]);
        Site {
            callsite: 0,
            level: event.level(),
            bytes: b,
            parts,
            message,
            keys,
            line,
        }
    }

    /// The [`Site::line`] of a template whose parts, message and keys are
    /// `b`'s, its bytes appended to `b`: the same bytes, merged between
    /// the holes. None (empty) if a key that changes per event is padded
    /// (padding moves what was written), or if the first event lacked
    /// values for some fields (none that pulselog makes).
    fn render_line(
        b: &mut Vec<u8>,
        parts: &[Part],
        message: &[MessagePiece],
        keys: &[Range<usize>],
        fields: bool,
        event: &Event<'_>,
    ) -> Vec<Step<Hole>> {
        let padded = parts
            .iter()
            .any(|p| matches!(p, Part::Hole { width, .. } if *width > 0));
        if padded || keys.len() != event.field_names().len() {
            return Vec::new();
        }
        let mut line = LineBuilder::new(b, Hole::End);
        for part in parts {
            match part {
                Part::Static(r) => line.b.extend_from_within(r.clone()),
                Part::Hole { key, .. } => match *key {
                    Key::Std(StdKey::Asctime) => line.hole(Hole::Time),
                    Key::Std(StdKey::Message) => {
                        for piece in message {
                            match piece {
                                MessagePiece::Lit(r) => {
                                    line.b.extend_from_within(r.clone());
                                }
                                MessagePiece::Value(i) => line.hole(Hole::Text(slot(*i))),
                            }
                        }
                    }
                    Key::Std(k) => line.hole(Hole::Key(k)),
                    // No context: no id. The origin is in the template.
                    Key::Id(_) | Key::Origin => {}
                },
            }
        }
        if fields {
            let first = event.first_field_slot();
            for (i, key) in keys.iter().enumerate() {
                line.b.extend_from_within(key.clone());
                line.hole(Hole::Value(slot(first + i)));
            }
        }
        line.b.push(b'\n');
        line.finish()
    }

    /// Appends the event's message, escaped.
    pub(super) fn write_message(&self, out: &mut Vec<u8>, values: &mut Cursor<'_>) {
        for piece in &self.message {
            match piece {
                MessagePiece::Lit(r) => self.put(out, r),
                MessagePiece::Value(i) => write_message_value(out, values.get(*i)),
            }
        }
    }

    /// Appends the run of `step` to a line written in place.
    #[inline(always)]
    pub(super) fn put_run(&self, line: &mut Spare<'_>, step: &Step<Hole>) {
        step.put_run(&self.bytes, line);
    }

    /// Bytes of the template (the most a line copies from it).
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Appends the bytes of `r`, a range of the template.
    #[inline(always)]
    pub(super) fn put(&self, out: &mut Vec<u8>, r: &Range<usize>) {
        put_padded::<CHUNK>(out, &self.bytes, r.clone());
    }
}

/// A value of the message, escaped.
pub(super) fn write_message_value(out: &mut impl Put, value: Option<Value<'_>>) {
    match value {
        Some(Value::Str(s)) => escape_into(out, s),
        Some(Value::I64(n)) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Some(Value::U64(n)) => out.put(itoa::Buffer::new().format(n).as_bytes()),
        Some(v) => {
            let _ = write!(Escaped(out), "{v}");
        }
        None => {}
    }
}

/// The text of a key that [`is_static`].
/// The logger's name, unless it is `program` or one of its modules.
pub(super) fn foreign_name<'a>(target: &'a str, program: Option<&str>) -> Option<&'a str> {
    let own = program.is_some_and(|p| {
        target
            .strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    });
    (!own).then_some(target)
}

fn static_value(b: &mut Vec<u8>, key: StdKey, event: &Event<'_>) {
    let num =
        |b: &mut Vec<u8>, n: u32| b.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    match key {
        StdKey::Levelname => b.extend_from_slice(event.level().as_str().as_bytes()),
        StdKey::Levelno => num(b, event.level().number().into()),
        StdKey::Name => b.extend_from_slice(event.target().as_bytes()),
        StdKey::Filename | StdKey::Pathname => b.extend_from_slice(event.file().as_bytes()),
        StdKey::Module => {
            let module = event.target().rsplit("::").next().unwrap_or("");
            b.extend_from_slice(module.as_bytes());
        }
        StdKey::Lineno => num(b, event.line()),
        StdKey::Colno => num(b, event.column()),
        StdKey::FuncName => b.extend_from_slice(event.function().as_bytes()),
        StdKey::Process => num(b, std::process::id()),
        StdKey::Asctime
        | StdKey::Created
        | StdKey::Msecs
        | StdKey::Message
        | StdKey::Thread
        | StdKey::ThreadName
        | StdKey::TaskName => {}
    }
}

/// Dims the location and the continuation marker.
pub(super) const DIM: Style = Style::new().effects(Effects::DIMMED);

/// The style of a template key on a terminal: the level coloured as
/// env_logger colours it (CRITICAL, which it lacks, white on red), the
/// location dimmed, the rest plain.
pub(super) fn key_style(key: Key, level: Level) -> Style {
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

/// Pads the text written to `out` since `start` to `width` characters;
/// the style covers the text, not the padding. Characters are counted only
/// when there is a width.
pub(super) fn pad(out: &mut Vec<u8>, start: usize, align: Align, width: usize, style: Style) {
    let plain = style == Style::new();
    if width == 0 && plain {
        return;
    }
    let fill = if width == 0 {
        0
    } else {
        width.saturating_sub(char_count(&out[start..]))
    };
    let (before, after) = match align {
        Align::Left => (0, fill),
        Align::Right => (fill, 0),
        Align::Center => (fill / 2, fill - fill / 2),
    };
    if !plain {
        let mut prefix = Vec::new();
        let _ = write!(super::escape::Raw(&mut prefix), "{}", style.render());
        let _ = write!(super::escape::Raw(out), "{}", style.render_reset());
        out.splice(start..start, prefix);
    }
    if before > 0 {
        out.extend(std::iter::repeat_n(b' ', before));
        out[start..].rotate_right(before);
    }
    out.extend(std::iter::repeat_n(b' ', after));
}

/// Characters in UTF-8 text: the bytes that are not continuation bytes.
fn char_count(utf8: &[u8]) -> usize {
    utf8.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Bytes of padding after a template's last range, so that a short range
/// can be copied as one whole [`CHUNK`] (64: the default template's run
/// from the level to the message, ` | INFO     | [src/main.rs:42] | `,
/// is often longer than 32).
const PAD: usize = CHUNK;
const CHUNK: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(text: &str, align: Align, width: usize, style: Style) -> String {
        let mut out = b"<".to_vec();
        out.extend_from_slice(text.as_bytes());
        pad(&mut out, 1, align, width, style);
        out.push(b'>');
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn padding_counts_characters_not_bytes() {
        let plain = Style::new();
        assert_eq!(padded("é✓", Align::Left, 5, plain), "<é✓   >");
        assert_eq!(padded("é✓", Align::Right, 5, plain), "<   é✓>");
        assert_eq!(padded("é✓😀", Align::Center, 8, plain), "<  é✓😀   >");
        assert_eq!(padded("日本語", Align::Right, 2, plain), "<日本語>");
        assert_eq!(padded("", Align::Center, 3, plain), "<   >");
        assert_eq!(padded("x", Align::Right, 0, plain), "<x>");
    }

    #[test]
    fn a_style_covers_the_text_and_not_the_padding() {
        let green = AnsiColor::Green.on_default();
        assert_eq!(
            padded("INFO", Align::Left, 8, green),
            "<\u{1b}[32mINFO\u{1b}[0m    >"
        );
        assert_eq!(
            padded("é", Align::Center, 4, DIM),
            "< \u{1b}[2mé\u{1b}[0m  >"
        );
        assert_eq!(padded("7", Align::Right, 0, DIM), "<\u{1b}[2m7\u{1b}[0m>");
    }
}
