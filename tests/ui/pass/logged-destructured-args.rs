// Destructured arguments: `args` records the bindings.
#![deny(warnings)]
use pulselog::prelude::*;

struct Point {
    x: i32,
    y: i32,
}

#[logged(args)]
fn manhattan(Point { x, y }: Point, (dx, _): (i32, i32)) -> i32 {
    x.abs() + y.abs() + dx
}

#[logged]
async fn swap((a, b): (u8, u8)) -> (u8, u8) {
    (b, a)
}

pub fn main() {
    let (d, events) = pulselog::testing::capture(|| manhattan(Point { x: 1, y: -2 }, (3, 4)));
    assert_eq!(d, 6);
    let keys: Vec<_> = events.find("enter").fields().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["x", "y", "dx"]);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(swap((1, 2))), (2, 1));
}
