//! The JSON formatter: schema, types, escaping and configuration.

use pulselog::JsonFormat;
use pulselog::prelude::*;
use pulselog::testing::{CapturedEvent, capture};
use serde_json::Value;

fn event(f: impl FnOnce()) -> CapturedEvent {
    let ((), c) = capture(f);
    c.into_events().pop().expect("one event")
}

fn parse(line: &str) -> serde_json::Map<String, Value> {
    assert!(!line.contains('\n'), "one line: {line}");
    match serde_json::from_str(line) {
        Ok(Value::Object(m)) => m,
        other => panic!("not a JSON object: {line}: {other:?}"),
    }
}

fn keys(line: &str) -> Vec<String> {
    // serde_json keeps insertion order only with `preserve_order`; read the
    // keys off the line by parsing a stream of tokens instead.
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(line).into_iter::<serde_json::Value>();
    let _ = de.next();
    let mut rest = line;
    while let Some(i) = rest.find("\": ") {
        let before = &rest[..i];
        if let Some(start) = before.rfind(['{', ' ']) {
            let k = before[start + 1..].trim_start_matches('"');
            out.push(k.to_owned());
        }
        rest = &rest[i + 3..];
    }
    out
}

/// Fails when a key of `line` (its keys `ks`) appears twice.
fn assert_unique(ks: &[String], line: &str) {
    let mut dedup = ks.to_vec();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), ks.len(), "duplicate key in {line}");
}

