use pulselog::prelude::*;

fn main() {
    info!(evry: 10, "misspelt");
    info!(per_second: 5, "close");
    info!(frist: 3, "swapped letters");
    info!(limit: 5, "unknown");
}
