use pulselog::prelude::*;

fn main() {
    info!("message first", every: 10);
}
