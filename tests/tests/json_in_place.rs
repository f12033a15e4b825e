//! The writer's two ways to a JSON line (see `common::in_place`): the same
//! call site, once each way, must give the same values, whatever they are.

mod common;

use pulselog::{Config, JsonFormat};
use serde_json::{Map, Value};

fn object(line: &str) -> Map<String, Value> {
    match serde_json::from_str(line) {
        Ok(Value::Object(m)) => m,
        other => panic!("not a JSON object: {line}: {other:?}"),
    }
}

#[test]
fn the_common_line_and_the_general_one_write_every_value_alike() {
    for (plain, scoped) in common::in_place::pairs(Config::new().json(JsonFormat::new())) {
        let (plain, scoped) = (plain.as_str(), scoped.as_str());
        let (mut a, mut b) = (object(plain), object(scoped));
        assert!(!a.contains_key("ctx_only") && b.remove("ctx_only").is_some());
        a.remove("asctime");
        b.remove("asctime");
        assert_eq!(a, b, "\n{plain}\n{scoped}");
        assert_eq!(a["a"], u64::MAX);
        assert_eq!(a["o"], 1_000_000_007);
        assert!(
            plain.contains(r"\u2028") && plain.contains(r"\u202e"),
            "{plain}"
        );
        assert!(
            plain.contains(r"\u001b[31m") && plain.contains(r"\\"),
            "{plain}"
        );
    }
}
