// Native `async fn` in a trait: default body and implementation.
#![deny(warnings)]
use pulselog::prelude::*;

trait Store {
    async fn get(&self, key: u32) -> Option<u32>;

    #[logged(fields(key = key))]
    async fn get_or_zero(&self, key: u32) -> u32 {
        self.get(key).await.unwrap_or(0)
    }
}

struct Mem;

impl Store for Mem {
    #[logged(args)]
    async fn get(&self, key: u32) -> Option<u32> {
        tokio::task::yield_now().await;
        (key < 10).then_some(key * 10)
    }
}

pub fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (v, events) = rt.block_on(pulselog::testing::capture_async(Mem.get_or_zero(3)));
    assert_eq!(v, 30);
    assert_eq!(events.messages(), ["enter", "enter", "exit", "exit"]);
    assert!(events.events().iter().all(|e| e.field("key").unwrap() == 3));
    assert_eq!(events.events()[1].function(), "get");
}
