// `Self` in the body and in the signature.
#![deny(warnings)]
use pulselog::prelude::*;

#[derive(Debug, PartialEq, Default)]
struct Config {
    retries: u8,
}

impl Config {
    #[logged]
    fn new() -> Self {
        Self { retries: 3 }
    }

    #[logged(ret)]
    fn with_retries(self, retries: u8) -> Self {
        Self { retries, ..self }
    }

    #[logged]
    async fn load() -> Self {
        Self::default()
    }
}

pub fn main() {
    assert_eq!(Config::new().with_retries(1), Config { retries: 1 });
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(rt.block_on(Config::load()), Config::default());
}
