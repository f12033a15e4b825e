//! The writer's two ways to an OTLP/JSON line (see `common::in_place`):
//! the same call site, once each way, must give the same record (the
//! context's own attribute and the times aside).

mod common;

use pulselog::{Config, Format};
use serde_json::Value;

/// The value without its times and without the attribute `ctx_only`.
fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("timeUnixNano");
            m.remove("observedTimeUnixNano");
            m.values_mut().for_each(strip);
        }
        Value::Array(a) => {
            a.retain(|e| e.get("key").and_then(Value::as_str) != Some("ctx_only"));
            a.iter_mut().for_each(strip);
        }
        _ => {}
    }
}

#[test]
fn the_common_line_and_the_general_one_write_the_same_record() {
    for (plain, scoped) in common::in_place::pairs(Config::new().format(Format::Otel)) {
        let (plain, scoped) = (plain.as_str(), scoped.as_str());
        assert!(!plain.contains("ctx_only") && scoped.contains("ctx_only"));
        let mut a: Value = serde_json::from_str(plain).expect(plain);
        let mut b: Value = serde_json::from_str(scoped).expect(scoped);
        assert!(plain.contains("\"timeUnixNano\":\""), "{plain}");
        strip(&mut a);
        strip(&mut b);
        assert_eq!(a, b, "\n{plain}\n{scoped}");
        assert!(plain.contains(&u64::MAX.to_string()), "{plain}");
    }
}
