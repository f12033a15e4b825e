use pulselog::prelude::*;

fn main() {
    info!("no placeholder", 42);
}
