//! pulselog: JSON (or ECS, or OTLP/JSON) to the sink, bounded queue,
//! `Overflow::Block`.

use crate::workload::{ConfigError, Logger, ParseError, Request, RootError, Traced, run_ready};
use pulselog::prelude::*;
use pulselog::{Config, Format, Output, Overflow};
use std::path::Path;

/// pulselog with its default JSON schema.
#[derive(Debug)]
pub struct Pulselog;

impl Logger for Pulselog {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        install(out, capacity)
    }

    // The ECS and OTel rows call these too; with several callers the
    // compiler stopped inlining them into the timed loops, and W3 measured a
    // function call (1.6 ns) instead of the call site (0.4 ns). A log macro
    // expands where it is written: the loops time it there.
    #[inline(always)]
    fn event(i: u64) {
        info!("request {i} failed", user_id = 99, gateway = "stripe");
    }

    #[inline(always)]
    fn disabled(i: u64) {
        debug!("request {i} failed", user_id = 99, gateway = "stripe");
    }
}

/// pulselog as the `log` facade's logger: the common record through
/// `log::info!`, as a crate that logs through `log` writes it.
#[derive(Debug)]
pub struct ViaLog;

impl Logger for ViaLog {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        install(out, capacity)
    }

    #[inline]
    fn event(i: u64) {
        super::log_facade_event(i);
    }

    #[inline]
    fn disabled(i: u64) {
        super::log_facade_disabled(i);
    }
}

/// pulselog as the `tracing` subscriber: the common record through
/// `tracing::info!`, as a crate instrumented with `tracing` writes it.
#[derive(Debug)]
pub struct ViaTracing;

impl Logger for ViaTracing {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        install(out, capacity)
    }

    #[inline]
    fn event(i: u64) {
        tracing::info!(user_id = 99, gateway = "stripe", "request {i} failed");
    }

    #[inline]
    fn disabled(i: u64) {
        tracing::debug!(user_id = 99, gateway = "stripe", "request {i} failed");
    }
}

/// The same event, in another output format: the rows beside JSON.
macro_rules! in_format {
    ($($(#[$doc:meta])* $name:ident => $format:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl Logger for $name {
            fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
                install_as($format, out, capacity)
            }

            #[inline]
            fn event(i: u64) {
                Pulselog::event(i);
            }

            #[inline]
            fn disabled(i: u64) {
                Pulselog::disabled(i);
            }
        }
    )*};
}

in_format! {
    /// pulselog writing Elastic Common Schema lines.
    PulselogEcs => Format::Ecs;
    /// pulselog writing OTLP/JSON lines.
    PulselogOtel => Format::Otel;
    /// pulselog writing text lines (run by hand only: see `run_job`).
    PulselogText => Format::Text;
}

fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
    install_as(Format::Json, out, capacity)
}

/// pulselog with two outputs: the JSON lines to the sink, and the same
/// events as text to a second file beside it (`/dev/null` when the sink is
/// `/dev/null`), as a service with a local debug file has.
#[derive(Debug)]
pub struct TwoOutputs;

impl Logger for TwoOutputs {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        let text = if out == Path::new("/dev/null") {
            out.to_path_buf()
        } else {
            out.with_extension("text")
        };
        let guard = Config::new()
            .level(Level::Info)
            .overflow(Overflow::Block)
            .capacity(capacity)
            .output(Output::writer(super::open(out)).format(Format::Json))
            .output(Output::writer(super::open(&text)).format(Format::Text))
            .install()
            .expect("pulselog installs");
        Box::new(move || drop(guard))
    }

    #[inline]
    fn event(i: u64) {
        Pulselog::event(i);
    }

    #[inline]
    fn disabled(i: u64) {
        Pulselog::disabled(i);
    }
}

fn install_as(format: Format, out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
    let guard = Config::new()
        .format(format)
        .level(Level::Info)
        .overflow(Overflow::Block)
        .capacity(capacity)
        .writer(super::open(out))
        .install()
        .expect("pulselog installs");
    Box::new(move || drop(guard))
}

/// pulselog's `#[logged]`: an `enter` and an `exit` line (with
/// `elapsed_ms`) per call.
#[derive(Debug)]
pub struct Logged;

#[logged(level = "info")]
#[inline(never)]
fn work_info(x: u64) -> u64 {
    x.wrapping_mul(3)
}

#[logged]
#[inline(never)]
fn work_debug(x: u64) -> u64 {
    x.wrapping_mul(3)
}

impl Traced for Logged {
    fn install(out: &Path, capacity: usize, _enabled: bool) -> Box<dyn FnOnce()> {
        install(out, capacity)
    }

    fn call_enabled(i: u64) -> u64 {
        work_info(i)
    }

    fn call_disabled(i: u64) -> u64 {
        work_debug(i)
    }

    fn lines_for(n: u64) -> u64 {
        2 * n
    }
}

/// pulselog's request scope: `#[logged(request_id = id)]` on an async
/// handler (its enter/exit at DEBUG, filtered out, as tracing's span lines
/// are not written either) and `log_error!` with the error's type and whole
/// chain.
#[derive(Debug)]
pub struct RequestScope;

#[logged(request_id = id)]
async fn handle_request(id: u64) {
    let err = ConfigError(ParseError(RootError));
    log_error!(err, "request failed");
}

impl Request for RequestScope {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        install(out, capacity)
    }

    fn handle(i: u64) {
        run_ready(handle_request(i));
    }
}
