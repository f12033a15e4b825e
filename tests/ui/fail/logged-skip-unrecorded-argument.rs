use pulselog::prelude::*;

// `args(user)` records only `user`: skipping `password` means nothing.
#[logged(args(user), skip(password))]
fn login(user: &str, password: &str) -> bool {
    user == password
}

// Without `args` no argument is recorded at all.
#[logged(skip(password))]
fn logout(password: &str) -> bool {
    password.is_empty()
}

fn main() {
    login("a", "b");
    logout("b");
}
