//! `#[logged]` with a real logger installed: the filter decides, disabled
//! events evaluate none of the recorded arguments, and lines reach the
//! output with their request context. One test: it installs the logger.

use pulselog::prelude::*;
use pulselog::{Config, Format};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

static FORMATTED: AtomicUsize = AtomicUsize::new(0);

/// Counts how often it is formatted.
struct Costly;

impl std::fmt::Display for Costly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        FORMATTED.fetch_add(1, Ordering::SeqCst);
        f.write_str("costly")
    }
}

#[logged(args)]
fn at_debug(value: &Costly) -> u8 {
    info!("body runs");
    1
}

#[logged(level = "info", args, request_id = "req-77", fields(user_id = 5))]
fn at_info(value: &Costly) -> u8 {
    helper();
    2
}

fn helper() {
    warning!("nested");
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn filter_decides_and_lines_carry_the_context() {
    let out = Shared::default();
    let guard = Config::new()
        .format(Format::Json)
        .level(Level::Info)
        .writer(out.clone())
        .install()
        .expect("first logger");

    assert_eq!(at_debug(&Costly), 1);
    assert_eq!(
        FORMATTED.load(Ordering::SeqCst),
        0,
        "disabled: not recorded"
    );
    assert_eq!(at_info(&Costly), 2);
    assert_eq!(
        FORMATTED.load(Ordering::SeqCst),
        1,
        "enabled: recorded once"
    );
    drop(guard);

    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["message"].as_str().unwrap(),
                l["levelname"].as_str().unwrap(),
                l["funcName"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("body runs", "INFO", "at_debug"),
            ("enter", "INFO", "at_info"),
            ("nested", "WARNING", "helper"),
            ("exit", "INFO", "at_info"),
        ]
    );
    assert!(lines[0].get("request_id").is_none());
    for line in &lines[1..] {
        assert_eq!(line["request_id"], "req-77", "{line}");
        assert_eq!(line["user_id"], 5, "{line}");
    }
    assert_eq!(lines[1]["value"], "costly");
    assert!(lines[3]["elapsed_ms"].as_f64().unwrap() >= 0.0);
}
