//! Capturing events in tests.
//!
//! [`capture`] runs a closure and returns the events it logged, at every
//! level, as structured values — without a logger installed, without
//! stdout, and without seeing events of tests running in parallel. Capture
//! follows the request context, so events logged in futures and threads that
//! carry the context (`in_current_context`, `pulselog::spawn`) are captured
//! too.
//!
//! ```
//! use pulselog::prelude::*;
//! use pulselog::testing::Owned;
//!
//! let (_, events) = pulselog::testing::capture(|| {
//!     info!("charged {amount}", amount = 30, user_id = 7);
//! });
//! let e = events.only();
//! assert_eq!(e.level(), Level::Info);
//! assert_eq!(e.message(), "charged 30");
//! assert_eq!(e.field("user_id"), Some(Owned::I64(7)));
//! ```

use crate::capture::Capture;
use crate::encode::Value;
use crate::exc_info::ExcInfo;
use crate::format::json::JsonFormat;
use crate::format::text::TextFormat;
use crate::format::{Event, Formatter};
use crate::level::Level;
use crate::record::Record;

/// Runs `f` and returns what it returned plus every event it logged.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Captured) {
    let capture = Capture::start();
    let r = capture.run(f);
    (r, Captured::new(capture.finish()))
}

/// Like [`capture`] for a future: events logged while it runs (in this
/// context, on any thread) are captured.
pub async fn capture_async<F: std::future::Future>(fut: F) -> (F::Output, Captured) {
    let capture = Capture::start();
    let r = capture.context().clone().wrap(fut).await;
    (r, Captured::new(capture.finish()))
}

/// How many instruction addresses the process has looked up in its debug
/// info so far, to symbolize backtraces. Lookups are cached by address and
/// limited to [`MISS_BUDGET`](crate::exc_info::MISS_BUDGET) a second, so an error
/// logged again and again with its backtrace costs lookups once: a test can
/// check that a storm of errors stays within a bound.
#[must_use]
pub fn symbolizations() -> u64 {
    crate::exc_info::symbolized()
}

/// A field value, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Owned {
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A wide signed integer.
    I128(i128),
    /// A wide unsigned integer.
    U128(u128),
    /// A float (`f32` values are widened).
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// Text, or a value recorded through `Display`/`Debug`.
    Str(String),
    /// `None`.
    Null,
}

impl From<Value<'_>> for Owned {
    fn from(v: Value<'_>) -> Owned {
        match v {
            Value::I64(n) => Owned::I64(n),
            Value::U64(n) => Owned::U64(n),
            Value::I128(n) => Owned::I128(n),
            Value::U128(n) => Owned::U128(n),
            Value::F32(f) => Owned::F64(f.into()),
            Value::F64(f) => Owned::F64(f),
            Value::Bool(b) => Owned::Bool(b),
            Value::Char(c) => Owned::Str(c.to_string()),
            Value::Str(s) => Owned::Str(s.to_owned()),
            Value::Null => Owned::Null,
        }
    }
}

impl PartialEq<&str> for Owned {
    fn eq(&self, other: &&str) -> bool {
        matches!(self, Owned::Str(s) if s == other)
    }
}

impl PartialEq<i64> for Owned {
    fn eq(&self, other: &i64) -> bool {
        match *self {
            Owned::I64(n) => n == *other,
            Owned::U64(n) => i64::try_from(n).is_ok_and(|n| n == *other),
            _ => false,
        }
    }
}

impl PartialEq<bool> for Owned {
    fn eq(&self, other: &bool) -> bool {
        matches!(self, Owned::Bool(b) if b == other)
    }
}

impl PartialEq<f64> for Owned {
    fn eq(&self, other: &f64) -> bool {
        matches!(self, Owned::F64(f) if f == other)
    }
}

/// One captured event.
#[derive(Debug)]
pub struct CapturedEvent {
    rec: Record,
}

