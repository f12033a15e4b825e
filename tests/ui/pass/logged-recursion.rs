// Recursion, sync and async (boxed).
#![deny(warnings)]
use pulselog::prelude::*;
use std::future::Future;
use std::pin::Pin;

#[logged(args, ret)]
fn fact(n: u64) -> u64 {
    if n <= 1 { 1 } else { n * fact(n - 1) }
}

#[logged(args)]
fn depth(n: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move { if n == 0 { 0 } else { 1 + depth(n - 1).await } })
}

pub fn main() {
    let (v, events) = pulselog::testing::capture(|| fact(4));
    assert_eq!(v, 24);
    assert_eq!(events.len(), 8);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (d, events) = rt.block_on(pulselog::testing::capture_async(depth(3)));
    assert_eq!(d, 3);
    // enter 3, enter 2, enter 1, enter 0, exit ×4: each exit after its future completes.
    assert_eq!(events.messages(), ["enter", "enter", "enter", "enter", "exit", "exit", "exit", "exit"]);
}
