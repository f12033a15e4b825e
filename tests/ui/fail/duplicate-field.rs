use pulselog::prelude::*;

fn main() {
    info!("login", user_id = 1, user_id = 2);
}