impl CapturedEvent {
    fn event(&self) -> Event<'_> {
        Event::new(&self.rec)
    }

    /// The level.
    #[must_use]
    pub fn level(&self) -> Level {
        self.rec.level
    }

    /// The rendered message.
    #[must_use]
    pub fn message(&self) -> String {
        self.event().message()
    }

    /// The message literal as written.
    #[must_use]
    pub fn template(&self) -> &'static str {
        self.rec.callsite.metadata().template
    }

    /// Logger name (module path).
    #[must_use]
    pub fn target(&self) -> &str {
        self.rec.callsite.metadata().target
    }

    /// `file!()` of the call site (for a panic, where it happened).
    #[must_use]
    pub fn file(&self) -> &str {
        self.event().file()
    }

    /// Line of the call site (for a panic, where it happened).
    #[must_use]
    pub fn line(&self) -> u32 {
        self.event().line()
    }

    /// Bare name of the enclosing function (for a panic, of the function
    /// that panicked).
    #[must_use]
    pub fn function(&self) -> &'static str {
        self.event().function()
    }

    /// The error or panic attached with `log_error!` or `exc_info = …`:
    /// type, message, chain and backtrace.
    #[must_use]
    pub fn exc_info(&self) -> Option<&ExcInfo> {
        self.rec.exc.as_deref()
    }

    /// The request id in force when the event was logged.
    #[must_use]
    pub fn request_id(&self) -> Option<String> {
        self.rec.context.request_id().map(str::to_owned)
    }

    /// The event's own fields, in call order; then, for a call that
    /// samples (`info!(every: 100, …)`), `suppressed`: the calls it skipped
    /// since its line before, when there were any.
    #[must_use]
    pub fn fields(&self) -> Vec<(String, Owned)> {
        let event = self.event();
        event
            .fields()
            .map(|(k, v)| (k.to_owned(), v.into()))
            .chain(
                event
                    .suppressed()
                    .map(|n| (crate::format::SUPPRESSED.to_owned(), Owned::U64(n))),
            )
            .collect()
    }

    /// The fields bound in the request context.
    #[must_use]
    pub fn context_fields(&self) -> Vec<(String, Owned)> {
        let mut out = Vec::new();
        self.rec
            .context
            .for_each_field(|k, v| out.push((k.to_owned(), v.into())));
        out
    }

    /// One field by key: the event's own, else the context's.
    #[must_use]
    pub fn field(&self, key: &str) -> Option<Owned> {
        self.fields()
            .into_iter()
            .chain(self.context_fields())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The line the JSON formatter writes for this event (no newline).
    #[must_use]
    pub fn to_json(&self, format: &JsonFormat) -> String {
        self.render(Formatter::Json(Box::new(
            format.clone().build().expect("a valid JsonFormat"),
        )))
    }

    /// The line the text formatter writes for this event (no newline).
    #[must_use]
    pub fn to_text(&self, format: &TextFormat) -> String {
        self.render(Formatter::Text(Box::new(
            format.clone().build().expect("a valid TextFormat"),
        )))
    }

    /// The line `PULSELOG_FORMAT=ecs` writes for this event (no newline),
    /// without service fields.
    #[must_use]
    pub fn to_ecs(&self) -> String {
        let ecs = crate::format::ecs::format(&Default::default());
        self.render(Formatter::Json(Box::new(
            ecs.build().expect("the ECS format is valid"),
        )))
    }

    /// The line `PULSELOG_FORMAT=otel` writes for this event (no newline):
    /// one OTLP/JSON `{"resourceLogs":[…]}` object, whose resource has a
    /// default `service.name`.
    #[must_use]
    pub fn to_otel(&self) -> String {
        let otel = crate::format::otel::OtelFormat::new(&Default::default());
        self.render(Formatter::Otel(Box::new(otel)))
    }

    /// The line `formatter` writes, as the writer thread would write it.
    fn render(&self, mut formatter: Formatter) -> String {
        let mut out = Vec::new();
        formatter.format(&self.rec, &crate::origin::Origin::default(), &mut out);
        out.pop();
        String::from_utf8(out).expect("formatters write UTF-8")
    }
}

/// The events a capture saw, in the order they were logged.
#[derive(Debug, Default)]
pub struct Captured {
    events: Vec<CapturedEvent>,
}

impl Captured {
    fn new(records: Vec<Record>) -> Captured {
        Captured {
            events: records
                .into_iter()
                .map(|rec| CapturedEvent { rec })
                .collect(),
        }
    }

    /// All events.
    #[must_use]
    pub fn events(&self) -> &[CapturedEvent] {
        &self.events
    }

    /// All events, owned.
    #[must_use]
    pub fn into_events(self) -> Vec<CapturedEvent> {
        self.events
    }

    /// How many events were captured.
    #[must_use]
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing was captured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The one event captured; panics with the list if there were more or
    /// none.
    #[must_use]
    #[track_caller]
    pub fn only(&self) -> &CapturedEvent {
        assert_eq!(
            self.events.len(),
            1,
            "expected exactly one event, got: {:?}",
            self.messages()
        );
        &self.events[0]
    }

    /// The rendered messages.
    #[must_use]
    pub fn messages(&self) -> Vec<String> {
        self.events.iter().map(CapturedEvent::message).collect()
    }

    /// The first event whose message equals `message`; panics with the
    /// list if there is none.
    #[must_use]
    #[track_caller]
    pub fn find(&self, message: &str) -> &CapturedEvent {
        self.events
            .iter()
            .find(|e| e.message() == message)
            .unwrap_or_else(|| panic!("no event `{message}` among {:?}", self.messages()))
    }

    /// Events at `level` or above.
    pub fn at_least(&self, level: Level) -> impl Iterator<Item = &CapturedEvent> {
        self.events.iter().filter(move |e| e.level() >= level)
    }
}

impl<'a> IntoIterator for &'a Captured {
    type Item = &'a CapturedEvent;
    type IntoIter = std::slice::Iter<'a, CapturedEvent>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.iter()
    }
}
