//! The Observability Matrix: the logging triad, structured fields, errors
//! with their whole chain, and ten concurrent requests that each carry their
//! own request id on every line — without blocking and without passing the
//! id by hand.
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

    #[derive(Debug, thiserror::Error)]
    #[error("card declined by {gateway}")]
    pub struct Declined {
        gateway: String,
    }

    /// `err`: an `Err` return becomes an ERROR event with its error chain,
    /// inside the caller's request context.
    #[logged(err, args(user_id, gateway))]
    pub fn charge(user_id: u64, gateway: &str, amount_cents: u64) -> Result<u64, Declined> {
        info!(
            "charging {amount_cents} cents",
            user_id = user_id,
            gateway = gateway
        );
        if gateway == "stripe" {
            error!("Payment failed", user_id = user_id, gateway = gateway);
            return Err(Declined {
                gateway: gateway.to_owned(),
            });
        }
        Ok(amount_cents)
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

    /// Python's `IndexError` exercise: an out-of-bounds index, caught and logged with
    /// everything needed to find it (the panic hook logs it too, at
    /// CRITICAL, with its location and the request id).
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
    /// would make the task wait — and the slowest single step. It never sees
    /// the request id, yet every line it logs carries it.
    pub async fn process_data(events: u32) -> (Duration, Duration) {
        let mut total = Duration::ZERO;
        let mut slowest = Duration::ZERO;
        for step in 0..events {
            let t = Instant::now();
            debug!("step {step} starting");
            if step == 0 {
                info!("Processing started...");
            } else if step == events / 2 {
                warning!("Data source latency detected.", latency_ms = 250);
            } else {
                info!("processed batch {step}", rows = step * 10);
            }
            let spent = t.elapsed();
            total += spent;
            slowest = slowest.max(spent);
            if step.is_multiple_of(16) {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
        (total, slowest)
    }
}

/// One request: a fresh request id (a UUID) for everything logged inside,
/// including nested calls, across `.await` and worker threads.
#[logged(level = "info", request_id, fields(task = task))]
async fn handle_request(task: u32, events: u32) -> (Duration, Duration) {
    let measured = worker::process_data(events).await;
    if task.is_multiple_of(4) {
        let gateway = if task == 0 { "stripe" } else { "adyen" };
        let _ = payments::charge(u64::from(task) + 100, gateway, 1_500);
    }
    if task == 7 {
        indexing::lookup(&[10, 20, 30], 7);
    }
    measured
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
    config::load("/etc/observability-matrix/missing.toml");

    // Ten concurrent requests log without waiting for stdout; each line
    // carries its own request's id.
    let tasks = 10;
    let events_per_task = 200;
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|task| pulselog::spawn(handle_request(task, events_per_task)))
        .collect();
    let mut in_log_calls = Duration::ZERO;
    let mut slowest = Duration::ZERO;
    for h in handles {
        let (total, worst) = h.await.expect("request task");
        in_log_calls += total;
        slowest = slowest.max(worst);
    }
    let calls = u64::from(tasks) * u64::from(events_per_task) * 2;
    #[allow(clippy::cast_precision_loss)]
    let mean_ns = in_log_calls.as_nanos() as f64 / calls as f64;
    info!(
        "{tasks} concurrent requests finished",
        log_calls = calls,
        mean_ns_per_call = mean_ns.round(),
        slowest_step_us = slowest.as_micros(),
        wall_ms = started.elapsed().as_millis()
    );
}
