use pulselog::prelude::*;

struct Opaque;

fn main() {
    info!("value", v = Opaque);
}
