use pulselog::prelude::*;

fn main() {
    info!("login", message = "hi", levelname = "x", request_id = 7);
}
