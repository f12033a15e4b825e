use pulselog::prelude::*;

#[logged(args)]
fn greet(name: &str, message: &str) -> String {
    format!("{message} {name}")
}

#[logged(fields(request_id = 7, levelname = "x"))]
fn fields() {}

fn main() {
    greet("a", "b");
    fields();
}
