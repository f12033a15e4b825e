// `crate = path` when pulselog is reached under another name.
#![deny(warnings)]
mod logging {
    pub use ::pulselog::*;
}

#[logging::logged(crate = crate::logging, level = "info")]
fn handler() -> u8 {
    logging::info!("inside");
    1
}

fn main() {
    let (v, events) = pulselog::testing::capture(handler);
    assert_eq!(v, 1);
    assert_eq!(events.messages(), ["enter", "inside", "exit"]);
}
