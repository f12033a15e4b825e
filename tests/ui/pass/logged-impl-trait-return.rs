// `impl Trait` in return position, also inside a `Result`, with `ret`/`err`.
#![deny(warnings)]
use pulselog::prelude::*;

#[logged]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[logged(err)]
fn parsed(s: &str) -> Result<impl Iterator<Item = u32>, std::num::ParseIntError> {
    let n: u32 = s.parse()?;
    Ok(0..n)
}

#[logged(ret)]
fn shown() -> impl std::fmt::Debug {
    (1, "a")
}

pub fn main() {
    assert_eq!(evens(5).collect::<Vec<_>>(), [0, 2, 4]);
    assert_eq!(parsed("3").unwrap().count(), 3);
    let (_, events) = pulselog::testing::capture(|| parsed("x").is_err());
    assert_eq!(events.messages(), ["enter", "parsed failed", "exit"]);
    let (_, events) = pulselog::testing::capture(shown);
    assert_eq!(events.find("exit").field("return").unwrap(), "(1, \"a\")");
}
