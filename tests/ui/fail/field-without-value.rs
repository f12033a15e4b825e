use pulselog::prelude::*;

fn main() {
    info!("charged", user_id = );
}
