//! Property tests of the formatters and parsers, bounded for CI (proptest's
//! 256 cases a property, `PROPTEST_CASES` to change it); the same
//! properties run unbounded as cargo-fuzz targets (`fuzz/`). See
//! `pulselog_tests::props` for what each line must satisfy.

use proptest::prelude::*;
use pulselog_tests::props::{self, EventInput, KEYS};

/// Text that forgers and terminal hijackers send, among arbitrary strings.
const PAYLOADS: &[&str] = &[
    "\u{1b}[31mFAKE ERROR\u{1b}[0m",
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[1A\u{1b}[2K",
    "ok\r\n2026-01-01T00:00:00Z | CRITICAL | forged",
    "\u{9b}31m",
    "\u{202e}gnp.exe",
    "a\u{2028}b\u{2029}c",
    "\"},{\"levelname\": \"CRITICAL\"",
    "\\u0000\\",
    "\u{0}",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\\x7f-\\u{9f}\\u{2028}\\u{2029}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}\"\\\\a-z]{0,24}",
        prop::sample::select(PAYLOADS).prop_map(String::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(String::from),
        1 => text(),
    ]
}

fn input() -> impl Strategy<Value = EventInput> {
    (
        (text(), text(), any::<i64>(), any::<f64>(), any::<bool>()),
        prop::collection::vec((key(), text()), 0..6),
        prop::option::of(text()),
        prop::collection::vec(text(), 0..4),
    )
        .prop_map(
            |((message, text, int, float, flag), context, request_id, chain)| {
                let mut input = EventInput {
                    message,
                    text,
                    int,
                    float,
                    flag,
                    request_id,
                    chain,
                    ..EventInput::default()
                };
                for (k, v) in context {
                    input.add_context(k, v);
                }
                input
            },
        )
}

proptest! {
    #[test]
    fn every_format_writes_strict_json_or_one_clean_line(input in input()) {
        props::check(&input);
    }

    #[test]
    fn filter_directives_never_panic(spec in prop_oneof![
        any::<String>(),
        "[a-zA-Z_:=,.0-9 \\-]{0,40}",
    ]) {
        props::check_filter(&spec);
        let _ = pulselog::set_filter(&spec);
    }

    #[test]
    fn traceparent_and_request_id_parsers_never_panic(value in prop_oneof![
        any::<String>(),
        "[0-9a-fA-F]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[0-9a-z]{0,8})?",
        "[ \\t]*[0-9a-zA-Z\\-]{0,60}[ \\t]*",
    ]) {
        props::check_request_ids(&value);
    }
}

/// The fuzz targets' byte decoding, on a few fixed inputs.
#[test]
fn fuzz_inputs_decode_and_check() {
    for data in [
        &b""[..],
        b"msg\xfftext\xff12345678\xff\x00\x00\xc0\x7f\xff\x03\x03\xff\x00\xffv1\xff\x05\xffv2\xffk\xffv3\xfferr\xffcause",
        b"\x1b[2J\xff\r\n\xff\xff\xff\xff",
    ] {
        props::check(&EventInput::from_bytes(data));
    }
}
