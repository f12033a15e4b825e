//! Elastic Common Schema logging lines, as Elastic's own `ecs-logging`
//! libraries write them and as `../shared/ecs-spec.json` (Elastic's spec)
//! asks: `@timestamp`, `log.level` and `message` first, then `ecs.version`
//! and the other fields as top-level dotted keys, no spaces:
//!
//! ```text
//! {"@timestamp":"2026-04-09T10:15:30.123456Z","log.level":"error","message":"Payment failed",
//!  "log.logger":"shop::pay","log.origin.file.name":"src/pay.rs","log.origin.file.line":42,
//!  "log.origin.function":"charge","process.pid":4242,"ecs.version":"1.6.0",
//!  "service.name":"shop","event.dataset":"shop","request_id":"…","trace.id":"…","span.id":"…",
//!  "user_id":99,"error.type":"…","error.message":"…","error.stack_trace":"…"}
//! ```
//!
//! It is a preset of the JSON writer ([`super::json`]): ECS's key names,
//! punctuation, lowercase levels and error keys, so it shares its
//! per-call-site templates and its escaping.

use super::json::{ErrorKeys, JsonFormat, Style};
use super::resource::Resource;

/// The ECS version the lines follow: the one Elastic's logging libraries
/// write.
pub(crate) const ECS_VERSION: &str = "1.6.0";

/// The keys an event's error takes: its type, its message and its report
/// (chain and backtrace) as plain text.
const ERROR_KEYS: [&str; 3] = ["error.type", "error.message", "error.stack_trace"];

/// No spaces, `info`, the error as [`ERROR_KEYS`], a duration also as
/// `event.duration` (nanoseconds).
const STYLE: Style = Style {
    spaced: false,
    lowercase_level: true,
    error: ErrorKeys::Flat(ERROR_KEYS),
    duration: Some("event.duration"),
};

/// The JSON formatter in ECS style, with the service's fields from
/// `resource` on every line.
pub(crate) fn format(resource: &Resource) -> JsonFormat {
    let mut f = JsonFormat::new()
        .keys("asctime levelname message name filename lineno funcName process")
        .rename("asctime", "@timestamp")
        .rename("levelname", "log.level")
        .rename("name", "log.logger")
        .rename("filename", "log.origin.file.name")
        .rename("lineno", "log.origin.file.line")
        .rename("funcName", "log.origin.function")
        .rename("process", "process.pid")
        .rename("trace_id", "trace.id")
        .rename("span_id", "span.id")
        .style(STYLE)
        .static_field("ecs.version", ECS_VERSION);
    if let Some(name) = resource.service_name() {
        // The spec: a service name set by the user names the dataset too.
        f = f
            .static_field("service.name", name)
            .static_field("event.dataset", name);
    }
    if let Some(version) = resource.get("service.version") {
        f = f.static_field("service.version", version);
    }
    if let Some(env) = resource.environment() {
        f = f.static_field("service.environment", env);
    }
    f
}
