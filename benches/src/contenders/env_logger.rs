//! `log` + `env_logger`: synchronous text lines (it has no JSON output),
//! written by the calling thread.

use crate::workload::Logger;
use env_logger::{Builder, Target};
use log::LevelFilter;
use std::path::Path;

/// env_logger with its default format (fields appended as `key=value`).
#[derive(Debug)]
pub struct EnvLogger;

impl Logger for EnvLogger {
    fn install(out: &Path, _capacity: usize) -> Box<dyn FnOnce()> {
        Builder::new()
            .filter_level(LevelFilter::Info)
            .target(Target::Pipe(Box::new(super::open_stdout_like(out))))
            .write_style(env_logger::WriteStyle::Never)
            .init();
        Box::new(|| log::logger().flush())
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