#[test]
fn default_schema_is_python_json_logger_compatible() {
    let e = event(|| error!("Payment failed", user_id = 99, gateway = "stripe"));
    let line = e.to_json(&JsonFormat::new());
    let m = parse(&line);
    assert_eq!(
        keys(&line),
        [
            "asctime",
            "levelname",
            "name",
            "message",
            "filename",
            "lineno",
            "funcName",
            "user_id",
            "gateway"
        ]
    );
    assert_eq!(m["levelname"], "ERROR");
    assert_eq!(m["name"], module_path!());
    assert_eq!(m["message"], "Payment failed");
    assert_eq!(m["filename"], file!());
    assert_eq!(m["lineno"], u64::from(e.line()));
    assert_eq!(
        m["funcName"],
        "default_schema_is_python_json_logger_compatible"
    );
    assert_eq!(m["user_id"], 99);
    assert_eq!(m["gateway"], "stripe");
    let ts = m["asctime"].as_str().unwrap();
    assert_eq!(ts.len(), "2026-04-09T10:15:30.123456Z".len(), "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "{ts}");
    assert!(
        !m.contains_key("request_id"),
        "no request id outside a scope"
    );
}

#[test]
fn numbers_stay_numbers_and_non_finite_floats_are_null() {
    let e = event(|| {
        info!(
            "n",
            i = -1,
            u = u64::MAX,
            f = 1.5,
            nan = f64::NAN,
            inf = f64::INFINITY,
            b = true,
            none = Option::<u8>::None
        );
    });
    let m = parse(&e.to_json(&JsonFormat::new()));
    assert_eq!(m["i"], -1);
    assert_eq!(m["u"], u64::MAX);
    assert_eq!(m["f"], 1.5);
    assert!(m["nan"].is_null());
    assert!(m["inf"].is_null());
    assert_eq!(m["b"], true);
    assert!(m["none"].is_null());
}

#[test]
fn every_line_is_valid_json_whatever_the_data() {
    let nasty = [
        "quote \" backslash \\ slash /",
        "newline\ncarriage\rtab\t",
        "nul \0 bell \u{7} esc \u{1b}[2J del \u{7f}",
        "c1 \u{85} \u{9f}",
        "separators \u{2028} \u{2029}",
        "bidi \u{202e}gnp.exe\u{202c} \u{2066}x\u{2069}",
        "emoji 😀 and é",
        "{\"forged\": true}",
    ];
    for s in nasty {
        let e = event(|| warning!("{s}", value = s));
        let line = e.to_json(&JsonFormat::new());
        let m = parse(&line);
        assert_eq!(m["message"], s);
        assert_eq!(m["value"], s);
        for hostile in [
            '\u{2028}', '\u{2029}', '\u{7f}', '\u{85}', '\u{202e}', '\u{2066}',
        ] {
            assert!(
                !line.contains(hostile),
                "{hostile:?} must be escaped: {line}"
            );
        }
    }
}

#[test]
fn a_message_without_values_is_escaped_too() {
    // Such a message is written from the call site's cached template.
    let e = event(|| warning!("quote \" nl \n sep \u{2028} bidi \u{202e} del \u{7f} {{x}}"));
    let line = e.to_json(&JsonFormat::new());
    assert_eq!(
        parse(&line)["message"],
        "quote \" nl \n sep \u{2028} bidi \u{202e} del \u{7f} {x}"
    );
    assert!(
        line.contains(r#""message": "quote \" nl \n sep \u2028 bidi \u202e del \u007f {x}""#),
        "{line}"
    );
}

#[test]
fn invalid_utf8_is_converted_lossily() {
    use std::os::unix::ffi::OsStrExt;
    let raw = std::ffi::OsStr::from_bytes(b"bad \xff\xfe bytes");
    let path = std::path::Path::new(raw);
    let e = event(|| info!("path", os = raw, path = path));
    let m = parse(&e.to_json(&JsonFormat::new()));
    assert_eq!(m["os"], "bad \u{fffd}\u{fffd} bytes");
    assert_eq!(m["path"], "bad \u{fffd}\u{fffd} bytes");
}

#[test]
fn keys_renames_and_static_fields_are_configurable() {
    let e = event(|| info!("hello", user_id = 1));
    let fmt = JsonFormat::new()
        .keys("%(asctime)s %(levelname)s %(message)s %(levelno)s %(module)s %(process)d")
        .rename("levelname", "level")
        .rename("asctime", "@timestamp")
        .static_field("service", "checkout")
        .static_field("replicas", 3);
    let line = e.to_json(&fmt);
    assert_eq!(
        keys(&line),
        [
            "@timestamp",
            "level",
            "message",
            "levelno",
            "module",
            "process",
            "service",
            "replicas",
            "user_id"
        ]
    );
    let m = parse(&line);
    assert_eq!(m["level"], "INFO");
    assert_eq!(m["levelno"], 20);
    assert_eq!(m["module"], "json_format");
    assert_eq!(m["process"], std::process::id());
    assert_eq!(m["service"], "checkout");
    assert_eq!(m["replicas"], 3);

    let line = e.to_json(&JsonFormat::new().keys("{message}").datefmt("%Y"));
    assert_eq!(keys(&line), ["message", "user_id"]);
}

#[test]
fn custom_datefmt_is_escaped_and_used() {
    let e = event(|| info!("t"));
    let m = parse(&e.to_json(&JsonFormat::new().datefmt("%Y \"q\"")));
    let ts = m["asctime"].as_str().unwrap();
    assert!(ts.ends_with(" \"q\"") && ts.len() == 8, "{ts}");
}

#[test]
fn runtime_keys_that_clash_are_prefixed_never_duplicated() {
    let ctx = pulselog::context::Context::current()
        .with_field("level", "ctx")
        .with_field("shared", 1)
        .with_request_id("req-1");
    let e = event(|| ctx.scope(|| info!("m", shared = 2, level_detail = 3)));
    let fmt = JsonFormat::new().rename("levelname", "level");
    let line = e.to_json(&fmt);
    let ks = keys(&line);
    assert_unique(&ks, &line);
    let m = parse(&line);
    assert_eq!(m["level"], "INFO");
    assert_eq!(m["extra.level"], "ctx");
    assert_eq!(
        m["shared"], 2,
        "the event's own field wins over the context's"
    );
    assert_eq!(m["request_id"], "req-1");
    // Standard keys, then context (request id first), then event fields.
    let pos = |k: &str| ks.iter().position(|x| x == k).unwrap();
    assert!(pos("funcName") < pos("request_id"));
    assert!(pos("request_id") < pos("extra.level"));
    assert!(pos("extra.level") < pos("level_detail"));
}

#[test]
fn a_key_that_meets_a_prefixed_key_is_prefixed_again() {
    // `message` is a standard key, so the context's `message` would become
    // `extra.message`, which the context binds too; the event's own
    // `extra.message` (as `#[logged(args)]` writes an argument `message`)
    // is written as it is and wins over the context's of that name.
    let ctx = pulselog::context::Context::current()
        .with_field("message", "bound")
        .with_field("extra.message", "bound too");
    let e = event(|| ctx.scope(|| info!("m")));
    let line = e.to_json(&JsonFormat::new());
    let ks = keys(&line);
    assert_unique(&ks, &line);
    let m = parse(&line);
    assert_eq!(m["message"], "m");
    assert_eq!(m["extra.extra.message"], "bound");
    assert_eq!(m["extra.message"], "bound too");

    let ctx = pulselog::context::Context::current().with_field("message", "bound");
    let e = event(|| ctx.scope(|| info!("m", extra.message = "own")));
    let line = e.to_json(&JsonFormat::new());
    let m = parse(&line);
    assert_eq!(m["extra.message"], "own", "{line}");
    assert_eq!(m["extra.extra.message"], "bound", "{line}");
    assert_unique(&keys(&line), &line);
}

#[test]
fn bad_configuration_is_reported_not_ignored() {
    let err = pulselog::Config::new()
        .json(JsonFormat::new().keys("%(asctime)s %(nonsense)s"))
        .install()
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown standard key `nonsense`"), "{err}");
    let err = pulselog::Config::new()
        .json(JsonFormat::new().static_field("message", 1))
        .install()
        .unwrap_err()
        .to_string();
    assert!(err.contains("`message` is used twice"), "{err}");
}

#[test]
fn a_traced_request_carries_its_trace_and_span_ids_under_configurable_keys() {
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let id = pulselog::context::RequestId::from_headers(Some("req-9"), Some(tp));
    let ctx = pulselog::context::Context::current()
        .with_id(id)
        .with_field("span_id", "bound");
    let e = event(|| ctx.scope(|| info!("m", trace_id = "own")));
    let line = e.to_json(&JsonFormat::new());
    let m = parse(&line);
    assert_eq!(m["request_id"], "req-9");
    assert_eq!(m["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(m["span_id"], "00f067aa0ba902b7");
    // Fields named like them are prefixed, never duplicated.
    assert_eq!(m["extra.span_id"], "bound");
    assert_eq!(m["extra.trace_id"], "own");
    let ks = keys(&line);
    let pos = |k: &str| ks.iter().position(|x| x == k).unwrap();
    assert!(pos("request_id") < pos("trace_id") && pos("trace_id") < pos("span_id"));

    let renamed = JsonFormat::new()
        .rename("trace_id", "dd.trace_id")
        .rename("span_id", "dd.span_id")
        .rename("request_id", "http.request.id");
    let m = parse(&e.to_json(&renamed));
    assert_eq!(m["http.request.id"], "req-9");
    assert_eq!(m["dd.trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(m["dd.span_id"], "00f067aa0ba902b7");
    assert_eq!(m["span_id"], "bound", "no longer a clash once renamed");
    assert_eq!(m["trace_id"], "own");

    // An id without a trace writes no trace keys.
    let plain = pulselog::context::Context::current().with_request_id("req-1");
    let m = parse(&event(|| plain.scope(|| info!("m"))).to_json(&JsonFormat::new()));
    assert_eq!(m["request_id"], "req-1");
    assert!(!m.contains_key("trace_id") && !m.contains_key("span_id"));
}

#[test]
fn the_datadog_page_configures_datadogs_attribute_names() {
    // docs/backends/datadog.md
    let fmt = JsonFormat::new()
        .rename("asctime", "timestamp")
        .rename("levelname", "status")
        .rename("name", "logger.name")
        .rename("funcName", "logger.method_name")
        .static_field("service", "checkout");
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let ctx = pulselog::context::Context::current()
        .with_id(pulselog::context::RequestId::from_traceparent(tp).unwrap());
    let e = event(|| ctx.scope(|| warning!("m", user_id = 99)));
    let line = e.to_json(&fmt);
    assert_eq!(
        keys(&line),
        [
            "timestamp",
            "status",
            "logger.name",
            "message",
            "filename",
            "lineno",
            "logger.method_name",
            "service",
            "request_id",
            "trace_id",
            "span_id",
            "user_id"
        ]
    );
    let m = parse(&line);
    assert_eq!(m["status"], "WARNING");
    assert_eq!(m["service"], "checkout");
    assert_eq!(m["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
}
