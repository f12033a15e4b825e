//! Formatting, on the writer thread: a record becomes one line of output.
//!
//! Each format reads a record through one decoded view ([`Event`]) and
//! turns it into bytes: [`json`], [`text`], Elastic Common Schema (`ecs`, a
//! preset of the JSON writer) and OTLP/JSON (`otel`).
//!
//! The files use each other one way only, from the top down: this file (the
//! formatter the writer runs) uses the formats; `ecs` uses `json`; `otlp`
//! uses `otel`, which uses the JSON writer's escaping and templates; every
//! format uses the files below them (`common`: the event, the key rules,
//! the error report; `time`, `resource`), which use no format.

mod common;
pub(crate) mod ecs;
pub(crate) mod json;
pub(crate) mod otel;
#[cfg(feature = "otlp")]
pub(crate) mod otlp;
pub(crate) mod resource;
pub(crate) mod spare;
pub(crate) mod text;
mod time;

pub use common::CLASH_PREFIX;
pub(crate) use common::Event;
pub use common::FormatterError;
pub(crate) use common::{IdKey, REPLAYED, SUPPRESSED, field_keys, for_each_context_field};
pub use text::{COMPACT_TEMPLATE, CONTINUATION, DEFAULT_TEMPLATE};
pub(crate) use time::TimeFormat;

use crate::origin::Origin;
use crate::record::Record;
use common::StdKey;

/// The formatter the writer thread runs. Every variant boxed: the enum is
/// a pointer and a tag, matched per line with a jump on the tag (with the
/// text formatter inline, its niche made the match 10 instructions a line).
#[derive(Debug, Clone)]
pub(crate) enum Formatter {
    Json(Box<json::JsonFormat>),
    Text(Box<text::TextFormat>),
    Otel(Box<otel::OtelFormat>),
    /// One syslog message per event (`crate::syslog`).
    Syslog(Box<crate::syslog::SyslogFormat>),
}

impl Formatter {
    /// Whether lines need the id of the task that logged (`taskName`):
    /// only then do records carry it.
    pub(crate) fn wants_task(&self) -> bool {
        match self {
            Formatter::Json(f) => f.has_key(StdKey::TaskName),
            Formatter::Text(f) => f.has_key(StdKey::TaskName),
            Formatter::Otel(_) | Formatter::Syslog(_) => false,
        }
    }

    /// Whether lines show the thread that logged (`thread`, `threadName`):
    /// then two events from different threads are different lines.
    pub(crate) fn writes_thread(&self) -> bool {
        match self {
            Formatter::Json(f) => f.has_key(StdKey::Thread) || f.has_key(StdKey::ThreadName),
            Formatter::Text(f) => f.has_key(StdKey::Thread) || f.has_key(StdKey::ThreadName),
            Formatter::Otel(_) | Formatter::Syslog(_) => false,
        }
    }

    pub(crate) fn format(&mut self, rec: &Record, origin: &Origin, out: &mut Vec<u8>) {
        self.format_event(&Event::from_thread(rec, origin), out);
    }

    /// One line from the event's view (made once when several formatters
    /// write the same event).
    #[inline]
    pub(crate) fn format_event(&mut self, event: &Event<'_>, out: &mut Vec<u8>) {
        match self {
            Formatter::Json(f) => f.format(event, out),
            Formatter::Text(f) => f.format(event, out),
            Formatter::Otel(f) => f.format(event, out),
            Formatter::Syslog(f) => f.format(event, out),
        }
    }
}
