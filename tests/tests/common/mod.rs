//! Helpers shared by the test binaries: sinks for those that install a
//! logger writing to memory, a way to poll futures without a runtime, and
//! (`child`) the program for what only a whole process shows. Each binary
//! uses part of this module.
#![allow(dead_code)]

pub mod child;
pub mod in_place;
mod shared;

pub use shared::Shared;

/// The `pulselog-child` program of this package, which `child` runs.
pub const CHILD: &str = env!("CARGO_BIN_EXE_pulselog-child");

use pulselog::Config;
use std::future::Future;
use std::io::{self, Write};
use std::pin::pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Poll, Waker};

/// Polls a future to completion on this thread (no runtime needed for
/// futures that never wait on I/O).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = std::task::Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// The members of one JSON object line, in order, duplicates kept (a map
/// type would hide a duplicate key); panics if the line is not an object.
pub fn object_members(line: &str) -> Vec<(String, serde_json::Value)> {
    use serde::de::{Deserializer, MapAccess, Visitor};
    struct Members;
    impl<'de> Visitor<'de> for Members {
        type Value = Vec<(String, serde_json::Value)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    assert!(!line.contains('\n'), "one line: {line}");
    serde_json::Deserializer::from_str(line)
        .deserialize_map(Members)
        .unwrap_or_else(|e| panic!("not a JSON object ({e}): {line}"))
}

/// An output whose writes block until it is released: an output that
/// stopped draining, for as long as a test needs.
#[derive(Clone, Default)]
pub struct Gate {
    out: Shared,
    open: Arc<(Mutex<bool>, Condvar)>,
}

impl Gate {
    /// Lets every write through from now on.
    pub fn release(&self) {
        *self.open.0.lock().unwrap() = true;
        self.open.1.notify_all();
    }

    /// What was written once released.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.out.lines()
    }
}

impl Write for Gate {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (open, cv) = &*self.open;
        let _open = cv.wait_while(open.lock().unwrap(), |o| !*o).unwrap();
        self.out.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Events whose message starts with `prefix`, and the drops the logger
/// reported: together they must account for every event logged.
pub fn written_and_dropped(lines: &[serde_json::Value], prefix: &str) -> (u64, u64) {
    let written = lines
        .iter()
        .filter(|l| l["message"].as_str().unwrap().starts_with(prefix))
        .count() as u64;
    let dropped = lines
        .iter()
        .filter_map(|l| l.get("dropped"))
        .map(|d| d.as_u64().unwrap())
        .sum();
    (written, dropped)
}

/// Installs `config` writing to a gate that stays shut while `n` events are
/// logged into a ring of 2, then opens it: the logger must have dropped some
/// events, and counted and reported exactly those. With no ordering grace,
/// the writer takes the first events at once and is stuck in the output
/// from then on; with one, a ring of 2 filled within it would grow past
/// the capacity while the writer waits for its events to come of age
/// (see `Config::capacity`), and hold all `n`.
pub fn log_into_a_stuck_output(config: Config, n: u64) {
    let gate = Gate::default();
    let _guard = config
        .format(pulselog::Format::Json)
        .capacity(2)
        .ordering_grace(std::time::Duration::ZERO)
        .writer(gate.clone())
        .install()
        .unwrap();
    for i in 0..n {
        pulselog::info!("event {i}");
    }
    gate.release();
    pulselog::flush();

    let lines = gate.lines();
    let (written, dropped) = written_and_dropped(&lines, "event ");
    assert!(
        dropped > 0,
        "the ring of 2 cannot hold {n} events: {lines:?}"
    );
    assert_eq!(written + dropped, n, "{lines:?}");
}
