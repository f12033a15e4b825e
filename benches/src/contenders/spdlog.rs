//! spdlog-rs: JSON formatter, file sink behind an `AsyncPoolSink` with
//! `OverflowPolicy::Block`.

use crate::workload::Logger;
use spdlog::formatter::JsonFormatter;
use spdlog::sink::{AsyncPoolSink, FileSink, OverflowPolicy, Sink};
use spdlog::{LevelFilter, ThreadPool, debug, info};
use std::num::NonZeroUsize;
use std::path::Path;

/// spdlog-rs, asynchronous, through the default logger as users call it.
#[derive(Debug)]
pub struct Spdlog;

impl Logger for Spdlog {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        let file = FileSink::builder()
            .path(out)
            .truncate(true)
            .formatter(JsonFormatter::new())
            .build_arc()
            .expect("file sink");
        let pool = ThreadPool::builder()
            .capacity(NonZeroUsize::new(capacity).expect("non-zero capacity"))
            .build_arc()
            .expect("thread pool");
        let sink = AsyncPoolSink::builder()
            .sink(file.clone())
            .thread_pool(pool)
            .overflow_policy(OverflowPolicy::Block)
            .build_arc()
            .expect("async sink");
        let logger = spdlog::Logger::builder()
            .sink(sink.clone())
            .level_filter(LevelFilter::MoreSevereEqual(spdlog::Level::Info))
            .build_arc()
            .expect("logger");
        spdlog::set_default_logger(logger);
        Box::new(move || {
            // Tearing the pool down (the sink's exit flush) runs every queued
            // task; then the file sink's buffer is written.
            let empty = spdlog::Logger::builder().build_arc().expect("logger");
            drop(spdlog::swap_default_logger(empty));
            let _ = sink.flush_on_exit();
            drop(sink);
            let _ = file.flush();
        })
    }

    #[inline]
    fn event(i: u64) {
        info!("request {} failed", i, kv: { user_id = 99, gateway = "stripe" });
    }

    #[inline]
    fn disabled(i: u64) {
        debug!("request {} failed", i, kv: { user_id = 99, gateway = "stripe" });
    }
}
