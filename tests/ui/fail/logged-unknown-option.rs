use pulselog::prelude::*;

#[logged(levle = "info")]
fn handler() {}

fn main() {
    // The function is still emitted: no "cannot find function" cascade.
    handler();
}
