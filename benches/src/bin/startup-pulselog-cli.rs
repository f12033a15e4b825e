//! `bench startup`'s child for pulselog's command-line set-up: a tool that
//! installs `pulselog::cli!()` (stderr, written by the caller, Ctrl-C
//! flushed), logs one line and exits, as env_logger's child does.

fn main() {
    let _guard = pulselog::cli!().install().expect("logger installed");
    pulselog::info!("started", files = 3);
}
