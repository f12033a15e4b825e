//! `enabled!` and `target:` against an installed filter: the same answer as
//! the log calls of the same module (or target) get.

mod common;

use common::Shared;
use pulselog::prelude::*;

mod db {
    use pulselog::Level;

    pub fn levels() -> [bool; 3] {
        [
            pulselog::enabled!(Level::Trace),
            pulselog::enabled!(Level::Debug),
            pulselog::enabled!(Level::Info),
        ]
    }
}

#[test]
fn enabled_answers_as_the_filter_does_for_the_module_or_target() {
    let out = Shared::default();
    let guard = pulselog::Config::new()
        .format(pulselog::Format::Json)
        .filter("warn,enabled::db=debug,audit=info")
        .writer(out.clone())
        .install()
        .expect("install");
    assert_eq!(db::levels(), [false, true, true]);
    assert!(!pulselog::enabled!(Level::Info));
    assert!(pulselog::enabled!(Level::Warning));
    assert!(pulselog::enabled!(target: "audit", Level::Info));
    assert!(!pulselog::enabled!(target: "audit", Level::Debug));

    info!("module info");
    info!(target: "audit", "audit info");
    debug!(target: "audit", "audit debug");
    drop(guard);

    let lines = out.lines();
    let messages: Vec<_> = lines.iter().map(|l| l["message"].clone()).collect();
    assert_eq!(messages, ["audit info"]);
    assert_eq!(lines[0]["name"], "audit");
}
