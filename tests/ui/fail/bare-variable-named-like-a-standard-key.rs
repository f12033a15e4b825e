use pulselog::prelude::*;

fn main() {
    let name = "n";
    let user_id = 1;
    info!("login", name);
    info!("login", user_id, user_id = 2);
}
