//! ftlog: its own text format (no JSON), bounded channel that blocks when
//! full.

use crate::workload::Logger;
use log::LevelFilter;
use std::path::Path;
use std::sync::Mutex;

/// ftlog through the `log` facade.
#[derive(Debug)]
pub struct Ftlog;

impl Logger for Ftlog {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        let guard = ftlog::builder()
            .max_log_level(LevelFilter::Info)
            .root(super::open_stdout_like(out))
            .bounded(capacity, true)
            .utc()
            .try_init()
            .expect("ftlog installs");
        let guard = Mutex::new(Some(guard));
        Box::new(move || {
            log::logger().flush();
            drop(guard.lock().expect("guard lock").take());
        })
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
