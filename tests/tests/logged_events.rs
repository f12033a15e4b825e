//! `#[logged]`'s enter and exit events: their level, name, location and
//! fields, and the function they name from closures, async blocks and a
//! panicking body (its exit at ERROR, `panicked`). Observed through `pulselog::testing`.

mod common;

use common::block_on;
use pulselog::JsonFormat;
use pulselog::prelude::*;
use pulselog::testing::{Captured, Owned, capture};
use std::future::Future;

fn messages_and_functions(events: &Captured) -> Vec<(String, &'static str)> {
    events
        .events()
        .iter()
        .map(|e| (e.message(), e.function()))
        .collect()
}

fn pairs(v: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    v.iter().map(|(m, f)| ((*m).to_owned(), *f)).collect()
}

const PLAIN_LINE: u32 = line!() + 2;
#[logged]
fn plain(x: u32) -> u32 {
    info!("working");
    x + 1
}

#[test]
fn enter_and_exit_at_debug_with_elapsed_ms_and_func_name() {
    let (v, events) = capture(|| plain(1));
    assert_eq!(v, 2);
    assert_eq!(
        messages_and_functions(&events),
        pairs(&[("enter", "plain"), ("working", "plain"), ("exit", "plain")])
    );
    let enter = events.find("enter");
    let exit = events.find("exit");
    assert_eq!(enter.level(), Level::Debug);
    assert_eq!(exit.level(), Level::Debug);
    assert_eq!(enter.fields(), []);
    assert_eq!(enter.template(), "enter");
    assert_eq!(enter.target(), module_path!());
    assert_eq!(enter.file(), file!());
    // The line of the function's name.
    assert_eq!(enter.line(), PLAIN_LINE);
    assert_eq!(exit.line(), PLAIN_LINE);
    let [(key, Owned::F64(ms))] = &exit.fields()[..] else {
        panic!("exit fields: {:?}", exit.fields());
    };
    assert_eq!(key, "elapsed_ms");
    assert!(*ms >= 0.0 && ms.is_finite());
    // No request scope: no request id.
    assert_eq!(enter.request_id(), None);
}

#[test]
fn json_lines_carry_func_name_elapsed_ms_and_request_id() {
    #[logged(level = "info", request_id = "req-9")]
    fn handler() {}
    let ((), events) = capture(handler);
    let lines: Vec<serde_json::Value> = events
        .events()
        .iter()
        .map(|e| serde_json::from_str(&e.to_json(&JsonFormat::new())).unwrap())
        .collect();
    assert_eq!(lines[0]["message"], "enter");
    assert_eq!(lines[0]["levelname"], "INFO");
    assert_eq!(lines[0]["funcName"], "handler");
    assert_eq!(lines[0]["request_id"], "req-9");
    assert_eq!(lines[1]["message"], "exit");
    assert!(lines[1]["elapsed_ms"].is_f64(), "{}", lines[1]);
    assert_eq!(lines[1]["request_id"], "req-9");
}

/// The decimals of the number after `key=` or `"key": ` in a line.
fn decimals_after(line: &str, key: &str) -> usize {
    let at = line
        .find(key)
        .unwrap_or_else(|| panic!("no {key} in {line}"))
        + key.len();
    let number: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    assert!(!number.is_empty(), "{line}");
    number.split_once('.').map_or(0, |(_, d)| d.len())
}

#[test]
fn elapsed_ms_has_at_most_microsecond_precision_in_every_format() {
    #[logged]
    fn busy() -> u64 {
        (0..20_000u64).map(std::hint::black_box).sum()
    }
    let (_, events) = capture(|| (0..20).map(|_| busy()).sum::<u64>());
    let exits: Vec<_> = events
        .events()
        .iter()
        .filter(|e| e.message() == "exit")
        .collect();
    assert_eq!(exits.len(), 20);
    for exit in exits {
        let json = exit.to_json(&JsonFormat::new());
        assert!(decimals_after(&json, "\"elapsed_ms\": ") <= 3, "{json}");
        let text = exit.to_text(&pulselog::TextFormat::new());
        assert!(decimals_after(&text, " elapsed_ms=") <= 3, "{text}");
    }
}

#[logged(level = "warning")]
fn at_warning() {
    info!("inside");
}

#[logged(name = "charge")]
fn renamed() {
    info!("inside");
}

#[test]
fn level_and_name_options() {
    let ((), events) = capture(at_warning);
    assert_eq!(events.find("enter").level(), Level::Warning);
    assert_eq!(events.find("exit").level(), Level::Warning);
    assert_eq!(events.find("inside").level(), Level::Info);

    let ((), events) = capture(renamed);
    assert_eq!(events.find("enter").function(), "charge");
    assert_eq!(events.find("exit").function(), "charge");
    // Events of the body keep the function they are in.
    assert_eq!(events.find("inside").function(), "renamed");
}

