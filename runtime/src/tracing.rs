//! `tracing` events through pulselog (feature `tracing`).
//!
//! Crates instrumented with `tracing` (tokio, hyper, tower-http, sqlx, …)
//! log through its macros. With this feature `pulselog::init()` (and
//! `Config::install`) makes pulselog the global `tracing` subscriber when
//! none is set; [`layer`] gives the same bridge
//! as a `tracing-subscriber` [`Layer`], to compose with other layers (an
//! OpenTelemetry exporter, say) under a subscriber of your own:
//!
//! ```
//! use tracing_subscriber::prelude::*;
//!
//! let subscriber = tracing_subscriber::registry().with(pulselog::tracing::layer());
//! let _guard = pulselog::Config::new()
//!     .tracing_subscriber(false) // the subscriber above is the global one
//!     .install();
//! # drop(subscriber);
//! ```
//!
//! An event keeps its target (as the logger name), file, line and level
//! (`WARN` is WARNING), its message and its fields, typed; it passes the
//! same filter directives as pulselog's own events, and a change of
//! directives (`pulselog::set_filter`) reaches it. It has no
//! function name: `funcName` is empty.
//!
//! **Spans.** The fields of the spans an event is inside (the `method` and
//! `uri` of tower-http's `TraceLayer` span, say) are added to it like bound
//! fields: entering a span enters a request context with its fields, a
//! child of the context the span was created in. So pulselog's own events
//! inside the span carry them too, and so does the request id of the
//! context the span was created in.

use crate::callsite::interned::{SiteKey, intern};
use crate::callsite::{Callsite, on_filter_change};
use crate::context::{Context, Names};
use crate::encode::{Data, Encoder};
use crate::level::Level;
use crate::record::RecordBuilder;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Interest, Metadata, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer};
use tracing_subscriber::registry::LookupSpan;

/// The bridge, as a `tracing-subscriber` layer: see the [module
/// docs](self).
#[must_use]
pub fn layer() -> PulselogLayer {
    // A change of directives changes which `tracing` call sites are wanted.
    on_filter_change(tracing_core::callsite::rebuild_interest_cache);
    PulselogLayer { _private: () }
}

/// What [`layer`] returns.
#[derive(Debug, Clone)]
pub struct PulselogLayer {
    _private: (),
}

fn level(level: &tracing_core::Level) -> Level {
    match *level {
        tracing_core::Level::ERROR => Level::Error,
        tracing_core::Level::WARN => Level::Warning,
        tracing_core::Level::INFO => Level::Info,
        tracing_core::Level::DEBUG => Level::Debug,
        tracing_core::Level::TRACE => Level::Trace,
    }
}

fn allowed(meta: &Metadata<'_>) -> bool {
    crate::callsite::filter_allows(meta.target(), level(meta.level()))
}

/// A span's fields, as a context frame's names and values.
struct SpanFields {
    names: Vec<Cow<'static, str>>,
    values: Encoder,
}

impl SpanFields {
    fn new() -> SpanFields {
        SpanFields {
            names: Vec::new(),
            values: Encoder::new(),
        }
    }
}

