//! `PULSELOG_FORMAT=otel`: every line of a run decoded with the official
//! OTLP types (`opentelemetry-proto`, its protobuf JSON mapping), as an
//! OpenTelemetry Collector's `otlpjsonfile` receiver reads them.

mod common;

use common::child;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;

fn decode(line: &str) -> ExportLogsServiceRequest {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not OTLP/JSON ({e}): {line}"))
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    let mut found = attrs.iter().filter(|kv| kv.key == key);
    let first = found.next()?;
    assert!(found.next().is_none(), "attribute `{key}` twice: {attrs:?}");
    first.value.as_ref()?.value.as_ref()
}

fn text(v: Option<&Value>) -> &str {
    match v {
        Some(Value::StringValue(s)) => s,
        other => panic!("not a string: {other:?}"),
    }
}

fn int(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::IntValue(n)) => *n,
        other => panic!("not an int: {other:?}"),
    }
}

fn body(r: &LogRecord) -> &str {
    text(r.body.as_ref().and_then(|b: &AnyValue| b.value.as_ref()))
}

#[test]
fn every_line_of_a_run_decodes_as_an_export_request() {
    let lines = child::sample("otel", "service.version=1.4.2,team=payments");
    let mut records = Vec::new();
    for line in &lines {
        let req = decode(line);
        assert_eq!(req.resource_logs.len(), 1, "{line}");
        let rl = &req.resource_logs[0];
        let resource = &rl.resource.as_ref().expect("a resource").attributes;
        assert_eq!(text(attr(resource, "service.name")), "checkout");
        assert_eq!(text(attr(resource, "service.version")), "1.4.2");
        assert_eq!(text(attr(resource, "team")), "payments");
        assert_eq!(rl.scope_logs.len(), 1, "{line}");
        let sl = &rl.scope_logs[0];
        let scope = sl.scope.as_ref().expect("a scope").name.clone();
        assert_eq!(sl.log_records.len(), 1, "{line}");
        records.push((scope, sl.log_records[0].clone()));
    }
    let find = |msg: &str| -> &LogRecord {
        &records
            .iter()
            .find(|(_, r)| body(r) == msg)
            .unwrap_or_else(|| panic!("no `{msg}`"))
            .1
    };
    for (scope, r) in &records {
        assert!(r.time_unix_nano > 1_700_000_000_000_000_000, "{r:?}");
        assert_eq!(r.observed_time_unix_nano, r.time_unix_nano);
        assert!(!r.severity_text.is_empty());
        let file = text(attr(&r.attributes, "code.file.path"));
        assert!(file.ends_with(".rs"), "{r:?}");
        assert!(int(attr(&r.attributes, "code.line.number")) > 0);
        assert!(!text(attr(&r.attributes, "code.function.name")).is_empty());
        assert!(
            scope == "pulselog_child::sample" || scope == "panic",
            "{scope}"
        );
    }
    // Severity numbers, by level.
    for (text_, number) in [
        ("TRACE", 1),
        ("DEBUG", 5),
        ("INFO", 9),
        ("WARNING", 13),
        ("ERROR", 17),
        ("CRITICAL", 21),
    ] {
        let r = find(&format!("level {text_}"));
        assert_eq!(
            (r.severity_text.as_str(), r.severity_number),
            (text_, number)
        );
    }
    // Typed attributes.
    let values = &find("every kind of value").attributes;
    assert_eq!(int(attr(values, "i")), -3);
    assert_eq!(text(attr(values, "u")), u64::MAX.to_string());
    assert_eq!(text(attr(values, "big")), i128::MIN.to_string());
    assert_eq!(attr(values, "f"), Some(&Value::DoubleValue(1.5)));
    assert_eq!(text(attr(values, "nan")), "NaN");
    assert_eq!(text(attr(values, "inf")), "-Infinity");
    assert_eq!(attr(values, "b"), Some(&Value::BoolValue(true)));
    assert_eq!(text(attr(values, "c")), "x");
    assert_eq!(attr(values, "none"), None);
    assert!(values.iter().any(|kv| kv.key == "none"));
    // Hostile text survives the round trip.
    let nasty = "quote \" nl \n cr \r tab \t nul \0 esc \u{1b}[2J del \u{7f} c1 \u{85} sep \u{2028} bidi \u{202e} emoji 😀";
    let r = find(nasty);
    assert_eq!(text(attr(&r.attributes, "value")), nasty);
    assert_eq!(int(attr(&r.attributes, "dotted.key")), 1);
    // Errors, with their chain and backtrace.
    let r = find("config load failed");
    assert_eq!(
        text(attr(&r.attributes, "exception.type")),
        "pulselog_child::sample::Outer"
    );
    assert_eq!(
        text(attr(&r.attributes, "exception.message")),
        "could not load the \"config\"\nfile"
    );
    assert!(text(attr(&r.attributes, "exception.stacktrace")).contains("Caused by: disk on fire"));
    let r = find("with a backtrace");
    assert!(text(attr(&r.attributes, "exception.stacktrace")).contains("\nBacktrace:\n"));
    // The request's trace: traceId/spanId as bytes, the id as an attribute.
    for msg in [
        "enter",
        "inside a traced request",
        "exit",
        "failed in the request",
    ] {
        let r = find(msg);
        assert_eq!(
            r.trace_id,
            [
                0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e,
                0x47, 0x36
            ],
            "{msg}"
        );
        assert_eq!(r.span_id, [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
        assert_eq!(r.flags, 1);
        assert_eq!(text(attr(&r.attributes, "request_id")), "req-7");
        assert_eq!(int(attr(&r.attributes, "user_id")), 99);
    }
    let r = find("an id without a trace");
    assert_eq!(text(attr(&r.attributes, "request_id")), "plain-id");
    assert!(r.trace_id.is_empty() && r.span_id.is_empty());
    let r = find("last line");
    assert!(attr(&r.attributes, "request_id").is_none());
}

#[test]
fn fields_named_like_the_lines_own_attributes_are_prefixed() {
    use pulselog::prelude::*;
    let ctx = pulselog::context::Context::current()
        .with_request_id("r-1")
        .with_field("code.line.number", "bound");
    let ((), events) =
        pulselog::testing::capture(|| ctx.scope(|| info!("m", exception.type = "own")));
    let req = decode(&events.only().to_otel());
    let r = &req.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(
        int(attr(&r.attributes, "code.line.number")),
        i64::from(events.only().line())
    );
    assert_eq!(text(attr(&r.attributes, "extra.code.line.number")), "bound");
    assert_eq!(text(attr(&r.attributes, "extra.exception.type")), "own");
    assert!(attr(&r.attributes, "exception.type").is_none());
}

#[test]
fn a_key_that_meets_a_prefixed_key_is_prefixed_again() {
    use pulselog::prelude::*;
    let ctx = pulselog::context::Context::current()
        .with_field("code.line.number", "bound")
        .with_field("extra.code.line.number", "bound too");
    let ((), events) = pulselog::testing::capture(|| ctx.scope(|| info!("m")));
    let req = decode(&events.only().to_otel());
    let r = &req.resource_logs[0].scope_logs[0].log_records[0];
    let mut keys: Vec<&str> = r.attributes.iter().map(|a| a.key.as_str()).collect();
    let n = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n, "an attribute key repeated: {keys:?}");
    assert_eq!(
        text(attr(&r.attributes, "extra.extra.code.line.number")),
        "bound"
    );
    assert_eq!(
        text(attr(&r.attributes, "extra.code.line.number")),
        "bound too"
    );
}
