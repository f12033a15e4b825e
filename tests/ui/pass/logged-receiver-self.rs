// A method taking `self` by value (and `mut self`).
#![deny(warnings)]
use pulselog::prelude::*;

struct Counter(u32);

impl Counter {
    #[logged]
    fn into_inner(self) -> u32 {
        self.0
    }

    #[logged]
    fn bumped(mut self) -> Self {
        self.0 += 1;
        self
    }
}

#[derive(Debug)]
struct Shown(u8);

impl Shown {
    #[logged(args(self))]
    fn get(self) -> u8 {
        self.0
    }
}

pub fn main() {
    assert_eq!(Counter(1).bumped().into_inner(), 2);
    let (v, events) = pulselog::testing::capture(|| Shown(3).get());
    assert_eq!(v, 3);
    assert_eq!(events.find("enter").field("self").unwrap(), "Shown(3)");
}
