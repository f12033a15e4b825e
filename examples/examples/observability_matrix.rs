//! The Observability Matrix: the logging triad, structured fields, an error
//! with its whole chain, a panic, and ten concurrent requests that each
//! carry their own request id on every line — without blocking and without
//! passing the id by hand. It fits a screen: each idea is shown once.
//!
//! ```sh
//! cargo run --example observability_matrix                        # text on a terminal, JSON when piped
//! cargo run --example observability_matrix -- --full              # full volume: a line per step
//! PULSELOG_FORMAT=json cargo run --example observability_matrix   # the same events as JSON
//! PULSELOG_LEVEL=debug cargo run --example observability_matrix   # DEBUG lines too
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
use std::time::Instant;

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

    /// `err`: an `Err` return becomes an ERROR event, `charge failed`, with
    /// its error chain, inside the caller's request context.
    #[logged(err, args(user_id, gateway))]
    pub fn charge(user_id: u64, gateway: &str, amount_cents: u64) -> Result<u64, Declined> {
        info!("charging {amount_cents} cents", user_id, gateway);
        if gateway == "stripe" {
            error!("Payment failed", user_id, gateway);
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
            Err(err) => log_error!(err, "config load failed", exc_info, path),
        }
    }
}

mod indexing {
    use pulselog::prelude::*;

    /// Python's `IndexError` exercise: an out-of-bounds index. The panic
    /// hook reports it once, at CRITICAL, with its location, backtrace and
    /// the request id; the caller goes on with a default.
    pub fn lookup(items: &[u32], index: usize) -> Option<u32> {
        let found = std::panic::catch_unwind(|| items[index]).ok();
        if found.is_none() {
            warning!("lookup failed, answering None", index, len = items.len());
        }
        found
    }
}

mod worker {
    use pulselog::prelude::*;
    use std::time::{Duration, Instant};

    /// What one request's logging cost.
    #[derive(Default)]
    pub struct Cost {
        /// Log calls made, enabled or not.
        pub calls: u64,
        /// Lines those calls wrote.
        pub lines: u64,
        /// Time spent inside log calls: what a blocking logger would make
        /// the task wait for.
        pub in_calls: Duration,
    }

    /// Two log calls per step (a DEBUG one, filtered out by default; an
    /// INFO one at full volume), a summary line at the end. It never sees
    /// the request id, yet every line it logs carries it.
    pub async fn process_data(task: u32, events: u32, full: bool) -> Cost {
        let mut cost = Cost::default();
        let debug_on = pulselog::enabled!(Level::Debug);
        for step in 0..events {
            let t = Instant::now();
            debug!("step {step} starting");
            if full {
                info!("processed batch {step}", rows = step * 10);
            }
            if task == 3 && step == events / 2 {
                warning!("Data source latency detected.", latency_ms = 250);
                cost.lines += 1;
                cost.calls += 1;
            }
            cost.in_calls += t.elapsed();
            cost.calls += 2;
            cost.lines += u64::from(debug_on) + u64::from(full);
            if step.is_multiple_of(16) {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
        info!("processed {events} batches", rows = events * 10);
        cost.calls += 1;
        cost.lines += 1;
        cost
    }
}

/// One request: a fresh request id (a UUID) for everything logged inside,
/// including nested calls, across `.await` and worker threads.
#[logged(level = "info", request_id, fields(task = task))]
async fn handle_request(task: u32, events: u32, full: bool) -> worker::Cost {
    let cost = worker::process_data(task, events, full).await;
    if task.is_multiple_of(4) {
        let gateway = if task == 0 { "stripe" } else { "adyen" };
        let _ = payments::charge(u64::from(task) + 100, gateway, 1_500);
    }
    if task == 7 {
        indexing::lookup(&[10, 20, 30], 7);
    }
    cost
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let full = std::env::args().any(|a| a == "--full");
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

    info!("Text on a terminal, JSON when piped: PULSELOG_FORMAT=json shows these events as JSON.");
    auth::init();
    config::load("/etc/observability-matrix/missing.toml");

    // Ten concurrent requests log without waiting for stdout; each line
    // carries its own request's id.
    let tasks = 10;
    let events_per_task = 200;
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|task| pulselog::spawn(handle_request(task, events_per_task, full)))
        .collect();
    let mut total = worker::Cost::default();
    for h in handles {
        let cost = h.await.expect("request task");
        total.calls += cost.calls;
        total.lines += cost.lines;
        total.in_calls += cost.in_calls;
    }
    #[allow(clippy::cast_precision_loss)]
    let mean_ns = (total.in_calls.as_nanos() as f64 / total.calls as f64).round();
    info!(
        "{tasks} concurrent requests: their workers made {} log calls and wrote {} lines (the rest were below the level); {mean_ns} ns per call on average",
        total.calls,
        total.lines,
        log_calls = total.calls,
        lines = total.lines,
        mean_ns_per_call = mean_ns,
        wall_ms = started.elapsed().as_millis(),
    );
}
