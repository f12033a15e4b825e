use pulselog::prelude::*;

const N: u64 = 100;

fn main() {
    info!(every: N, "a constant");
    info!(first: 5 + 5, "an expression");
    info!(per_sec: 2.5, "a float");
    info!(every: -1, "a negative number");
}
