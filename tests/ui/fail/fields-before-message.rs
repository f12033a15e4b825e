use pulselog::prelude::*;

#[derive(Debug)]
struct User;

fn main() {
    let user_id = 7;
    let user = User;
    info!(user_id, "charged");
    warning!(user_id, amount = 5, ?user, "charged {}", 3);
}
