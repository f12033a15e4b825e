// `async-trait` methods: the events follow the boxed future, not its creation.
#![deny(warnings)]
use pulselog::prelude::*;

#[async_trait::async_trait]
trait Repo {
    async fn load(&self, id: u64) -> Result<String, String>;
}

struct Db;

#[async_trait::async_trait]
impl Repo for Db {
    #[logged(args, err, fields(table = "users"))]
    async fn load(&self, id: u64) -> Result<String, String> {
        tokio::task::yield_now().await;
        info!("loading");
        if id == 0 {
            return Err("no such user".to_owned());
        }
        Ok(format!("user {id}"))
    }
}

pub fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (r, events) = pulselog::testing::capture(|| {
        let fut = Db.load(0);
        info!("created");
        rt.block_on(fut)
    });
    assert_eq!(r.unwrap_err(), "no such user");
    assert_eq!(events.messages(), ["created", "enter", "loading", "load failed", "exit"]);
    let loading = events.find("loading");
    assert_eq!(loading.function(), "load");
    assert_eq!(loading.field("table").unwrap(), "users");
    assert_eq!(events.find("enter").field("id").unwrap(), 0);
}
