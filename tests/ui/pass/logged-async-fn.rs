// An async fn: the events follow the future.
#![deny(warnings)]
use pulselog::prelude::*;

#[logged]
async fn double(x: u32) -> u32 {
    info!("inside");
    x * 2
}

pub fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (v, events) = pulselog::testing::capture(|| {
        let fut = double(4);
        info!("created");
        rt.block_on(fut)
    });
    assert_eq!(v, 8);
    assert_eq!(events.messages(), ["created", "enter", "inside", "exit"]);
    assert_eq!(events.find("inside").function(), "double");
}
