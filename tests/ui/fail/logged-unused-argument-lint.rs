#![deny(unused_variables)]
use pulselog::prelude::*;

#[logged]
fn handler(used: u8, unused: u8) -> u8 {
    used
}

#[logged(fields(k = 1))]
async fn handler_async(unused: u8) {}

fn main() {
    handler(1, 2);
    let _ = handler_async(1);
}
