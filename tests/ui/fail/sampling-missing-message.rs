use pulselog::prelude::*;

fn main() {
    info!(every: 10);
}
