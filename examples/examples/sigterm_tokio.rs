//! A tokio service that ends on SIGTERM (or Ctrl-C) with every line
//! written: tokio's handler only wakes a task, the task ends `main`, and
//! the guard's drop at the end of `main` writes everything queued.
//! `cargo run --example sigterm_tokio`, then `kill <pid>`.

use std::time::Duration;

#[tokio::main]
async fn main() {
    let _guard = pulselog::init();
    tokio::select! {
        // Polled first, so its handler is in place before any work starts.
        biased;
        signal = stop_signal() => pulselog::info!("stopping", signal),
        () = work() => {}
    }
}

/// Waits for SIGTERM or Ctrl-C; the signal's name.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

async fn work() {
    for step in 0u64.. {
        pulselog::info!("working", step);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
