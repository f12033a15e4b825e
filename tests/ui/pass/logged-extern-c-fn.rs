// `extern "C" fn`, callable through a C function pointer.
#![deny(warnings)]
use pulselog::prelude::*;

#[logged(args)]
extern "C" fn callback(code: i32) -> i32 {
    code + 1
}

pub fn main() {
    let f: extern "C" fn(i32) -> i32 = callback;
    let (v, events) = pulselog::testing::capture(|| f(1));
    assert_eq!(v, 2);
    assert_eq!(events.find("enter").field("code").unwrap(), 1);
}
