//! The writer's two ways to a text line (see `common::in_place`): the same
//! call site, once each way, must give the same line (the context's own
//! field aside), whatever the values, for templates with every kind of
//! key: static ones (padded or not), the time, the thread's, a padded key
//! that changes per event (always the general way), without fields.

mod common;

use common::Shared;
use pulselog::{Config, Format, Output, TextFormat};

#[test]
fn the_common_line_and_the_general_one_are_the_same_line() {
    let formats = [
        (
            TextFormat::new().template("{levelname} {name} {lineno} {funcName}: {message}"),
            true,
        ),
        (
            TextFormat::new().template(
                "{levelname:<8} | {threadName} {thread} {process} {module}:{lineno:>5} | {message} |",
            ),
            true,
        ),
        // A year is the same for both lines of a pair.
        (
            TextFormat::new()
                .template("{asctime} {levelname:^9} {message}")
                .datefmt("%Y"),
            true,
        ),
        (TextFormat::new().template("{threadName:>12} {message}"), true),
        (TextFormat::compact("elsewhere"), true),
        (
            TextFormat::new()
                .template("{levelname} {message}")
                .with_fields(false),
            false,
        ),
    ];
    // One logger: each format is an output of its own.
    let outs: Vec<Shared> = formats.iter().map(|_| Shared::default()).collect();
    let mut config = Config::new();
    for ((format, _), out) in formats.iter().zip(&outs) {
        config = config.output(
            Output::writer(out.clone())
                .format(Format::Text)
                .text(format.clone()),
        );
    }
    let guard = config.install().unwrap();
    common::in_place::both_ways();
    drop(guard);
    for ((_, fields), out) in formats.iter().zip(&outs) {
        let fields = *fields;
        let text = out.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8, "{text}");
        let pairs = lines.chunks(2).map(|pair| (pair[0], pair[1]));
        for (plain, scoped) in pairs {
            assert!(!plain.contains("ctx_only"), "{plain}");
            assert_eq!(
                plain,
                scoped.replacen(" ctx_only=1", "", 1),
                "\n{plain}\n{scoped}"
            );
            assert_eq!(
                plain.contains(&format!("a={}", u64::MAX)),
                fields,
                "{plain}"
            );
            assert!(
                plain.contains(r"\u{2028}") && !plain.contains('\u{1b}'),
                "{plain}"
            );
        }
    }
}
