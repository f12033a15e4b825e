// Const generics.
#![deny(warnings)]
use pulselog::prelude::*;

#[logged(args, ret)]
fn sum<const N: usize>(xs: [u32; N]) -> u32 {
    xs.iter().sum()
}

struct Buf<const N: usize>([u8; N]);

impl<const N: usize> Buf<N> {
    #[logged]
    fn len(&self) -> usize {
        N
    }
}

pub fn main() {
    let (s, events) = pulselog::testing::capture(|| sum([1, 2, 3]));
    assert_eq!(s, 6);
    assert_eq!(events.find("exit").field("return").unwrap(), "6");
    assert_eq!(Buf([0; 4]).len(), 4);
}
