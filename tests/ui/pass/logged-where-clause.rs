// Where-clauses, on functions and async fns.
#![deny(warnings)]
use pulselog::prelude::*;
use std::fmt::Display;

#[logged(args(sep))]
fn join<I, T>(items: I, sep: &str) -> String
where
    I: IntoIterator<Item = T>,
    T: Display,
{
    items.into_iter().map(|t| t.to_string()).collect::<Vec<_>>().join(sep)
}

#[logged]
async fn sum<I>(items: I) -> u64
where
    I: IntoIterator<Item = u64> + Send,
{
    items.into_iter().sum()
}

pub fn main() {
    assert_eq!(join([1u8, 2, 3], "-"), "1-2-3");
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(sum(vec![1, 2])), 3);
}
