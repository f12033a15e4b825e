use pulselog::prelude::*;

#[logged]
struct Handler;

fn main() {}
