//! The Observability Matrix: the logging triad, structured fields and
//! non-blocking concurrent logging, in Rust.
//!
//! ```sh
//! cargo run --example observability_matrix                        # JSON when piped, text on a terminal
//! PULSELOG_FORMAT=text cargo run --example observability_matrix
//! PULSELOG_FORMAT=json PULSELOG_LEVEL=debug cargo run --example observability_matrix
//! ```
//!
//! The triad maps onto pulselog like this:
//! - **logger**: every module is a logger; its name is the module path
//!   (`name` in JSON), and `PULSELOG_LEVEL=warn,observability_matrix::worker=debug`
//!   filters per module;
//! - **handler**: one background writer thread streams lines to stdout
//!   (12-factor), so no log call waits on I/O;
//! - **formatter**: JSON (python-json-logger keys) or a text template, here
//!   the classic `%(asctime)s | %(levelname)-8s | [%(filename)s:%(lineno)d] | %(message)s`.

use pulselog::prelude::*;
use pulselog::{Config, TextFormat};
use std::time::{Duration, Instant};

mod auth {
    use pulselog::prelude::*;

    pub fn init() {
        info!("Authentication service initialized.");
        debug!("token cache warmed", entries = 128);
    }
}

mod payments {
    use pulselog::prelude::*;

    pub fn charge(user_id: u64, gateway: &str, amount_cents: u64) {
        info!(
            "charging {amount_cents} cents",
            user_id = user_id,
            gateway = gateway,
            amount_cents = amount_cents
        );
        if gateway == "stripe" {
            error!("Payment failed", user_id = user_id, gateway = gateway);
        }
    }
}

mod config {
    use pulselog::prelude::*;
    use std::io;

    /// A three-level error chain: what failed, why, and the root cause.
    #[derive(Debug, thiserror::Error)]
    #[error("could not load the configuration")]
    pub struct ConfigError(#[source] ReadError);

    #[derive(Debug, thiserror::Error)]
    #[error("could not read {path}")]
    pub struct ReadError {
        path: String,
        #[source]
        source: io::Error,
    }

    fn read(path: &str) -> Result<String, ConfigError> {
        std::fs::read_to_string(path).map_err(|source| {
            ConfigError(ReadError {
                path: path.to_owned(),
                source,
            })
        })
    }

    /// Python's `logger.error("…", exc_info=True)`: the whole chain, and a
    /// backtrace with the `exc_info` flag.
    pub fn load(path: &str) {
        match read(path) {
            Ok(text) => info!("configuration loaded", bytes = text.len()),
            Err(err) => log_error!(err, "config load failed", exc_info, path = path),
        }
    }
}

mod indexing {
    use pulselog::prelude::*;

    /// The seed's exercise: an out-of-bounds index, caught and logged with
    /// everything needed to find it (the panic hook logs it too, at
    /// CRITICAL, with its location).
    pub fn lookup(items: &[u32], index: usize) -> Option<u32> {
        match std::panic::catch_unwind(|| items[index]) {
            Ok(v) => Some(v),
            Err(payload) => {
                log_error!(
                    payload,
                    "Mathematical anomaly detected!",
                    exc_info,
                    index = index,
                    len = items.len()
                );
                None
            }
        }
    }
}

mod worker {
    use pulselog::prelude::*;
    use std::time::{Duration, Instant};

    /// Makes two log calls per step (one DEBUG, filtered out by default);
    /// returns the time spent inside log calls — the part a blocking logger
    /// would make the task wait — and the slowest single step.
    pub async fn process_data(task: u32, events: u32) -> (Duration, Duration) {
        let mut total = Duration::ZERO;
        let mut slowest = Duration::ZERO;
        for step in 0..events {
            let t = Instant::now();
            debug!("step {step} starting", task = task);
            if step == 0 {
                info!("Processing started...", task = task);
            } else if step == events / 2 {
                warning!(
                    "Data source latency detected.",
                    task = task,
                    latency_ms = 250
                );
            } else {
                info!("processed batch {step}", task = task, rows = step * 10);
            }
            let spent = t.elapsed();
            total += spent;
            slowest = slowest.max(spent);
            if step % 64 == 0 {
                tokio::task::yield_now().await;
            }
        }
        (total, slowest)
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let _guard = Config::from_env()
        .text(
            TextFormat::new()
                .template("%(asctime)s | %(levelname)-8s | [%(filename)s:%(lineno)d] | %(message)s")
                .datefmt("%Y-%m-%d %H:%M:%S"),
        )
        .install()
        .unwrap_or_else(|e| {
            eprintln!("observability_matrix: {e}");
            std::process::exit(2)
        });

    auth::init();
    payments::charge(99, "stripe", 4_200);
    payments::charge(7, "adyen", 1_000);
    config::load("/etc/observability-matrix/missing.toml");
    indexing::lookup(&[10, 20, 30], 7);

    // Ten concurrent tasks log without waiting for stdout.
    let tasks = 10;
    let events_per_task = 200;
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|task| tokio::spawn(worker::process_data(task, events_per_task)))
        .collect();
    let mut in_log_calls = Duration::ZERO;
    let mut slowest = Duration::ZERO;
    for h in handles {
        let (total, worst) = h.await.expect("worker task");
        in_log_calls += total;
        slowest = slowest.max(worst);
    }
    let calls = u64::from(tasks) * u64::from(events_per_task) * 2;
    #[allow(clippy::cast_precision_loss)]
    let mean_ns = in_log_calls.as_nanos() as f64 / calls as f64;
    info!(
        "{tasks} concurrent tasks finished",
        log_calls = calls,
        mean_ns_per_call = mean_ns.round(),
        slowest_call_us = slowest.as_micros(),
        wall_ms = started.elapsed().as_millis()
    );
}
