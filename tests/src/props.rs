//! The properties every line must have, whatever the data: shared by the
//! proptest suite (`tests/tests/format_props.rs`, bounded, in CI) and the
//! cargo-fuzz targets (`fuzz/`, as long as one cares to run them).
//!
//! An [`EventInput`] is one event's data: message, field values, context
//! fields under keys chosen at run time, request id, error chain. [`check`]
//! logs it into a `pulselog::testing` capture, renders it in every format,
//! and panics with the offending line if a property fails:
//!
//! - JSON, ECS and OTel: the line parses as JSON strictly (serde_json), has
//!   no duplicate key in any object, holds no raw control character,
//!   U+2028/2029 or bidi control, and carries the values intact;
//! - text: one line (any further line is a continuation line of the
//!   error), with none of those characters raw.

use pulselog::context::RequestId;
use pulselog::prelude::*;
use pulselog::testing::CapturedEvent;
use pulselog::{JsonFormat, TextFormat, context::Context};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;

/// Keys a context field may take: standard keys of every format (which the
/// formats must prefix), dotted and odd ones, and plain ones.
pub const KEYS: &[&str] = &[
    "message",
    "levelname",
    "asctime",
    "name",
    "filename",
    "lineno",
    "funcName",
    "request_id",
    "exc_info",
    "trace_id",
    "@timestamp",
    "log.level",
    "ecs.version",
    "error.message",
    "resourceLogs",
    "body",
    "http.method",
    "user_id",
    "text",
    "int",
    "extra.message",
    "",
    "\"",
    "a\nb",
    "\u{1b}[31m",
    "\u{2028}",
    "ключ",
];

/// One event's data.
#[derive(Debug, Clone, Default)]
pub struct EventInput {
    pub message: String,
    pub text: String,
    pub int: i64,
    pub float: f64,
    pub flag: bool,
    /// Context fields; keys are unique.
    pub context: Vec<(String, String)>,
    pub request_id: Option<String>,
    /// Error messages, outermost first; none for an event without error.
    pub chain: Vec<String>,
}

impl EventInput {
    /// Builds an input from raw bytes (what a fuzzer hands over): parts
    /// split at `0xFF`, read as lossy UTF-8; a part's first byte picks a
    /// key from [`KEYS`], or its rest is the key.
    #[must_use]
    pub fn from_bytes(data: &[u8]) -> EventInput {
        let mut parts = data.split(|&b| b == 0xFF);
        let mut next = || parts.next().unwrap_or_default();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let number = |b: &[u8]| {
            let mut n = [0u8; 8];
            let len = b.len().min(8);
            n[..len].copy_from_slice(&b[..len]);
            n
        };
        let mut input = EventInput {
            message: text(next()),
            text: text(next()),
            int: i64::from_le_bytes(number(next())),
            float: f64::from_le_bytes(number(next())),
            ..EventInput::default()
        };
        let flags = next();
        input.flag = flags.first().is_some_and(|b| b & 1 == 1);
        if flags.first().is_some_and(|b| b & 2 == 2) {
            input.request_id = Some(text(next()));
        }
        let context_fields = flags.get(1).map_or(0, |b| b % 8);
        for _ in 0..context_fields {
            let key = next();
            let key = match key.split_first() {
                Some((&k, _)) if usize::from(k) < KEYS.len() => KEYS[usize::from(k)].to_owned(),
                Some((_, rest)) => text(rest),
                None => String::new(),
            };
            let value = text(next());
            input.add_context(key, value);
        }
        for part in parts.by_ref().take(10) {
            input.chain.push(text(part));
        }
        input
    }

    /// Adds a context field unless its key is taken.
    pub fn add_context(&mut self, key: String, value: String) {
        if !self.context.iter().any(|(k, _)| *k == key) {
            self.context.push((key, value));
        }
    }
}

/// An error whose message and chain are the input's.
#[derive(Debug)]
struct ChainError {
    message: String,
    source: Option<Box<ChainError>>,
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ChainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

fn chain_error(chain: &[String]) -> Option<ChainError> {
    chain.iter().rev().fold(None, |source, message| {
        Some(ChainError {
            message: message.clone(),
            source: source.map(Box::new),
        })
    })
}

/// The event's own fields.
const OWN: [&str; 4] = ["text", "int", "float", "flag"];

/// Logs the input's event into a capture.
#[must_use]
pub fn capture(input: &EventInput) -> CapturedEvent {
    let ((), events) = pulselog::testing::capture(|| {
        let mut ctx = Context::current();
        if let Some(id) = &input.request_id {
            ctx = ctx.with_request_id(id);
        }
        for (k, v) in &input.context {
            ctx = ctx.with_field(k.clone(), v.clone());
        }
        ctx.scope(|| {
            let (text, int, float, flag) =
                (input.text.as_str(), input.int, input.float, input.flag);
            match chain_error(&input.chain) {
                Some(err) => log_error!(err, "{}", input.message, text, int, float, flag),
                None => info!("{}", input.message, text, int, float, flag),
            }
        });
    });
    events.into_events().pop().expect("one event")
}

/// Whether a character must never appear raw in a line: C0 controls, DEL,
/// C1 controls, the line and paragraph separators, bidi controls.
#[must_use]
pub fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1F}'
        | '\u{7F}'..='\u{9F}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn assert_no_forbidden(line: &str, what: &str) {
    if let Some(c) = line.chars().find(|&c| is_forbidden(c)) {
        panic!("{what}: raw {c:?} in {line:?}");
    }
}

/// Visits a JSON document and fails on an object with a key twice.
struct NoDuplicates;