/// The `Visit` methods of a visitor that encodes each value by its type
/// once `$wants` (given the field) says so.
macro_rules! visit_values {
    ($ty:ty, |$this:ident, $field:ident| $wants:expr => $rec:expr) => {
        impl Visit for $ty {
            fn record_debug(&mut $this, $field: &Field, value: &dyn fmt::Debug) {
                if $wants {
                    $rec.debug(value);
                }
            }
            fn record_i64(&mut $this, $field: &Field, value: i64) {
                if $wants {
                    $rec.push_i64(value);
                }
            }
            fn record_u64(&mut $this, $field: &Field, value: u64) {
                if $wants {
                    $rec.push_u64(value);
                }
            }
            fn record_f64(&mut $this, $field: &Field, value: f64) {
                if $wants {
                    $rec.push_f64(value);
                }
            }
            fn record_bool(&mut $this, $field: &Field, value: bool) {
                if $wants {
                    $rec.push_bool(value);
                }
            }
            fn record_str(&mut $this, $field: &Field, value: &str) {
                if $wants {
                    $rec.push_str(value);
                }
            }
            fn record_error(&mut $this, $field: &Field, value: &(dyn std::error::Error + 'static)) {
                if $wants {
                    $rec.display(value);
                }
            }
        }
    };
}

// A span's fields: every one, its name kept.
visit_values!(SpanFields, |self, field| self.name(field) => self.values);

impl SpanFields {
    fn name(&mut self, field: &Field) -> bool {
        self.names.push(Cow::Borrowed(field.name()));
        true
    }
}

/// What a span keeps in its extensions: the context it was created in and
/// that context with the span's fields added.
struct SpanContext {
    base: Context,
    names: Vec<Cow<'static, str>>,
    values: Data,
    frame: Context,
}

impl SpanContext {
    fn new(base: Context, fields: SpanFields) -> SpanContext {
        let values = fields.values.into_data();
        let frame = base.child(None, Names::Owned(fields.names.clone()), values.clone());
        SpanContext {
            base,
            names: fields.names,
            values,
            frame,
        }
    }

    /// The context to enter: the span's frame, or, entered from another
    /// context than the one it was made in, the span's fields on top of
    /// that one (so a request id entered since is kept).
    fn enter_from(&self, current: &Context) -> Context {
        if current.same_as(&self.base) {
            self.frame.clone()
        } else {
            current.child(None, Names::Owned(self.names.clone()), self.values.clone())
        }
    }
}

thread_local! {
    /// Entered spans, innermost last, with the context each replaced.
    static ENTERED: RefCell<Vec<(Id, Option<Context>)>> = const { RefCell::new(Vec::new()) };

    /// Recently used `tracing` call sites and theirs (a `tracing` call
    /// site's metadata is `'static`, so its address names it).
    static SITES: RefCell<[(usize, Option<&'static Callsite>); SITE_SLOTS]> =
        const { RefCell::new([(0, None); SITE_SLOTS]) };
}

const SITE_SLOTS: usize = 64;

/// Names of an event's fields but the message, in the order visited.
#[derive(Default)]
struct FieldNames(SmallVec<[&'static str; 8]>);

impl Visit for FieldNames {
    fn record_debug(&mut self, field: &Field, _: &dyn fmt::Debug) {
        if field.name() != "message" {
            self.0.push(field.name());
        }
    }
}

/// pulselog's call site for an event's `tracing` call site.
fn site_of(event: &Event<'_>, level: Level) -> &'static Callsite {
    let meta = event.metadata();
    let addr = std::ptr::from_ref(meta) as usize;
    let slot = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % SITE_SLOTS;
    let cached = SITES
        .try_with(|s| s.borrow()[slot])
        .ok()
        .and_then(|(a, site)| site.filter(|_| a == addr));
    if let Some(site) = cached {
        return site;
    }
    let mut names = FieldNames::default();
    event.record(&mut names);
    let site = intern(
        &SiteKey {
            target: meta.target(),
            file: meta.file(),
            line: meta.line(),
            fields: &names.0,
        },
        level,
    );
    let _ = SITES.try_with(|s| s.borrow_mut()[slot] = (addr, Some(site)));
    site
}

/// Encodes the message (`first`) or every other field, in the order
/// visited.
struct EventValues<'a> {
    rec: &'a mut Encoder,
    message: bool,
    found: bool,
}

impl EventValues<'_> {
    /// Whether this field is one this pass encodes.
    fn wants(&mut self, field: &Field) -> bool {
        let is_message = field.name() == "message";
        if is_message && self.message {
            self.found = true;
        }
        is_message == self.message
    }
}

// An event's message, or every other field.
visit_values!(EventValues<'_>, |self, field| self.wants(field) => self.rec);

impl<S> Layer<S> for PulselogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        // Spans are always wanted: their fields go on the events inside,
        // whatever level the span itself has.
        if meta.is_span() || allowed(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _: LayerContext<'_, S>) -> bool {
        meta.is_span() || allowed(meta)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let mut fields = SpanFields::new();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut()
                .insert(SpanContext::new(Context::current(), fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        let Some(old) = ext.get_mut::<SpanContext>() else {
            return;
        };
        // The span's fields so far, then the new ones (a field recorded
        // again is bound again: the inner value wins).
        let mut fields = SpanFields::new();
        fields.names.clone_from(&old.names);
        fields.values.push_data(&old.values);
        values.record(&mut fields);
        *old = SpanContext::new(old.base.clone(), fields);
    }

    fn on_enter(&self, id: &Id, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let ext = span.extensions();
        let Some(span_ctx) = ext.get::<SpanContext>() else {
            return;
        };
        let entered = span_ctx.enter_from(&Context::current());
        let prev = Context::swap_current(entered);
        let _ = ENTERED.try_with(|e| e.borrow_mut().push((id.clone(), prev)));
    }

    fn on_exit(&self, id: &Id, _: LayerContext<'_, S>) {
        let prev = ENTERED.try_with(|e| {
            let mut entered = e.borrow_mut();
            let at = entered.iter().rposition(|(i, _)| i == id)?;
            // Spans left out of order: those entered after it go too.
            entered.drain(at..).next().and_then(|(_, prev)| prev)
        });
        if let Ok(Some(prev)) = prev {
            Context::swap_current(prev);
        }
    }

    fn on_event(&self, event: &Event<'_>, _: LayerContext<'_, S>) {
        let level = level(event.metadata().level());
        let site = site_of(event, level);
        if !site.enabled(level) {
            return;
        }
        let mut rec = RecordBuilder::new(site, level);
        let mut values = EventValues {
            rec: rec.values(),
            message: true,
            found: false,
        };
        event.record(&mut values);
        if !values.found {
            values.rec.push_str("");
        }
        values.message = false;
        event.record(&mut values);
        crate::logger::submit(rec);
    }
}

/// Makes the bridge the global `tracing` subscriber, unless one is set.
pub(crate) fn install() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let subscriber = tracing_subscriber::registry().with(layer());
    if tracing_core::dispatcher::has_been_set()
        || tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(subscriber))
            .is_err()
    {
        crate::diag::say(format_args!(
            "a global `tracing` subscriber is set already: add `pulselog::tracing::layer()` to it for `tracing` events to reach pulselog"
        ));
    }
}
