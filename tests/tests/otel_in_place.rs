//! The OTLP/JSON writer's two ways to a line: an event without context,
//! count, replay mark or error is written in place; any other by the
//! general path. The same call site, once each way, must give the same
//! record (the context's own attribute and the times aside).

mod common;

use common::Shared;
use pulselog::context::Context;
use pulselog::prelude::*;
use pulselog::{Config, Format};
use serde_json::Value;

fn log(long: &str, hostile: &str) {
    warning!(
        "m {} {} {} {} {} {}",
        u64::MAX,
        i64::MIN,
        1.5e300,
        hostile,
        'q',
        long,
        a = u64::MAX,
        b = i64::MIN,
        c = -0.25,
        d = false,
        e = '"',
        g = hostile,
        h = long,
        i = 12_345_678_901_234_567_890_u128,
        k = f64::NAN,
        l = "",
        m = 0
    );
}

/// The value without its times and without the attribute `ctx_only`.
fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("timeUnixNano");
            m.remove("observedTimeUnixNano");
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => {
            a.retain(|e| e.get("key").and_then(Value::as_str) != Some("ctx_only"));
            a.iter_mut().for_each(strip);
        }
        _ => {}
    }
}

#[test]
fn the_common_line_and_the_general_one_write_the_same_record() {
    let out = Shared::default();
    let guard = Config::new()
        .format(Format::Otel)
        .writer(out.clone())
        .install()
        .unwrap();
    let hostile = "a\u{2028}b\u{202e}c\u{7f}\u{1b}[31mé✓\\\n";
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
        assert!(!plain.contains("ctx_only") && scoped.contains("ctx_only"));
        let mut a: Value = serde_json::from_str(plain).expect(plain);
        let mut b: Value = serde_json::from_str(scoped).expect(scoped);
        assert!(plain.contains("\"timeUnixNano\":\""), "{plain}");
        strip(&mut a);
        strip(&mut b);
        assert_eq!(a, b, "\n{plain}\n{scoped}");
        assert!(plain.contains(&u64::MAX.to_string()), "{plain}");
    }
}
