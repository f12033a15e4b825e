//! fastrace: `#[trace]` spans, reported as one JSON line per span.

use crate::workload::Traced;
use fastrace::collector::{Config, Reporter, SpanContext, SpanRecord};
use fastrace::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// fastrace's `#[trace]`.
#[derive(Debug)]
pub struct Fastrace;

/// Writes each finished span as a JSON object on its own line.
struct JsonLines(BufWriter<File>);

impl Reporter for JsonLines {
    fn report(&mut self, spans: Vec<SpanRecord>) {
        for s in spans {
            let _ = writeln!(
                self.0,
                r#"{{"name":"{}","trace_id":"{}","span_id":"{}","parent_id":"{}","begin_unix_ns":{},"duration_ns":{}}}"#,
                s.name, s.trace_id, s.span_id, s.parent_id, s.begin_time_unix_ns, s.duration_ns
            );
        }
        let _ = self.0.flush();
    }
}

#[trace]
#[inline(never)]
fn work(x: u64) -> u64 {
    x.wrapping_mul(3)
}

impl Traced for Fastrace {
    fn install(out: &Path, _capacity: usize, _enabled: bool) -> Box<dyn FnOnce()> {
        let file = BufWriter::with_capacity(64 * 1024, super::open(out));
        fastrace::set_reporter(JsonLines(file), Config::default());
        Box::new(fastrace::flush)
    }

    /// fastrace records spans only under a sampled root; a disabled run has
    /// none, so `#[trace]` does nothing.
    fn scope(enabled: bool, f: &mut dyn FnMut()) {
        if enabled {
            let root = Span::root("batch", SpanContext::random());
            let _guard = root.set_local_parent();
            f();
        } else {
            f();
        }
    }

    fn call_enabled(i: u64) -> u64 {
        work(i)
    }

    fn call_disabled(i: u64) -> u64 {
        work(i)
    }

    fn lines_for(n: u64) -> u64 {
        // One line per call plus one per root of 100 calls.
        n + n.div_ceil(100)
    }
}
