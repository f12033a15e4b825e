//! The writer's two ways to a text line (see `common::in_place`): the same
//! call site, once each way, must give the same line (the context's own
//! field aside), whatever the values.

mod common;

use common::Shared;
use pulselog::{Config, Format, TextFormat};

#[test]
fn the_common_line_and_the_general_one_are_the_same_line() {
    let out = Shared::default();
    let guard = Config::new()
        .format(Format::Text)
        .text(TextFormat::new().template("{levelname} {name} {lineno} {funcName}: {message}"))
        .writer(out.clone())
        .install()
        .unwrap();
    common::in_place::both_ways();
    drop(guard);
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8, "{text}");
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
