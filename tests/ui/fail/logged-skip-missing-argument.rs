use pulselog::prelude::*;

#[logged(args, skip(pasword))]
fn login(user: &str, password: &str) -> bool {
    user == password
}

fn main() {
    login("a", "b");
}
