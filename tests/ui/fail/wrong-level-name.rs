use pulselog::prelude::*;

fn main() {
    log!(Level::Verbose, "hello");
}
