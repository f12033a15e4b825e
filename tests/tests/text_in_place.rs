//! The text writer's two ways to a line: an event without context, count,
//! replay mark or error is written in place; any other by the general
//! path. The same call site, once each way, must give the same line (the
//! context's own field aside), whatever the values.

mod common;

use common::Shared;
use pulselog::context::Context;
use pulselog::prelude::*;
use pulselog::{Config, Format, TextFormat};

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
        l = "",
        m = 0,
        n = "two words",
        elapsed_ms = 1.25
    );
}

#[test]
fn the_common_line_and_the_general_one_are_the_same_line() {
    let out = Shared::default();
    let guard = Config::new()
        .format(Format::Text)
        .text(TextFormat::new().template("{levelname} {name} {lineno} {funcName}: {message}"))
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
        assert!(!plain.contains("ctx_only"), "{plain}");
        assert_eq!(
            plain,
            scoped.replacen(" ctx_only=1", "", 1),
            "\n{plain}\n{scoped}"
        );
        assert!(plain.contains(&format!("a={}", u64::MAX)), "{plain}");
        assert!(
            plain.contains(r"\u{2028}") && !plain.contains('\u{1b}'),
            "{plain}"
        );
    }
}
