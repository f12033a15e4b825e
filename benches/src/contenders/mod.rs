//! One module per contender: how it is installed and how it spells the
//! common record.

pub mod baseline;
pub mod env_logger;
pub mod fastrace;
pub mod ftlog;
pub mod logforth;
pub mod pulselog;
pub mod ring_bound;
pub mod slog;
pub mod spdlog;
pub mod tracing;
pub mod volume;

use std::fs::File;
use std::io::LineWriter;
use std::path::Path;

/// Opens (truncates) the sink a contender writes to.
pub(crate) fn open(out: &Path) -> File {
    File::create(out).unwrap_or_else(|e| panic!("cannot open {}: {e}", out.display()))
}

/// The sink as a logger that writes to stdout sees it: Rust's stdout is
/// line-buffered, so a line reaches the file in one `write` however many
/// pieces the logger writes it in. Loggers that batch by themselves
/// (pulselog, spdlog's file sink) get the file as is.
pub(crate) fn open_stdout_like(out: &Path) -> LineWriter<File> {
    LineWriter::new(open(out))
}

/// The common record through the `log` facade, for every contender that sits
/// behind it (env_logger, ftlog, logforth): one spelling, so they all log the
/// same thing.
#[inline]
pub(crate) fn log_facade_event(i: u64) {
    log::info!(user_id = 99, gateway = "stripe"; "request {i} failed");
}

/// The common record at DEBUG (filtered out) through the `log` facade.
#[inline]
pub(crate) fn log_facade_disabled(i: u64) {
    log::debug!(user_id = 99, gateway = "stripe"; "request {i} failed");
}
