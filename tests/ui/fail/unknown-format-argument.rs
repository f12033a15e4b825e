use pulselog::prelude::*;

fn main() {
    info!("hello {nobody}");
}
