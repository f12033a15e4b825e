// `#[logged(level = "..")]` takes every name `Level::from_str` and the filter
// directives take, in any case (`fatal` included), and means the same level.
use pulselog::prelude::*;

#[logged(level = "trace")]
fn trace() {}
#[logged(level = "DEBUG")]
fn debug() {}
#[logged(level = "Info")]
fn info() {}
#[logged(level = "warn")]
fn warn() {}
#[logged(level = "WARNING")]
fn warning() {}
#[logged(level = "error")]
fn error() {}
#[logged(level = "critical")]
fn critical() {}
#[logged(level = "fatal", err(level = "Fatal"))]
fn fatal() -> Result<(), &'static str> {
    Err("failed")
}

pub fn main() {
    let (_, events) = pulselog::testing::capture(|| {
        trace();
        debug();
        info();
        warn();
        warning();
        error();
        critical();
        let _ = fatal();
    });
    let levels: Vec<(&str, Level)> = events
        .events()
        .iter()
        .filter(|e| e.message() != "exit")
        .map(|e| {
            let function = e.function().rsplit("::").next().unwrap_or_default();
            (function, e.level())
        })
        .collect();
    let expected: Vec<(&str, Level)> = [
        "trace", "debug", "info", "warn", "warning", "error", "critical", "fatal", "fatal",
    ]
    .into_iter()
    .map(|name| {
        let level = name.parse::<Level>().expect("a level name");
        (name, level)
    })
    .collect();
    assert_eq!(levels, expected);
}
