use pulselog::prelude::*;

fn main() {
    info!(every: 10, first: 5, "two ways");
    info!(per_sec: 5, per_sec: 10, "the same key twice");
    info!(target: "a", target: "b", "two targets");
}