impl<'de> de::DeserializeSeed<'de> for NoDuplicates {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NoDuplicates {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            map.next_value_seed(NoDuplicates)?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(NoDuplicates)?.is_some() {}
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Parses a JSON line strictly, checking that no object repeats a key and
/// that no forbidden character is raw.
#[must_use]
pub fn strict_json(line: &str, what: &str) -> Value {
    assert_no_forbidden(line, what);
    let mut d = serde_json::Deserializer::from_str(line);
    de::DeserializeSeed::deserialize(NoDuplicates, &mut d)
        .and_then(|()| d.end())
        .unwrap_or_else(|e| panic!("{what}: {e}: {line}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{what}: {e}: {line}"))
}

/// Every string value of an object's members, one level down.
fn member_strings(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("an object")
        .values()
        .filter_map(Value::as_str)
        .collect()
}

/// The `float` field of a JSON line, read with the standard library's
/// exact parser (serde_json's default one may be a unit in the last place
/// off); `None` for `null`, as a float that is not finite is written.
fn json_float(line: &str) -> Option<f64> {
    // Inside a string the quotes would be escaped: this is the key.
    let at = line.find("\"float\": ").expect("a float field") + "\"float\": ".len();
    let literal = &line[at..line[at..]
        .find([',', '}'])
        .map_or(line.len(), |end| at + end)];
    match literal {
        "null" => None,
        n => Some(n.parse().unwrap_or_else(|e| panic!("{e}: {n} in {line}"))),
    }
}

/// Checks every format's line for the input; panics on a broken property.
pub fn check(input: &EventInput) {
    let event = capture(input);
    check_json(input, &event);
    check_ecs(input, &event);
    check_otel(input, &event);
    check_text(input, &event);
}

/// The error messages a line carries: the input's, up to the chain's limit.
fn chain(input: &EventInput) -> &[String] {
    &input.chain[..input.chain.len().min(pulselog::MAX_CHAIN)]
}

/// The JSON line: strict, no duplicate key, every value intact.
pub fn check_json(input: &EventInput, event: &CapturedEvent) {
    let chain = chain(input);
    let line = event.to_json(&JsonFormat::new());
    let v = strict_json(&line, "json");
    assert_eq!(v["message"], input.message.as_str(), "{line}");
    assert_eq!(v["text"], input.text.as_str(), "{line}");
    assert_eq!(v["int"], input.int, "{line}");
    assert_eq!(
        json_float(&line),
        input.float.is_finite().then_some(input.float),
        "{line}"
    );
    assert_eq!(v["flag"], input.flag, "{line}");
    let strings = member_strings(&v);
    // A context field named like one of the event's own gives way to it.
    for (_, value) in input
        .context
        .iter()
        .filter(|(k, _)| !OWN.contains(&k.as_str()))
    {
        assert!(strings.contains(&value.as_str()), "{value:?} in {line}");
    }
    if let Some(id) = &input.request_id {
        assert!(strings.contains(&id.as_str()), "{id:?} in {line}");
    }
    if chain.is_empty() {
        assert!(v.get("exc_info").is_none(), "{line}");
    } else {
        let written: Vec<&str> = v["exc_info"]["chain"]
            .as_array()
            .expect("a chain")
            .iter()
            .map(|m| m.as_str().expect("a message"))
            .collect();
        assert_eq!(written, chain, "{line}");
    }
}

/// The ECS line: strict, no duplicate key, message and error intact.
pub fn check_ecs(input: &EventInput, event: &CapturedEvent) {
    let line = event.to_ecs();
    let v = strict_json(&line, "ecs");
    assert_eq!(v["message"], input.message.as_str(), "{line}");
    if let Some(first) = chain(input).first() {
        assert_eq!(v["error.message"], first.as_str(), "{line}");
    }
}

/// The OTel line: strict, no duplicate key, the body intact.
pub fn check_otel(input: &EventInput, event: &CapturedEvent) {
    let line = event.to_otel();
    let v = strict_json(&line, "otel");
    let record = &v["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
    assert_eq!(
        record["body"]["stringValue"],
        input.message.as_str(),
        "{line}"
    );
}

/// The text line: one line (then the error's continuation lines), with no
/// forbidden character raw.
pub fn check_text(input: &EventInput, event: &CapturedEvent) {
    let text = event.to_text(&TextFormat::new());
    let mut lines = text.split('\n');
    let first = lines.next().expect("a line");
    assert_no_forbidden(first, "text");
    for more in lines {
        assert!(
            more.starts_with(pulselog::CONTINUATION),
            "a second line that is not a continuation: {text:?}"
        );
        assert_no_forbidden(more, "text");
    }
    if input.chain.is_empty() {
        assert!(!text.contains('\n'), "one line: {text:?}");
    }
}

/// Filter directives: parsing never panics, whatever the string.
pub fn check_filter(spec: &str) {
    let _ = pulselog::Filter::parse(spec);
}

/// `traceparent` and `X-Request-Id` parsing never panics, and a parsed
/// `traceparent` keeps the ids it was given.
pub fn check_request_ids(value: &str) {
    if let Ok(id) = RequestId::from_traceparent(value) {
        let tp = id.trace_parent().expect("trace ids kept");
        assert_eq!(id.as_str(), tp.trace_id_hex());
        assert!(value.contains(&tp.trace_id_hex()), "{value:?}");
        assert!(value.contains(&tp.span_id_hex()), "{value:?}");
    }
    if let Ok(id) = RequestId::from_header(value) {
        assert!(
            id.as_str().bytes().all(|b| b.is_ascii_graphic()),
            "{value:?}"
        );
    }
    let _ = RequestId::from_headers(Some(value), Some(value));
}
