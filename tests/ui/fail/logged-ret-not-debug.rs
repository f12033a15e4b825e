use pulselog::prelude::*;

struct Secret;

#[logged(ret)]
fn secret() -> Secret {
    Secret
}

fn main() {
    let _ = secret();
}
