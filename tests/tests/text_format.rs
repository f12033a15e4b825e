//! The text formatter: templates, datefmt, fields and escaping.

use pulselog::TextFormat;
use pulselog::prelude::*;
use pulselog::testing::{CapturedEvent, capture};

fn event(f: impl FnOnce()) -> CapturedEvent {
    let ((), c) = capture(f);
    c.into_events().pop().expect("one event")
}

#[test]
fn default_template() {
    let e = event(|| error!("Payment failed", user_id = 99, gateway = "stripe"));
    let line = e.to_text(&TextFormat::new());
    let parts: Vec<_> = line.split(" | ").collect();
    assert_eq!(parts.len(), 4, "{line}");
    assert_eq!(parts[0].len(), "2026-04-09T10:15:30.123456Z".len());
    assert_eq!(parts[1], "ERROR   ");
    assert_eq!(parts[2], format!("[{}:{}]", file!(), e.line()));
    assert_eq!(parts[3], "Payment failed user_id=99 gateway=stripe");
}

#[test]
fn python_and_brace_templates_render_alike() {
    let e = event(|| info!("hi", k = 1));
    let py = e.to_text(
        &TextFormat::new()
            .template("%(levelname)-8s|%(lineno)5d|%(name)s|%(funcName)s|%(message)s %%"),
    );
    let br = e.to_text(
        &TextFormat::new().template("{levelname:<8}|{lineno:>5}|{name}|{funcName}|{message} %"),
    );
    assert_eq!(py, br);
    assert_eq!(
        py,
        format!(
            "INFO    |{:>5}|{}|python_and_brace_templates_render_alike|hi % k=1",
            e.line(),
            module_path!()
        )
    );
}

#[test]
fn datefmt_and_field_switch() {
    let e = event(|| info!("x", k = 1));
    let line = e.to_text(
        &TextFormat::new()
            .template("{asctime} {message}")
            .datefmt("%Y")
            .with_fields(false),
    );
    let year = line.split(' ').next().unwrap();
    assert_eq!(year.len(), 4, "{line}");
    assert!(year.parse::<u32>().unwrap() >= 2024);
    assert!(line.ends_with(" x"), "{line}");
}

