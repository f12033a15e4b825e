use pulselog::prelude::*;

fn main() {
    let name = String::from("audit");
    info!(target: name.as_str(), "login");
    info!(target: "audit");
}
