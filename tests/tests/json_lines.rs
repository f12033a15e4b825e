//! JSON lines as the writer thread renders them, one call site many times
//! (each call site's static parts are rendered once and reused): key order,
//! values, per-event level of `log!`, static fields, context, renames.

mod common;

use common::Shared;
use pulselog::prelude::*;
use pulselog::{Config, JsonFormat, context::Context};
use serde_json::Value;

fn keys(line: &str) -> Vec<String> {
    let v: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
    v.keys().cloned().collect()
}

fn emit(level: Level, i: u64) -> u32 {
    log!(level, "item {i} of {}", 3, size = i * 10, tag = "t\"q");
    line!() - 1
}

#[test]
fn the_writer_renders_every_key_of_every_line() {
    let out = Shared::default();
    let guard = Config::new()
        .json(
            JsonFormat::new()
                .keys("levelname levelno asctime name module message filename lineno colno funcName process")
                .rename("levelname", "level")
                .static_field("service", "checkout")
                .static_field("replica", 3),
        )
        .filter("trace")
        .writer(out.clone())
        .install()
        .unwrap();
    let mut lines_at = Vec::new();
    for (i, level) in [Level::Info, Level::Error, Level::Info, Level::Debug]
        .into_iter()
        .enumerate()
    {
        lines_at.push(emit(level, i as u64));
    }
    Context::current()
        .with_request_id("req-1")
        .with_field("user_id", 7)
        .scope(|| emit(Level::Warning, 9));
    drop(guard);

    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5);
    let expected_keys = [
        "level", "levelno", "asctime", "name", "module", "message", "filename", "lineno", "colno",
        "funcName", "process", "service", "replica", "size", "tag",
    ];
    for (i, (line, level)) in lines
        .iter()
        .zip(["INFO", "ERROR", "INFO", "DEBUG"])
        .enumerate()
    {
        assert_eq!(keys(line), expected_keys, "{line}");
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["level"], level);
        let number = match level {
            "INFO" => 20,
            "ERROR" => 40,
            _ => 10,
        };
        assert_eq!(v["levelno"], number);
        assert_eq!(v["name"], "json_lines");
        assert_eq!(v["module"], "json_lines");
        assert_eq!(v["message"], format!("item {i} of 3"));
        assert_eq!(v["filename"], "tests/tests/json_lines.rs");
        assert_eq!(v["lineno"], lines_at[i]);
        assert_eq!(v["funcName"], "emit");
        assert_eq!(v["process"], std::process::id());
        assert_eq!(v["service"], "checkout");
        assert_eq!(v["replica"], 3);
        assert_eq!(v["size"], i as u64 * 10);
        assert_eq!(v["tag"], "t\"q");
        assert!(v["asctime"].as_str().unwrap().ends_with('Z'));
    }
    // The same call site inside a context: request id and context fields
    // come between the static fields and the event's fields.
    let v: Value = serde_json::from_str(lines[4]).unwrap();
    assert_eq!(v["level"], "WARNING");
    assert_eq!(v["request_id"], "req-1");
    assert_eq!(v["user_id"], 7);
    let k = keys(lines[4]);
    let at = |name: &str| k.iter().position(|x| x == name).unwrap();
    assert!(at("replica") < at("request_id") && at("request_id") < at("user_id"));
    assert!(at("user_id") < at("size"));
}

#[test]
fn a_line_with_no_standard_keys_still_is_an_object() {
    let (_, events) = pulselog::testing::capture(|| {
        info!("only fields", a = 1, b = "two");
        info!("nothing at all");
    });
    let bare = JsonFormat::new().keys("");
    assert_eq!(events.events()[0].to_json(&bare), r#"{"a": 1, "b": "two"}"#);
    assert_eq!(events.events()[1].to_json(&bare), "{}");
    let with_static = JsonFormat::new().keys("").static_field("env", "prod");
    assert_eq!(
        events.events()[0].to_json(&with_static),
        r#"{"env": "prod", "a": 1, "b": "two"}"#
    );
}
