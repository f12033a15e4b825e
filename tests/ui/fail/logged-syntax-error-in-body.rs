use pulselog::prelude::*;

// A body that does not parse is passed through: the compiler reports the
// user's syntax error, once, and nothing about the attribute.
#[logged(args)]
fn broken(x: u32) -> u32 {
    let y = ;
    x + y
}

fn main() {
    broken(1);
}
