//! `Overflow::Block` with an output that stops draining: a log call waits
//! up to the block timeout, then gives up; later calls drop at once. The
//! drops are counted and reported: written + reported = logged.

use pulselog::prelude::*;
use pulselog::{Config, Format, Overflow};
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A sink that blocks its first write until released.
#[derive(Clone, Default)]
struct Gate {
    lines: Arc<Mutex<Vec<u8>>>,
    open: Arc<(Mutex<bool>, Condvar)>,
}

impl Gate {
    fn release(&self) {
        *self.open.0.lock().unwrap() = true;
        self.open.1.notify_all();
    }
}

impl Write for Gate {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (open, cv) = &*self.open;
        let _open = cv.wait_while(open.lock().unwrap(), |o| !*o).unwrap();
        self.lines.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_stuck_output_makes_blocking_give_up_and_count() {
    let gate = Gate::default();
    let _guard = Config::new()
        .format(Format::Json)
        .capacity(2)
        .overflow(Overflow::Block)
        .block_timeout(Duration::from_millis(50))
        .writer(gate.clone())
        .install()
        .unwrap();
    const N: u64 = 50;
    for i in 0..N {
        info!("event {i}");
    }
    gate.release();
    pulselog::flush();

    let text = String::from_utf8(gate.lines.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let written = lines
        .iter()
        .filter(|l| l["message"].as_str().unwrap().starts_with("event "))
        .count() as u64;
    let dropped: u64 = lines
        .iter()
        .filter_map(|l| l.get("dropped"))
        .map(|d| d.as_u64().unwrap())
        .sum();
    assert!(dropped > 0, "the ring of 2 cannot hold {N} events: {text}");
    assert_eq!(written + dropped, N, "{text}");
}
