use pulselog::prelude::*;

#[logged(level = "verbose")]
fn a() {}

#[logged(err(level = "notice"))]
fn b() -> Result<(), String> {
    Ok(())
}

fn main() {
    a();
    let _ = b();
}
