//! Events as OTLP protobuf messages, for the export (feature `otlp`): the
//! same content as an OTel line ([`super::otel`]), in the official types.

use super::common::{Event, REPLAYED, SUPPRESSED, error_report_text, unique_key};
use super::otel::{AnyValue, OWN_KEYS, any_value, severity_number};
use super::resource::Resource;
use crate::encode::Value;
use opentelemetry_proto::tonic::common::v1::{self as common, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;

fn proto_value(v: AnyValue<'_>) -> common::AnyValue {
    let value = match v {
        AnyValue::Int(n) => Some(any_value::Value::IntValue(n)),
        AnyValue::Double(f) => Some(any_value::Value::DoubleValue(f)),
        AnyValue::Bool(b) => Some(any_value::Value::BoolValue(b)),
        AnyValue::Text(s) => Some(any_value::Value::StringValue(s.into_owned())),
        AnyValue::Empty => None,
    };
    common::AnyValue { value }
}

fn key_value(key: impl Into<String>, v: AnyValue<'_>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(proto_value(v)),
        ..KeyValue::default()
    }
}

/// A field, its key prefixed until no attribute of the record has it.
fn push_field(attributes: &mut Vec<KeyValue>, key: &str, v: Value<'_>) {
    let key = unique_key(key, |k| {
        OWN_KEYS.contains(&k) || attributes.iter().any(|a| a.key == k)
    });
    attributes.push(key_value(key, any_value(v)));
}

fn text(s: &str) -> AnyValue<'_> {
    AnyValue::Text(s.into())
}

/// The resource: `resource`'s attributes, with a default `service.name`.
pub(crate) fn resource(resource: &Resource) -> ProtoResource {
    ProtoResource {
        attributes: resource
            .with_default_service()
            .attributes()
            .map(|(k, v)| key_value(k, text(v)))
            .collect(),
        ..ProtoResource::default()
    }
}

/// The event as a log record (its scope, the logger name, is the
/// caller's to set).
pub(crate) fn log_record(event: &Event<'_>) -> LogRecord {
    let mut attributes = vec![
        key_value(OWN_KEYS[0], text(event.file())),
        key_value(OWN_KEYS[1], any_value(Value::U64(event.line().into()))),
        key_value(OWN_KEYS[2], text(event.function())),
    ];
    let ctx = event.context();
    let id = ctx.id();
    if let Some(id) = id {
        attributes.push(key_value(OWN_KEYS[3], text(id.as_str())));
    }
    let suppressed = event.suppressed();
    let mut own: smallvec::SmallVec<[&str; 8]> = event.fields().map(|(k, _)| k).collect();
    own.extend(suppressed.map(|_| SUPPRESSED));
    let replayed = event.replayed();
    own.extend(replayed.then_some(REPLAYED));
    ctx.for_each_field(|k, v| {
        if !own.contains(&k) {
            push_field(&mut attributes, k, v);
        }
    });
    for (k, v) in event.fields() {
        push_field(&mut attributes, k, v);
    }
    if let Some(n) = suppressed {
        push_field(&mut attributes, SUPPRESSED, Value::U64(n));
    }
    if replayed {
        push_field(&mut attributes, REPLAYED, Value::Bool(true));
    }
    if let Some(exc) = event.exc_info() {
        let report = error_report_text(exc, event.file());
        for (key, value) in OWN_KEYS[4..]
            .iter()
            .zip([exc.type_name(), exc.message(), &report])
        {
            attributes.push(key_value(*key, text(value)));
        }
    }
    let trace = id.and_then(|id| id.trace_parent());
    LogRecord {
        time_unix_nano: event.time_ns(),
        observed_time_unix_nano: event.time_ns(),
        severity_number: i32::from(severity_number(event.level())),
        severity_text: event.level().as_str().to_owned(),
        body: Some(proto_value(AnyValue::Text(event.message().into()))),
        attributes,
        trace_id: trace.map(|t| t.trace_id().to_vec()).unwrap_or_default(),
        span_id: trace.map(|t| t.span_id().to_vec()).unwrap_or_default(),
        flags: trace.map_or(0, |t| u32::from(t.flags())),
        ..LogRecord::default()
    }
}
