use pulselog::prelude::*;

#[logged(err)]
fn nothing() {}

#[logged(err)]
fn number() -> u32 {
    1
}

struct Opaque;

#[logged(err)]
fn opaque_error() -> Result<u32, Opaque> {
    Ok(1)
}

fn main() {
    nothing();
    number();
    let _ = opaque_error();
}
