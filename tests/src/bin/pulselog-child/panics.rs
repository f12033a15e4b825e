//! Roles about panics: what the panic hook costs the thread that panics,
//! and panics that end the process.

use pulselog::prelude::*;
use pulselog::{Config, PanicStderr};
use std::time::{Duration, Instant};

/// Runs `role`; false if it is not one of these.
pub fn run(role: &str, args: &[String]) -> bool {
    let n = args.first().and_then(|a| a.parse().ok()).unwrap_or(20);
    match role {
        "panic-cost" => cost(n),
        _ => return false,
    }
    true
}

#[inline(never)]
fn fail(i: usize) -> usize {
    let v: Vec<usize> = Vec::new();
    v[std::hint::black_box(i)]
}

/// How long each of `n` caught panics held its thread, from the `panic!`
/// to the return of `catch_unwind`.
fn panics(n: usize) -> Vec<Duration> {
    (0..n)
        .map(|i| {
            let start = Instant::now();
            let caught = std::panic::catch_unwind(|| fail(i));
            let took = start.elapsed();
            assert!(caught.is_err());
            took
        })
        .collect()
}

fn micros(d: Duration) -> u128 {
    d.as_micros()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

/// `n` panics with pulselog's hook (which alone runs: `PanicStderr::Never`),
/// after `n` with a hook that does nothing (the cost of unwinding alone);
/// the figures go to stderr as `key=value`: the first panic's cost (the
/// one that meets cold debug info) and the median of the others, in µs.
fn cost(n: usize) {
    let guard = Config::from_env()
        .panic_stderr(PanicStderr::Never)
        .install()
        .expect("install");
    info!("before the panics");
    pulselog::flush();
    let ours = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let bare = panics(n);
    std::panic::set_hook(ours);
    let hooked = panics(n);
    drop(guard);
    eprintln!(
        "bare_first_us={} bare_median_us={} hook_first_us={} hook_median_us={} hook_max_us={}",
        micros(bare[0]),
        micros(median(bare[1..].to_vec())),
        micros(hooked[0]),
        micros(median(hooked[1..].to_vec())),
        micros(*hooked.iter().max().expect("panics")),
    );
}
