use pulselog::prelude::*;

fn main() {
    info!("{} and {}", 1);
    info!("{3}", 1);
}
