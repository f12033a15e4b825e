//! The writer's two ways to a JSON line: an event without context, count
//! or error is written in place by its call site's whole-line program; any
//! other by the general path. The same call site, once each way, must give
//! the same values, whatever they are.

mod common;

use common::Shared;
use pulselog::context::Context;
use pulselog::prelude::*;
use pulselog::{Config, JsonFormat};
use serde_json::{Map, Value};

fn log(long: &str, hostile: &str) {
    warning!(
        "m {} {} {} {} {} {} {}",
        u64::MAX,
        i64::MIN,
        1.5e300,
        hostile,
        'q',
        long,
        7,
        a = u64::MAX,
        b = i64::MIN,
        c = -0.25,
        d = false,
        e = '"',
        f = "tab\there",
        g = hostile,
        h = long,
        i = 12_345_678_901_234_567_890_u128,
        j = i128::MIN,
        k = f64::NAN,
        l = "",
        m = 0,
        n = 1_000_000_007,
        elapsed_ms = 1.25
    );
}

fn object(line: &str) -> Map<String, Value> {
    match serde_json::from_str(line) {
        Ok(Value::Object(m)) => m,
        other => panic!("not a JSON object: {line}: {other:?}"),
    }
}

#[test]
fn the_common_line_and_the_general_one_write_every_value_alike() {
    let out = Shared::default();
    let guard = Config::new()
        .json(JsonFormat::new())
        .writer(out.clone())
        .install()
        .unwrap();
    let hostile = "a\u{2028}b\u{202e}c\u{7f}\u{1b}[31mé✓\\";
    let cases = [
        "x".repeat(300) + "\"quoted\"\n",
        "short".to_owned(),
        "π".repeat(100_000),
        String::new(),
    ];
    for long in &cases {
        log(long, hostile);
        Context::current()
            .with_field("ctx_only", 1)
            .scope(|| log(long, hostile));
    }
    drop(guard);
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 * cases.len(), "{text}");
    for pair in lines.chunks(2) {
        let (plain, scoped) = (pair[0], pair[1]);
        let (mut a, mut b) = (object(plain), object(scoped));
        assert!(!a.contains_key("ctx_only") && b.remove("ctx_only").is_some());
        a.remove("asctime");
        b.remove("asctime");
        assert_eq!(a, b, "\n{plain}\n{scoped}");
        assert_eq!(a["a"], u64::MAX);
        assert_eq!(a["n"], 1_000_000_007);
        assert!(
            plain.contains(r"\u2028") && plain.contains(r"\u202e"),
            "{plain}"
        );
        assert!(
            plain.contains(r"\u001b[31m") && plain.contains(r"\\"),
            "{plain}"
        );
    }
}
