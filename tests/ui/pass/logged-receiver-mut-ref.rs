// A method taking `&mut self`.
#![deny(warnings)]
use pulselog::prelude::*;

#[derive(Default)]
struct Stack(Vec<u8>);

impl Stack {
    #[logged(args)]
    fn push(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
}

pub fn main() {
    let mut s = Stack::default();
    s.push(1).push(2);
    assert_eq!(s.0, [1, 2]);
}
