//! logforth: JSON layout, asynchronous appender with a bounded buffer that
//! blocks when full, through the `log` facade.

use crate::workload::Logger;
use log::LevelFilter;
use logforth::append::Async;
use logforth::layout::JsonLayout;
use logforth::record::Record;
use logforth::{Append, Diagnostic, Error, Layout};
use std::fs::File;
use std::io::{LineWriter, Write};
use std::path::Path;
use std::sync::Mutex;

/// logforth with JSON lines.
#[derive(Debug)]
pub struct Logforth;

/// logforth's `Stdout` appender, pointed at the given path: the layout's
/// bytes plus a newline, written through a line-buffered writer as stdout
/// would be.
#[derive(Debug)]
struct FileAppend {
    layout: JsonLayout,
    file: Mutex<LineWriter<File>>,
}

impl Append for FileAppend {
    fn append(&self, record: &Record<'_>, diags: &[Box<dyn Diagnostic>]) -> Result<(), Error> {
        let mut line = self.layout.format(record, diags)?;
        line.push(b'\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(&line).map_err(Error::from_io_error)
    }

    fn flush(&self) -> Result<(), Error> {
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.flush().map_err(Error::from_io_error)
    }
}

impl Logger for Logforth {
    fn install(out: &Path, capacity: usize) -> Box<dyn FnOnce()> {
        let file = FileAppend {
            layout: JsonLayout::default(),
            file: Mutex::new(super::open_stdout_like(out)),
        };
        let append: Async = logforth::append::asynchronous::AsyncBuilder::new("logforth-async")
            .buffered_lines_limit(Some(capacity))
            .overflow_block()
            .append(file)
            .build();
        let logger = logforth::core::builder()
            .dispatch(|d| d.append(append))
            .build();
        log::set_boxed_logger(Box::new(logforth::bridge::log::LogBridge::new(logger)))
            .expect("logforth installs");
        log::set_max_level(LevelFilter::Info);
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
