//! Replay on error: requests that keep their DEBUG events (the filter is
//! INFO) and write them before their first error.
//!
//! - `replay-requests FORMAT`: 1,000 requests on 4 threads, every tenth
//!   failing, in turn by `error!`, by a `#[logged(err)]` function and by a
//!   panic; JSON, `text`, `ecs` or `otel` lines on stdout.
//! - `replay-outputs`: 20 requests, every other failing; stdout under the
//!   process filter, stderr with a filter of its own, `warning`.
//! - `replay-await`: 200 requests as tasks of a multi-thread tokio
//!   runtime, each logging across `.await`s, from a task it spawns and
//!   from a thread; every other one failing.
//! - `replay-flood REQUESTS EVENTS`: that many requests at once, as tasks,
//!   each logging that many DEBUG events and then an error, within a 1 MiB
//!   byte budget; stderr gets `vmhwm_kib=N`, the peak resident memory.

use pulselog::context::{ClosureExt, Context};
use pulselog::prelude::*;
use pulselog::{Config, Format, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `role`; false if it is not one of this module's.
pub fn run(role: &str, args: &[String]) -> bool {
    let arg = |i: usize| args.get(i).map_or("", String::as_str);
    match role {
        "replay-requests" => requests(arg(0)),
        "replay-outputs" => outputs(),
        "replay-await" => awaits(),
        "replay-flood" => flood(
            arg(0).parse().expect("requests"),
            arg(1).parse().expect("events"),
        ),
        _ => return false,
    }
    true
}

fn config() -> Config {
    Config::new()
        .level(Level::Info)
        .replay_on_error(Level::Debug)
}

#[logged(level = "debug")]
fn load(r: u64) -> u64 {
    debug!("loading", r);
    r * 2
}

#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for Declined {}

#[logged(level = "debug", err)]
fn charge(r: u64) -> Result<(), Declined> {
    if r.is_multiple_of(10) {
        Err(Declined)
    } else {
        Ok(())
    }
}

/// One request: DEBUG events (kept), an INFO line, and for every tenth
/// request an error of one of three kinds.
fn handle(r: u64) {
    debug!("step", r, i = 0);
    let doubled = load(r);
    debug!("step", r, i = 1, doubled);
    info!("handled", r);
    if !r.is_multiple_of(10) {
        let _ = charge(r);
        return;
    }
    match (r / 10) % 3 {
        0 => error!("failed", r),
        1 => {
            let _ = charge(r);
        }
        _ => {
            let _ = std::panic::catch_unwind(|| panic!("request {r} broke"));
        }
    }
    debug!("after the error", r);
}

fn requests(format: &str) {
    let format = match format {
        "text" => Format::Text,
        "ecs" => Format::Ecs,
        "otel" => Format::Otel,
        _ => Format::Json,
    };
    let _guard = config()
        .format(format)
        .panic_stderr(pulselog::PanicStderr::Never)
        .install()
        .expect("install");
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            std::thread::spawn(move || {
                for r in (t..1_000).step_by(4) {
                    Context::current()
                        .with_request_id(format!("req-{r}"))
                        .scope(|| handle(r));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("request thread");
    }
}

fn outputs() {
    let _guard = config()
        .output(Output::stdout().format(Format::Json))
        .output(Output::stderr().format(Format::Json).filter("warning"))
        .install()
        .expect("install");
    for r in 0..20u64 {
        Context::current()
            .with_request_id(format!("req-{r}"))
            .scope(|| {
                debug!("step", r, i = 0);
                warning!("slow", r);
                debug!("step", r, i = 1);
                if r % 2 == 0 {
                    error!("failed", r);
                }
            });
    }
}

fn awaits() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .expect("runtime");
    let _guard = config().install().expect("install");
    runtime.block_on(async {
        let tasks: Vec<_> = (0..200u64)
            .map(|r| {
                let ctx = Context::current().with_request_id(format!("req-{r}"));
                tokio::spawn(ctx.wrap(async move {
                    debug!("step", r, i = 0);
                    tokio::task::yield_now().await;
                    pulselog::spawn(async move { debug!("step", r, i = 1) })
                        .await
                        .expect("sub-task");
                    tokio::task::spawn_blocking(
                        (move || debug!("step", r, i = 2)).in_current_context(),
                    )
                    .await
                    .expect("blocking task");
                    tokio::task::yield_now().await;
                    debug!("step", r, i = 3);
                    if r % 2 == 0 {
                        error!("failed", r);
                    }
                }))
            })
            .collect();
        for t in tasks {
            t.await.expect("request task");
        }
    });
}

fn flood(requests: u64, events: u64) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let _guard = config()
        .byte_budget(1 << 20)
        // One ring must fit in half of the queue's three quarters.
        .capacity(1024)
        .install()
        .expect("install");
    // Every request has logged half its events before any logs its error:
    // all of them keep events at once.
    static HALFWAY: AtomicUsize = AtomicUsize::new(0);
    runtime.block_on(async {
        let tasks: Vec<_> = (0..requests)
            .map(|r| {
                let ctx = Context::current().with_request_id(format!("req-{r}"));
                tokio::spawn(ctx.wrap(async move {
                    for i in 0..events {
                        debug!("step", r, i);
                        if i == events / 2 {
                            HALFWAY.fetch_add(1, Ordering::Relaxed);
                            while HALFWAY.load(Ordering::Relaxed) < requests as usize {
                                tokio::task::yield_now().await;
                            }
                        } else if i % 100 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                    error!("failed", r);
                }))
            })
            .collect();
        for t in tasks {
            t.await.expect("request task");
        }
    });
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    eprintln!("vmhwm_kib={hwm}");
}
