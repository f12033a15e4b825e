//! A record as the formats read it: the call site's metadata, the values
//! decoded as they are read, the thread it came from.

use crate::callsite::Piece;
use crate::level::Level;
use crate::record::{Origin, Record};
use crate::value::{Cursor, Decoder, Value};
use std::fmt;

/// A record, as formatters read it. Values are decoded as they are read
/// (decoding them all into a vector first took a quarter of the writer's
/// time per line).
#[derive(Debug)]
pub(crate) struct Event<'a> {
    rec: &'a Record,
    time_ns: u64,
    origin: Option<&'a Origin>,
}

impl<'a> Event<'a> {
    pub(crate) fn new(rec: &'a Record) -> Event<'a> {
        Event {
            rec,
            time_ns: crate::clock::wall_ns(rec.stamp),
            origin: None,
        }
    }

    /// The event, with the thread it came from.
    pub(crate) fn from_thread(rec: &'a Record, origin: &'a Origin) -> Event<'a> {
        Event {
            origin: Some(origin),
            ..Event::new(rec)
        }
    }

    /// The OS id of the thread that logged the event (`thread`).
    pub(crate) fn thread_id(&self) -> Option<u64> {
        self.origin?.thread_id
    }

    /// The name of the thread that logged the event (`threadName`).
    pub(crate) fn thread_name(&self) -> Option<&'a str> {
        self.origin?.thread_name.as_deref()
    }

    /// The id of the tokio task that logged the event (`taskName`): the
    /// value after the fields, when records carry one.
    pub(crate) fn task_name(&self) -> Option<&'a str> {
        if !crate::record::wants_task() {
            return None;
        }
        let meta = self.rec.callsite.metadata();
        let slot = usize::from(meta.message_values) + meta.fields.len();
        match self.cursor().get(slot) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn callsite(&self) -> &'static crate::callsite::Callsite {
        self.rec.callsite
    }

    /// The record's values, in slot order.
    pub(crate) fn values(&self) -> Decoder<'a> {
        Decoder::new(&self.rec.data)
    }

    /// Size of the record's encoded values.
    pub(crate) fn data_len(&self) -> usize {
        self.rec.data.len()
    }

    /// Random access to the record's values.
    pub(crate) fn cursor(&self) -> Cursor<'a> {
        Cursor::new(self.values())
    }

    /// The event's level.
    #[must_use]
    pub(crate) fn level(&self) -> Level {
        self.rec.level
    }

    /// The logger name: the module path of the call site.
    #[must_use]
    pub(crate) fn target(&self) -> &'static str {
        self.rec.callsite.metadata().target
    }

    /// Source file of the call site, as `file!()` gives it; for a panic,
    /// the file where it happened.
    #[must_use]
    pub(crate) fn file(&self) -> &'static str {
        match self.panic_location() {
            Some(loc) => loc.file,
            None => self.rec.callsite.metadata().file,
        }
    }

    /// Line of the call site (of the panic, for a panic).
    #[must_use]
    pub(crate) fn line(&self) -> u32 {
        match self.panic_location() {
            Some(loc) => loc.line,
            None => self.rec.callsite.metadata().line,
        }
    }

    /// Column of the call site (of the panic, for a panic).
    #[must_use]
    pub(crate) fn column(&self) -> u32 {
        match self.panic_location() {
            Some(loc) => loc.column,
            None => self.rec.callsite.metadata().column,
        }
    }

    /// Bare name of the enclosing function; for a panic, of the function
    /// that panicked (found in the backtrace, `<unknown>` without one).
    #[must_use]
    pub(crate) fn function(&self) -> &'static str {
        match &self.rec.exc {
            Some(exc) if exc.location().is_some() => exc.panic_function().unwrap_or("<unknown>"),
            _ => self.rec.callsite.function(),
        }
    }

    pub(in crate::format) fn panic_location(&self) -> Option<crate::exc_info::Location> {
        self.rec.exc.as_ref()?.location()
    }

    /// The error or panic attached to the event (`exc_info`), if any.
    #[must_use]
    pub(crate) fn exc_info(&self) -> Option<&'a crate::exc_info::ExcInfo> {
        self.rec.exc.as_deref()
    }

    /// Wall-clock time of the call, nanoseconds since the Unix epoch.
    #[must_use]
    pub(crate) fn time_ns(&self) -> u64 {
        self.time_ns
    }

    /// The request context the event was logged in.
    #[must_use]
    pub(crate) fn context(&self) -> &'a crate::context::Context {
        &self.rec.context
    }

    /// Appends the rendered message.
    pub(crate) fn write_message(&self, out: &mut String) {
        let _ = self.write_message_to(out);
    }

    /// Renders the message into any writer (the JSON formatter escapes as
    /// it goes, so no message string is built).
    pub(crate) fn write_message_to(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let mut values = self.cursor();
        for piece in self.rec.callsite.metadata().pieces {
            match *piece {
                Piece::Lit(s) => out.write_str(s)?,
                Piece::Value(i) => match values.get(usize::from(i)) {
                    Some(Value::Str(s)) => out.write_str(s)?,
                    Some(Value::I64(v)) => out.write_str(itoa::Buffer::new().format(v))?,
                    Some(Value::U64(v)) => out.write_str(itoa::Buffer::new().format(v))?,
                    Some(v) => write!(out, "{v}")?,
                    None => {}
                },
            }
        }
        Ok(())
    }

    /// The rendered message.
    #[must_use]
    pub(crate) fn message(&self) -> String {
        let mut s = String::new();
        self.write_message(&mut s);
        s
    }

    /// The message, as literal text and value slots.
    #[must_use]
    pub(crate) fn pieces(&self) -> &'static [Piece] {
        self.rec.callsite.metadata().pieces
    }

    /// The keys of the event's own fields, in call order.
    #[must_use]
    pub(crate) fn field_names(&self) -> &'static [&'static str] {
        self.rec.callsite.metadata().fields
    }

    /// The value slot of the first field (the message's values come
    /// before).
    #[must_use]
    pub(crate) fn first_field_slot(&self) -> usize {
        usize::from(self.rec.callsite.metadata().message_values)
    }

    /// The event's own `key = value` fields, in call order.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&'static str, Value<'a>)> + '_ {
        let meta = self.rec.callsite.metadata();
        let start = usize::from(meta.message_values);
        meta.fields.iter().copied().zip(self.values().skip(start))
    }
}
