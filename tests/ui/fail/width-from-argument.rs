use pulselog::prelude::*;

fn main() {
    info!("{:>w$}", 1, w = 5);
}
