use pulselog::prelude::*;

#[logged]
const fn answer() -> u32 {
    42
}

const ANSWER: u32 = answer();

fn main() {
    let _ = ANSWER;
}
