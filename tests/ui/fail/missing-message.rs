use pulselog::prelude::*;

fn main() {
    info!();
}
