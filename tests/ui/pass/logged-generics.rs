// Generic functions and methods of generic types; arguments recorded by
// their bounds (`Debug` here).
#![deny(warnings)]
use pulselog::prelude::*;
use std::fmt::Debug;

#[logged(args)]
fn largest<T: PartialOrd + Copy + Debug>(items: &[T]) -> T {
    let mut max = items[0];
    for &i in items {
        if i > max {
            max = i;
        }
    }
    max
}

struct Wrapper<T>(T);

impl<T: Clone> Wrapper<T> {
    #[logged]
    fn get(&self) -> T {
        self.0.clone()
    }
}

pub fn main() {
    let (m, events) = pulselog::testing::capture(|| largest(&[1, 5, 3]));
    assert_eq!(m, 5);
    assert_eq!(events.find("enter").field("items").unwrap(), "[1, 5, 3]");
    assert_eq!(Wrapper("x").get(), "x");
}
