// `impl Trait` in argument position, recorded through `Display`.
#![deny(warnings)]
use pulselog::prelude::*;
use std::fmt::Display;

#[logged(args)]
fn shout(text: impl Display, times: usize) -> String {
    text.to_string().to_uppercase().repeat(times)
}

#[logged]
fn total(items: impl IntoIterator<Item = u32>) -> u32 {
    items.into_iter().sum()
}

pub fn main() {
    let (s, events) = pulselog::testing::capture(|| shout("hi", 2));
    assert_eq!(s, "HIHI");
    let enter = events.find("enter");
    assert_eq!(enter.field("text").unwrap(), "hi");
    assert_eq!(enter.field("times").unwrap(), 2);
    assert_eq!(total(vec![1, 2]), 3);
}
