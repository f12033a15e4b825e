//! tracing: `tracing-subscriber` fmt JSON through `tracing-appender`'s
//! non-blocking writer in its lossless mode (`lossy(false)`).

use crate::workload::{ConfigError, Logger, ParseError, Request, RootError, Traced, run_ready};
use std::path::Path;
use tracing::{Level, debug, info, instrument};
use tracing_appender::non_blocking::NonBlockingBuilder;
use tracing_subscriber::fmt::format::FmtSpan;

/// tracing with fmt JSON events.
#[derive(Debug)]
pub struct Tracing;

fn install(out: &Path, capacity: usize, spans: FmtSpan) -> Box<dyn FnOnce()> {
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(capacity)
        .finish(super::open_stdout_like(out));
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_span_events(spans)
        .with_max_level(Level::INFO)
        .with_writer(writer)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("tracing installs");
    Box::new(move || drop(guard))
}

impl Logger for Tracing {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        install(out, capacity, FmtSpan::NONE)
    }

    #[inline]
    fn event(i: u64) {
        info!(user_id = 99, gateway = "stripe", "request {i} failed");
    }

    #[inline]
    fn disabled(i: u64) {
        debug!(user_id = 99, gateway = "stripe", "request {i} failed");
    }
}

/// tracing's `#[instrument]`, with a JSON line per span close.
#[derive(Debug)]
pub struct Instrument;

#[instrument(level = "info")]
#[inline(never)]
fn work_info(x: u64) -> u64 {
    x.wrapping_mul(3)
}

#[instrument(level = "debug")]
#[inline(never)]
fn work_debug(x: u64) -> u64 {
    x.wrapping_mul(3)
}

impl Traced for Instrument {
    fn install(out: &Path, capacity: usize, _enabled: bool) -> Box<dyn FnOnce()> {
        install(out, capacity, FmtSpan::CLOSE)
    }

    fn call_enabled(i: u64) -> u64 {
        work_info(i)
    }

    fn call_disabled(i: u64) -> u64 {
        work_debug(i)
    }

    fn lines_for(n: u64) -> u64 {
        n
    }
}

/// tracing's request scope: an `#[instrument]`ed async handler with a
/// `request_id` span field, logging the error (the JSON formatter prints
/// its message; tracing records no chain or type).
#[derive(Debug)]
pub struct RequestSpan;

#[instrument(level = "info", skip_all, fields(request_id = %id))]
async fn handle_request(id: u64) {
    let err = ConfigError(ParseError(RootError));
    tracing::error!(
        error = &err as &(dyn std::error::Error + 'static),
        "request failed"
    );
}

impl Request for RequestSpan {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        install(out, capacity, FmtSpan::NONE)
    }

    fn handle(i: u64) {
        run_ready(handle_request(i));
    }
}
