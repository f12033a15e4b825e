//! slog: `slog-json` behind `slog-async` with `OverflowStrategy::Block`.

use crate::workload::Logger;
use slog::{Drain, debug, info, o};
use slog_async::OverflowStrategy;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

static LOG: OnceLock<slog::Logger> = OnceLock::new();

/// slog with JSON lines.
#[derive(Debug)]
pub struct Slog;

impl Logger for Slog {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        let json = slog_json::Json::new(super::open_stdout_like(out))
            .add_default_keys()
            .build()
            .fuse();
        let (drain, guard) = slog_async::Async::new(json)
            .chan_size(capacity)
            .overflow_strategy(OverflowStrategy::Block)
            .build_with_guard();
        let drain = drain.filter_level(slog::Level::Info).fuse();
        let root = slog::Logger::root(drain, o!());
        LOG.set(root).expect("installed once");
        // The guard must outlive every log call; the closure owns it.
        let guard = Mutex::new(Some(guard));
        Box::new(move || drop(guard.lock().expect("guard lock").take()))
    }

    #[inline]
    fn event(i: u64) {
        let log = LOG.get().expect("installed");
        info!(log, "request {} failed", i; "user_id" => 99, "gateway" => "stripe");
    }

    #[inline]
    fn disabled(i: u64) {
        let log = LOG.get().expect("installed");
        debug!(log, "request {} failed", i; "user_id" => 99, "gateway" => "stripe");
    }
}
