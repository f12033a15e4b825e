use pulselog::prelude::*;

#[logged(name = "billing::charge")]
fn a() {}

#[logged(name = "")]
fn b() {}

fn main() {
    a();
    b();
}
