// `-> impl Future` returning an async block: `exit` when the future
// completes, not when it is created.
#![deny(warnings)]
use pulselog::prelude::*;
use std::future::Future;

#[logged(args, fields(job = "fetch"))]
fn fetch(id: u32) -> impl Future<Output = Result<u32, String>> {
    let base = id * 10;
    info!("preparing");
    async move {
        tokio::task::yield_now().await;
        info!("fetching");
        let v: u32 = "1".parse().map_err(|_| String::from("bad"))?;
        Ok(base + v)
    }
}

pub fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (v, events) = pulselog::testing::capture(|| {
        let fut = fetch(4);
        info!("created");
        rt.block_on(fut)
    });
    assert_eq!(v, Ok(41));
    assert_eq!(events.messages(), ["preparing", "created", "enter", "fetching", "exit"]);
    assert_eq!(events.find("preparing").field("job").unwrap(), "fetch");
    assert_eq!(events.find("fetching").field("job").unwrap(), "fetch");
    assert_eq!(events.find("fetching").function(), "fetch");
    assert_eq!(events.find("enter").field("id").unwrap(), 4);
}
