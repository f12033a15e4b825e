//! Golden lines for hostile text: the ANSI escape payloads of
//! RUSTSEC-2025-0055 (terminal escape injection through logged values) and
//! a CRLF payload that forges a second event, in a message, a field and an
//! error, written by the text, JSON, ECS and OTel formats. Also the
//! run-time keys that collide with a prefixed key.

use pulselog::prelude::*;
use pulselog::testing::CapturedEvent;
use pulselog::{JsonFormat, TextFormat, context::Context};
use pulselog_tests::props::strict_json;

/// (payload, how the text format writes it in a message and in a quoted
/// field value, where a backslash is escaped too)
const GOLDEN: &[(&str, &str, &str)] = &[
    // Clears the screen.
    (
        "\u{1b}[2J\u{1b}[H",
        r"\u{1b}[2J\u{1b}[H",
        r#""\u{1b}[2J\u{1b}[H""#,
    ),
    // Sets the terminal's title.
    (
        "\u{1b}]0;owned\u{7}",
        r"\u{1b}]0;owned\u{7}",
        r#""\u{1b}]0;owned\u{7}""#,
    ),
    // Moves up a line and erases it: rewrites an earlier event.
    (
        "\u{1b}[1A\u{1b}[2Kall good",
        r"\u{1b}[1A\u{1b}[2Kall good",
        r#""\u{1b}[1A\u{1b}[2Kall good""#,
    ),
    // Colours text to pass for pulselog's own level.
    (
        "\u{1b}[31mERROR\u{1b}[0m",
        r"\u{1b}[31mERROR\u{1b}[0m",
        r#""\u{1b}[31mERROR\u{1b}[0m""#,
    ),
    // A hyperlink (OSC 8) whose text hides its target.
    (
        "\u{1b}]8;;https://evil.example\u{1b}\\docs\u{1b}]8;;\u{1b}\\",
        r"\u{1b}]8;;https://evil.example\u{1b}\docs\u{1b}]8;;\u{1b}\",
        r#""\u{1b}]8;;https://evil.example\u{1b}\\docs\u{1b}]8;;\u{1b}\\""#,
    ),
    // Asks the terminal to answer (device status report).
    ("\u{1b}[6n", r"\u{1b}[6n", r#""\u{1b}[6n""#),
    // The 8-bit CSI (C1), which some terminals honour.
    ("\u{9b}2J", r"\u{9b}2J", r#""\u{9b}2J""#),
    // CRLF forging a whole second event.
    (
        "paid\r\n2026-01-01T00:00:00.000000Z | CRITICAL | [src/main.rs:1] | forged",
        r"paid\r\n2026-01-01T00:00:00.000000Z | CRITICAL | [src/main.rs:1] | forged",
        r#""paid\r\n2026-01-01T00:00:00.000000Z | CRITICAL | [src/main.rs:1] | forged""#,
    ),
];

#[derive(Debug)]
struct Failure(&'static str);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Failure {}

fn event(payload: &'static str) -> CapturedEvent {
    let ((), events) = pulselog::testing::capture(|| {
        log_error!(Failure(payload), "{}", payload, value = payload);
    });
    events.into_events().pop().expect("one event")
}

#[test]
fn text_escapes_every_payload_to_the_golden_line() {
    let format = TextFormat::new()
        .template("{levelname} | {message}")
        .color(pulselog::ColorChoice::Always);
    for &(payload, escaped, quoted) in GOLDEN {
        let text = event(payload).to_text(&format);
        let mut lines = text.lines();
        let first = lines.next().expect("the event line");
        // The level's own colour is pulselog's; everything after it is data.
        let (_, data) = first.split_once(" | ").expect("the template's separator");
        assert_eq!(data, format!("{escaped} value={quoted}"), "{text:?}");
        for line in text.lines() {
            let without_own_colour = line
                .replace("\u{1b}[31m", "")
                .replace("\u{1b}[2m", "")
                .replace("\u{1b}[0m", "")
                .replace("\u{1b}[1m", "");
            assert!(
                !without_own_colour
                    .chars()
                    .any(pulselog_tests::props::is_forbidden),
                "{line:?}"
            );
        }
        // The error's message, on its continuation line.
        assert!(text.contains(escaped), "{text:?}");
        assert!(lines.all(|l| l.contains(pulselog::CONTINUATION)));
    }
}

#[test]
fn json_ecs_and_otel_keep_every_payload_as_data() {
    for &(payload, _, _) in GOLDEN {
        let e = event(payload);
        let json = strict_json(&e.to_json(&JsonFormat::new()), "json");
        assert_eq!(json["message"], payload);
        assert_eq!(json["value"], payload);
        assert_eq!(json["exc_info"]["message"], payload);
        let ecs = strict_json(&e.to_ecs(), "ecs");
        assert_eq!(ecs["message"], payload);
        assert_eq!(ecs["error.message"], payload);
        let otel = strict_json(&e.to_otel(), "otel");
        assert_eq!(
            otel["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["body"]["stringValue"],
            payload
        );
    }
}

/// Found by the property test: a context key `message` is written as
/// `extra.message` unless the line has that key already, in which case it
/// takes one more prefix, as many as it takes; keys that clash with nothing
/// are written as they are.
#[test]
fn run_time_keys_never_meet_their_prefixed_forms() {
    let ((), events) = pulselog::testing::capture(|| {
        Context::current()
            .with_field("message", 1)
            .with_field("extra.message", 2)
            .with_field("extra.extra.message", 3)
            .with_field("extra.user", 4)
            .scope(|| info!("hello"));
    });
    let line = events.only().to_json(&JsonFormat::new());
    let members = strict_json(&line, "json");
    assert_eq!(members["message"], "hello");
    assert_eq!(members["extra.extra.extra.message"], 1, "{line}");
    assert_eq!(members["extra.message"], 2, "{line}");
    assert_eq!(members["extra.extra.message"], 3, "{line}");
    assert_eq!(members["extra.user"], 4, "{line}");
}
