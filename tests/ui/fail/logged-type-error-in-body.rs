use pulselog::prelude::*;

#[logged(ret)]
fn count(items: &[u8]) -> u32 {
    items.len()
}

#[logged]
async fn name() -> String {
    42
}

fn main() {
    let _ = count(&[]);
    let _ = name();
}
