use pulselog::prelude::*;

fn main() {
    info!("charged", user_id = 1 amount = 2);
}
