//! Helpers shared by the pipeline's test binaries: an in-memory output
//! for those that install a logger, and (`child`) the running of this
//! package's program. Each binary uses part of this module.
#![allow(dead_code)]

/// The runner of `pulselog-tests`' process-level tests, on this package's
/// program: one place for the environment a child gets and for a hung
/// child failing its test.
#[path = "../../../tests/common/child.rs"]
pub mod child;

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// The `pulselog-pipeline-child` program of this package, which `child`
/// runs.
pub const CHILD: &str = env!("CARGO_BIN_EXE_pulselog-pipeline-child");

/// An in-memory output.
#[derive(Clone, Default)]
pub struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("UTF-8 output")
    }

    /// Everything written so far, one JSON value per line.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
