//! `#[logged(fields(...))]`: context fields bound for the call and the calls
//! it makes, typed, shadowed by inner scopes and gone after. Observed
//! through `pulselog::testing`.

use pulselog::prelude::*;
use pulselog::testing::{Owned, capture};
use pulselog::{Value, context::Context};

#[logged(fields(order = 7, kind = "card", shown = %Shown, debugged = ?Some(1), dotted.key = true))]
fn with_fields() {
    info!("outer");
    nested();
}

fn nested() {
    info!("nested");
}

struct Shown;
impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("shown!")
    }
}

#[test]
fn fields_are_bound_for_nested_calls_and_vanish_after() {
    let ((), events) = capture(|| {
        with_fields();
        info!("after");
    });
    for msg in ["enter", "outer", "nested", "exit"] {
        let e = events.find(msg);
        assert_eq!(
            e.context_fields(),
            [
                ("order".to_owned(), Owned::I64(7)),
                ("kind".into(), Owned::Str("card".into())),
                ("shown".into(), Owned::Str("shown!".into())),
                ("debugged".into(), Owned::Str("Some(1)".into())),
                ("dotted.key".into(), Owned::Bool(true)),
            ],
            "{msg}"
        );
        assert_eq!(e.request_id(), None, "fields alone start no request");
    }
    assert_eq!(events.find("after").context_fields(), []);
}

#[logged(fields(depth = 1))]
fn outer_scope() {
    inner_scope();
    info!("back in outer");
}

#[logged(fields(depth = 2, extra = "x"))]
fn inner_scope() {
    info!("in inner");
}

#[test]
fn inner_scopes_shadow_and_never_leak_back() {
    let ((), events) = capture(outer_scope);
    let inner = events.find("in inner");
    assert_eq!(inner.field("depth").unwrap(), 2);
    assert_eq!(inner.field("extra").unwrap(), "x");
    // A key bound again is reported once, with the inner value.
    assert_eq!(inner.context_fields().len(), 2);
    let back = events.find("back in outer");
    assert_eq!(back.field("depth").unwrap(), 1);
    assert_eq!(back.field("extra"), None);
}

#[test]
fn context_values_are_typed() {
    #[logged(fields(n = -3i8, big = u128::MAX, f = 1.5f32, c = 'x', none = None::<u8>))]
    fn typed() {}
    let ((), events) = capture(typed);
    assert_eq!(
        events.find("enter").context_fields(),
        [
            ("n".to_owned(), Owned::I64(-3)),
            ("big".into(), Owned::U128(u128::MAX)),
            ("f".into(), Owned::F64(1.5)),
            ("c".into(), Owned::Str("x".into())),
            ("none".into(), Owned::Null),
        ]
    );
    // The raw values keep their widths for formatters.
    let ctx = Context::current().with_field("f", 1.5f32);
    let mut seen = None;
    ctx.for_each_field(|_, v| seen = Some(matches!(v, Value::F32(_))));
    assert_eq!(seen, Some(true));
}
