use pulselog::prelude::*;

fn main() {
    info!("a } b");
    info!("a { b");
}