const PANICS_LINE: u32 = line!() + 2;
#[logged(level = "info", ret)]
fn panics(fail: bool) -> u32 {
    assert!(!fail, "boom");
    7
}

#[test]
fn a_call_that_unwinds_logs_a_distinct_exit_at_error() {
    let (r, events) = capture(|| std::panic::catch_unwind(|| panics(true)));
    assert!(r.is_err());
    assert_eq!(events.messages(), ["enter", "exit"]);
    let exit = events.find("exit");
    assert_eq!(exit.level(), Level::Error);
    assert_eq!(exit.function(), "panics");
    assert_eq!(exit.file(), file!());
    assert_eq!(exit.line(), PANICS_LINE);
    let [(ms, Owned::F64(elapsed)), (panicked, Owned::Bool(true))] = &exit.fields()[..] else {
        panic!("exit fields: {:?}", exit.fields());
    };
    assert_eq!((ms.as_str(), panicked.as_str()), ("elapsed_ms", "panicked"));
    assert!(*elapsed >= 0.0);
    let json: serde_json::Value =
        serde_json::from_str(&exit.to_json(&JsonFormat::new())).expect("JSON");
    assert_eq!(json["levelname"], "ERROR");
    assert_eq!(json["panicked"], true);
    assert!(json["elapsed_ms"].is_f64(), "{json}");

    // A call that returns: the ordinary exit, at its level, with `return`.
    let (_, events) = capture(|| panics(false));
    let exit = events.find("exit");
    assert_eq!(exit.level(), Level::Info);
    assert_eq!(exit.field("panicked"), None);
    assert_eq!(exit.field("return").unwrap(), "7");
}

#[test]
fn a_call_from_a_destructor_during_unwinding_returns_an_ordinary_exit() {
    struct CleansUp;
    impl Drop for CleansUp {
        fn drop(&mut self) {
            assert_eq!(panics(false), 7);
        }
    }
    let (r, events) = capture(|| {
        std::panic::catch_unwind(|| {
            let _cleanup = CleansUp;
            panic!("unwinding");
        })
    });
    assert!(r.is_err());
    let exit = events.find("exit");
    assert_eq!(exit.level(), Level::Info);
    assert_eq!(exit.field("panicked"), None);
}

#[test]
fn an_async_call_that_unwinds_logs_the_panic_exit_too() {
    #[logged(level = "info")]
    async fn fails() {
        std::future::ready(()).await;
        panic!("async boom");
    }
    let (r, events) = capture(|| std::panic::catch_unwind(|| block_on(fails())));
    assert!(r.is_err());
    let exit = events.find("exit");
    assert_eq!(exit.level(), Level::Error);
    assert_eq!(exit.field("panicked").unwrap(), true);
}

#[logged]
fn with_closures_and_blocks() -> impl Future<Output = ()> {
    let log = || info!("in closure");
    log();
    async {
        info!("in async block");
    }
}

#[test]
fn func_name_inside_closures_and_async_blocks_is_the_function() {
    let ((), events) = capture(|| block_on(with_closures_and_blocks()));
    assert!(
        events
            .events()
            .iter()
            .all(|e| e.function() == "with_closures_and_blocks")
    );
    assert_eq!(events.len(), 4);
}

#[test]
fn text_lines_of_entry_and_exit_name_the_function_and_json_keeps_the_schema() {
    #[logged(args(id))]
    fn lookup(id: u32) -> u32 {
        // The same words in an event of its own are not `#[logged]`'s.
        info!("enter");
        id
    }
    let (_, events) = capture(|| lookup(3));
    let text: Vec<String> = events
        .events()
        .iter()
        .map(|e| e.to_text(&pulselog::TextFormat::new().template("{levelname}: {message}")))
        .collect();
    let function = events.find("exit").function();
    assert!(function.ends_with("lookup"), "{function}");
    assert_eq!(text.len(), 3, "{text:?}");
    assert_eq!(text[0], format!("DEBUG: enter {function} id=3"));
    assert_eq!(text[1], "INFO: enter");
    assert!(
        text[2].starts_with(&format!("DEBUG: exit {function} elapsed_ms=")),
        "{text:?}"
    );
    let json = events.find("exit").to_json(&JsonFormat::new());
    assert!(json.contains("\"message\": \"exit\""), "{json}");
    assert!(
        json.contains(&format!("\"funcName\": \"{function}\"")),
        "{json}"
    );
}
