use pulselog::prelude::*;

fn main() {
    info!(every: 0, "never written");
    debug!(first: 0, "never written");
    warning!(per_sec: 0, "never written");
    error!(per_sec: 5_000_000_000, "more than u32::MAX a second");
}
