#![deny(dead_code)]
use pulselog::prelude::*;

#[logged(level = "info", args)]
fn never_called(x: u8) -> u8 {
    x
}

fn main() {}
