//! For the tests of the writer's two ways to a line (`*_in_place.rs`): an
//! event without context, count, replay mark or error is written in
//! place from its call site's template; any other by the general path.
//! [`both_ways`] logs one call site's event both ways, for many values;
//! [`pairs`] installs a logger and returns the lines.

use super::Shared;
use pulselog::Config;
use pulselog::context::Context;
use pulselog::prelude::*;

/// A string with every kind of character the formats escape.
pub const HOSTILE: &str = "a\u{2028}b\u{202e}c\u{7f}\u{1b}[31mé✓\\\n\"";

/// One call site, every value type in the message and as fields.
fn log(long: &str) {
    warning!(
        "m {} {} {} {} {} {} {}",
        u64::MAX,
        i64::MIN,
        1.5e300,
        HOSTILE,
        'q',
        long,
        7,
        a = u64::MAX,
        b = i64::MIN,
        c = -0.25,
        d = false,
        e = '"',
        f = "tab\there",
        g = HOSTILE,
        h = long,
        i = 12_345_678_901_234_567_890_u128,
        j = i128::MIN,
        k = f64::NAN,
        l = "",
        m = 0,
        n = "two words",
        o = 1_000_000_007,
        elapsed_ms = 1.25
    );
}

/// Logs the event once outside any context (the in-place way) and once
/// in a context that adds the field `ctx_only` (the general way), for
/// long, short, non-ASCII and empty strings: 8 lines, in pairs.
pub fn both_ways() {
    let cases = [
        "x".repeat(300) + "\"quoted\"\n",
        "short".to_owned(),
        "π".repeat(100_000),
        String::new(),
    ];
    for long in &cases {
        log(long);
        Context::current()
            .with_field("ctx_only", 1)
            .scope(|| log(long));
    }
}

/// Installs `config` writing into memory, logs [`both_ways`] and returns
/// its lines in pairs: (in place, general).
pub fn pairs(config: Config) -> Vec<(String, String)> {
    let out = Shared::default();
    let guard = config.writer(out.clone()).install().unwrap();
    both_ways();
    drop(guard);
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8, "{text}");
    lines
        .chunks(2)
        .map(|pair| (pair[0].to_owned(), pair[1].to_owned()))
        .collect()
}
