// `mut` arguments, sync and async, with `ret`.
#![deny(warnings)]
use pulselog::prelude::*;

#[logged(args, ret)]
fn countdown(mut n: u32) -> u32 {
    let mut steps = 0;
    while n > 0 {
        n -= 1;
        steps += 1;
    }
    steps
}

#[logged(args)]
async fn append(mut v: Vec<u8>, x: u8) -> Vec<u8> {
    v.push(x);
    v
}

pub fn main() {
    let (s, events) = pulselog::testing::capture(|| countdown(3));
    assert_eq!(s, 3);
    assert_eq!(events.find("enter").field("n").unwrap(), 3);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(append(vec![1], 2)), [1, 2]);
}
