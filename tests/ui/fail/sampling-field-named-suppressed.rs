use pulselog::prelude::*;

fn main() {
    let suppressed = 3;
    info!(every: 10, "a field of that name", suppressed = 1);
    info!(first: 10, "a bare variable of that name", suppressed);
    // Without sampling, the name is free.
    info!("not sampled", suppressed);
}
