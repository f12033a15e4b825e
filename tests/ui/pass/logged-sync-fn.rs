// A plain function: enter and exit around the body, funcName is the name.
#![deny(warnings)]
use pulselog::prelude::*;

#[logged]
fn add(a: i32, b: i32) -> i32 {
    info!("adding");
    a + b
}

#[logged]
fn nothing() {}

// Inner attributes of the body still apply to it.
#[logged(args)]
fn with_inner_attribute(unused: u8) {
    #![allow(unused_variables)]
    let also_unused = 1;
}

pub fn main() {
    let (sum, events) = pulselog::testing::capture(|| {
        nothing();
        add(2, 3)
    });
    assert_eq!(sum, 5);
    assert_eq!(events.messages(), ["enter", "exit", "enter", "adding", "exit"]);
    assert!(events.events()[2..].iter().all(|e| e.function() == "add"));
    with_inner_attribute(1);
}
