//! `#[logged(args)]`, `args(...)` and `skip(...)`: which arguments the enter
//! event records, and under which keys. Observed through `pulselog::testing`.

use pulselog::JsonFormat;
use pulselog::prelude::*;
use pulselog::testing::{Owned, capture};

#[derive(Debug)]
struct Password(#[allow(dead_code)] &'static str);

#[logged]
fn no_args(user: &str, password: Password) -> usize {
    user.len() + password.0.len()
}

#[logged(args)]
fn all_args(user: &str, attempts: u32, ratio: f64, password: Password) -> usize {
    user.len() + attempts as usize + password.0.len() + usize::from(ratio > 0.0)
}

#[logged(args(user))]
fn listed_args(user: &str, password: Password) -> usize {
    user.len() + password.0.len()
}

#[logged(args, skip(password))]
fn skipped_args(user: &str, password: Password) -> usize {
    user.len() + password.0.len()
}

#[test]
fn arguments_are_recorded_only_when_asked() {
    let (_, events) = capture(|| no_args("ana", Password("hunter2")));
    assert_eq!(events.find("enter").fields(), []);

    let (_, events) = capture(|| all_args("ana", 3, 0.5, Password("hunter2")));
    assert_eq!(
        events.find("enter").fields(),
        [
            ("user".to_owned(), Owned::Str("ana".into())),
            ("attempts".into(), Owned::U64(3)),
            ("ratio".into(), Owned::F64(0.5)),
            (
                "password".into(),
                Owned::Str("Password(\"hunter2\")".into())
            ),
        ]
    );

    let (_, events) = capture(|| listed_args("ana", Password("hunter2")));
    assert_eq!(
        events.find("enter").fields(),
        [("user".to_owned(), Owned::Str("ana".into()))]
    );

    let (_, events) = capture(|| skipped_args("ana", Password("hunter2")));
    assert_eq!(
        events.find("enter").fields(),
        [("user".to_owned(), Owned::Str("ana".into()))]
    );
    // The argument is on the enter event only.
    assert_eq!(events.find("exit").field("user"), None);
}

#[logged(args)]
fn greet(name: &str, message: &str) -> usize {
    name.len() + message.len()
}

#[test]
fn arguments_named_like_standard_keys_are_recorded_with_the_clash_prefix() {
    let (_, events) = capture(|| greet("ana", "hello"));
    let enter = events.find("enter");
    let prefix = pulselog::CLASH_PREFIX;
    assert_eq!(
        enter.fields(),
        [
            (format!("{prefix}name"), Owned::Str("ana".into())),
            (format!("{prefix}message"), Owned::Str("hello".into())),
        ]
    );
    let line = enter.to_json(&JsonFormat::new());
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&line).unwrap();
    assert_eq!(
        v["name"],
        module_path!(),
        "the logger name keeps its key: {line}"
    );
    assert_eq!(v["message"], "enter");
    assert_eq!(v[&format!("{prefix}name")], "ana");
}

#[test]
fn a_context_field_named_like_a_prefixed_argument_is_prefixed_again() {
    let (_, events) = capture(|| {
        pulselog::context::Context::current()
            .with_field("name", "ctx")
            .scope(|| greet("ana", "hello"))
    });
    let line = events.find("enter").to_json(&JsonFormat::new());
    let prefix = pulselog::CLASH_PREFIX;
    assert_eq!(
        line.matches(&format!("\"{prefix}name\"")).count(),
        1,
        "{line}"
    );
    assert!(
        line.contains(&format!("\"{prefix}name\": \"ana\"")),
        "{line}"
    );
    assert!(
        line.contains(&format!("\"{prefix}{prefix}name\": \"ctx\"")),
        "{line}"
    );
}
