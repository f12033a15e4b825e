//! The writer's two ways to a text line (see `common::in_place`): the same
//! call site, once each way, must give the same line (the context's own
//! field aside), whatever the values.

mod common;

use pulselog::{Config, Format, TextFormat};

#[test]
fn the_common_line_and_the_general_one_are_the_same_line() {
    for (plain, scoped) in common::in_place::pairs(
        Config::new()
            .format(Format::Text)
            .text(TextFormat::new().template("{levelname} {name} {lineno} {funcName}: {message}")),
    ) {
        let (plain, scoped) = (plain.as_str(), scoped.as_str());
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
