use pulselog::prelude::*;

#[derive(Debug)]
struct OnlyDebug;

fn main() {
    info!("value {}", OnlyDebug);
}
