use pulselog::prelude::*;

#[logged(args(usr, user, user))]
fn login(user: &str) -> bool {
    user.is_empty()
}

fn main() {
    login("a");
}