#[test]
fn no_input_can_forge_a_line_or_drive_a_terminal() {
    let forged =
        "ok\n2026-01-01T00:00:00.000000Z | CRITICAL | [src/main.rs:1] | forged\r\u{1b}[2J\u{202e}";
    let e = event(|| info!("{forged}", value = forged));
    let ctx = pulselog::context::Context::current().with_request_id("id\nINJECTED");
    let e2 = event(|| ctx.scope(|| info!("m")));
    for line in [
        e.to_text(&TextFormat::new()),
        e2.to_text(&TextFormat::new()),
    ] {
        assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
        assert!(
            !line.contains('\u{1b}') && !line.contains('\u{202e}'),
            "{line:?}"
        );
    }
    let line = e.to_text(&TextFormat::new());
    assert!(line.contains(r"ok\n2026-01-01"), "{line}");
    assert!(line.contains(r#"value="ok\n2026"#), "{line}");
    assert!(
        e2.to_text(&TextFormat::new())
            .contains(r#"request_id="id\nINJECTED""#)
    );
}

#[test]
fn values_with_spaces_or_quotes_are_quoted() {
    let e = event(|| {
        info!(
            "m",
            a = "two words",
            b = "say \"hi\"",
            c = "",
            d = 1.5,
            e = "plain"
        )
    });
    let line = e.to_text(&TextFormat::new().template("{message}"));
    assert_eq!(line, r#"m a="two words" b="say \"hi\"" c="" d=1.5 e=plain"#);
}

#[test]
fn request_id_in_template_is_not_repeated() {
    let ctx = pulselog::context::Context::current()
        .with_request_id("r-9")
        .with_field("user", 5);
    let e = event(|| ctx.scope(|| info!("m")));
    assert_eq!(
        e.to_text(&TextFormat::new().template("{message}")),
        "m request_id=r-9 user=5"
    );
    assert_eq!(
        e.to_text(&TextFormat::new().template("[{request_id}] {message}")),
        "[r-9] m user=5"
    );
}

#[test]
fn bad_templates_are_reported() {
    let err = pulselog::Config::new()
        .text(
            TextFormat::new()
                .template("{asctime} {bogus}")
                .datefmt("%Y %"),
        )
        .install()
        .unwrap_err();
    let pulselog::InitError::Formatter(e) = &err else {
        panic!("a formatter error: {err:?}");
    };
    assert_eq!(e.problems().len(), 2, "both problems listed: {e}");
    let err = err.to_string();
    assert!(err.contains("unknown key `bogus`"), "{err}");
    let err = pulselog::Config::new()
        .text(TextFormat::new().datefmt("%Y %"))
        .install()
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid datefmt"), "{err}");
}

#[test]
fn colour_styles_the_level_and_location_and_nothing_else() {
    use pulselog::ColorChoice;
    let hostile = "\u{1b}[2J\u{1b}[31mfake\u{1b}]0;title\u{7}\r\nWARNING forged";
    let ((), events) = capture(|| {
        info!("plain {}", hostile, field = hostile);
        log_error!(std::io::Error::other(hostile), "failed");
        critical!("down");
    });
    let [info, error, critical] = events.events() else {
        panic!("{:?}", events.messages());
    };
    let always = TextFormat::new().color(ColorChoice::Always);
    let never = TextFormat::new().color(ColorChoice::Never);
    for e in [info, error, critical] {
        let coloured = e.to_text(&always);
        let plain = e.to_text(&never);
        // Without the styles' own sequences, the line is the plain one, and
        // that has no escape byte at all: the message's were escaped.
        assert!(!plain.contains('\u{1b}'), "{plain:?}");
        assert_eq!(anstream::adapter::strip_str(&coloured).to_string(), plain);
        assert_ne!(coloured, plain);
        // `Auto` outside an installed logger means no terminal: plain.
        assert_eq!(e.to_text(&TextFormat::new()), plain);
    }
    let info_line = info.to_text(&always);
    assert!(info_line.contains("\\u{1b}[2J"), "{info_line}");
    // The level is green, the location dimmed, the message untouched.
    assert!(
        info_line.contains("\u{1b}[32mINFO\u{1b}[0m    "),
        "{info_line:?}"
    );
    assert!(
        info_line.contains(&format!("[\u{1b}[2m{}\u{1b}[0m:", file!())),
        "{info_line:?}"
    );
    assert!(
        error.to_text(&always).contains("\u{1b}[1m\u{1b}[31mERROR"),
        "{:?}",
        error.to_text(&always)
    );
    // The chain under the event: its marker dimmed, its text escaped.
    let chain = error.to_text(&always);
    let second = chain.lines().nth(1).expect("the error under the event");
    assert!(second.starts_with("\u{1b}[2m  | \u{1b}[0m"), "{second:?}");
    assert_eq!(chain.lines().count(), 2, "{chain:?}");
}

#[test]
fn a_traced_request_carries_its_trace_and_span_ids() {
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let id = pulselog::context::RequestId::from_headers(Some("req-9"), Some(tp));
    let ctx = pulselog::context::Context::current().with_id(id);
    let e = event(|| ctx.scope(|| info!("m", k = 1)));
    assert_eq!(
        e.to_text(&TextFormat::new().template("{message}")),
        "m request_id=req-9 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 k=1"
    );
    assert_eq!(
        e.to_text(&TextFormat::new().template("{trace_id}/{span_id} {message}")),
        "4bf92f3577b34da6a3ce929d0e0e4736/00f067aa0ba902b7 m request_id=req-9 k=1"
    );
    // Without a traceparent, no trace keys at all.
    let plain = pulselog::context::Context::current().with_request_id("req-9");
    let e = event(|| plain.scope(|| info!("m")));
    assert_eq!(
        e.to_text(&TextFormat::new().template("{message}")),
        "m request_id=req-9"
    );
}
