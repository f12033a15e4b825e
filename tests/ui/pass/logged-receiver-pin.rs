// A method taking `self: Pin<&mut Self>`, sync and async.
#![deny(warnings)]
use pulselog::prelude::*;
use std::pin::Pin;

struct Pinned {
    polls: u32,
}

impl Pinned {
    #[logged]
    fn tick(self: Pin<&mut Self>) -> u32 {
        let this = self.get_mut();
        this.polls += 1;
        this.polls
    }

    #[logged]
    async fn tick_async(mut self: Pin<&mut Self>) -> u32 {
        self.as_mut().tick()
    }
}

pub fn main() {
    let mut p = Pinned { polls: 0 };
    assert_eq!(Pin::new(&mut p).tick(), 1);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(Pin::new(&mut p).tick_async()), 2);
}
