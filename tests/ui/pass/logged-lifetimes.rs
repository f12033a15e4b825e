// Explicit and elided lifetimes, sync and async.
#![deny(warnings)]
use pulselog::prelude::*;

#[logged(args)]
fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.len() >= b.len() { a } else { b }
}

struct Parser<'s> {
    src: &'s str,
}

impl<'s> Parser<'s> {
    #[logged(ret)]
    fn first_word(&self) -> &'s str {
        self.src.split(' ').next().unwrap_or("")
    }

    #[logged]
    async fn rest<'b>(&'b self, skip: usize) -> &'s str {
        &self.src[skip..]
    }
}

pub fn main() {
    assert_eq!(longest("ab", "c"), "ab");
    let p = Parser { src: "hello world" };
    assert_eq!(p.first_word(), "hello");
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(p.rest(6)), "world");
}
