use pulselog::prelude::*;

fn main() {
    let msg = String::from("hello");
    info!(msg);
}
