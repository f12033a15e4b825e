use pulselog::prelude::*;

#[logged(fields(request_id = 7, levelname = "x"))]
fn fields() {}

fn main() {
    fields();
}
