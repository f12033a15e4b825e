use pulselog::prelude::*;

#[logged(level = "info", ret, level = "debug", ret)]
fn handler() -> u8 {
    1
}

fn main() {
    handler();
}
