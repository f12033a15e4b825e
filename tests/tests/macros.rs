//! Behaviour of every log macro form, observed through `pulselog::testing`.

mod common;

use common::block_on;
use pulselog::prelude::*;
use pulselog::testing::{Captured, Owned, capture};

fn one(f: impl FnOnce()) -> pulselog::testing::CapturedEvent {
    let ((), events) = capture(f);
    let mut all: Vec<_> = events_into_vec(events);
    assert_eq!(all.len(), 1, "expected one event");
    all.remove(0)
}

fn events_into_vec(c: Captured) -> Vec<pulselog::testing::CapturedEvent> {
    c.into_events()
}

#[test]
fn each_level_macro_sets_its_level() {
    let ((), events) = capture(|| {
        trace!("t");
        debug!("d");
        info!("i");
        warning!("w");
        warn!("w2");
        error!("e");
        critical!("c");
        log!(Level::Info, "l");
    });
    let levels: Vec<_> = events
        .events()
        .iter()
        .map(|e| (e.message(), e.level()))
        .collect();
    assert_eq!(
        levels,
        [
            ("t".to_owned(), Level::Trace),
            ("d".into(), Level::Debug),
            ("i".into(), Level::Info),
            ("w".into(), Level::Warning),
            ("w2".into(), Level::Warning),
            ("e".into(), Level::Error),
            ("c".into(), Level::Critical),
            ("l".into(), Level::Info),
        ]
    );
}

#[test]
fn trailing_commas_are_accepted_everywhere() {
    let x = 3;
    let ((), events) = capture(|| {
        info!("a",);
        info!("b {}", x,);
        info!("c", k = 1,);
        log!(Level::Error, "d {x}",);
        critical!("e {0}", x, k = "v",);
    });
    assert_eq!(events.messages(), ["a", "b 3", "c", "d 3", "e 3"]);
    assert_eq!(events.events()[4].field("k"), Some(Owned::Str("v".into())));
}

#[test]
fn positional_indexed_named_and_inline_arguments() {
    let user = "ana";
    let e = one(|| info!("{} {1} {0} {user} {n}", "p0", "p1", n = 5));
    assert_eq!(e.message(), "p0 p1 p0 ana 5");
    assert_eq!(e.fields(), [("n".to_owned(), Owned::I64(5))]);
    assert_eq!(e.template(), "{} {1} {0} {user} {n}");
}

#[test]
fn format_specs_work_as_in_format() {
    let pi = 12.345_67_f64;
    let v = vec![1, 2];
    let e = one(|| info!("{pi:.2}|{:>5}|{:<4}|{v:?}|{0:#x}|{s:?}", 7, "ab", s = "q"));
    assert_eq!(
        e.message(),
        format!("{pi:.2}|{:>5}|{:<4}|{v:?}|{0:#x}|{s:?}", 7, "ab", s = "q")
    );
    // The field keeps its own typed value.
    assert_eq!(e.field("s"), Some(Owned::Str("q".into())));
}

#[test]
fn braces_escape() {
    let e = one(|| info!("{{literal}} {}", 1));
    assert_eq!(e.message(), "{literal} 1");
}

#[test]
fn named_field_fills_message_and_is_a_field() {
    let e = one(|| info!("Server started on port {port}", port = 8080));
    assert_eq!(e.message(), "Server started on port 8080");
    assert_eq!(e.field("port"), Some(Owned::I64(8080)));
}

#[derive(Debug)]
struct OnlyDebug {
    #[allow(dead_code)]
    a: u8,
}

struct Shown;
impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("shown!")
    }
}

#[test]
fn field_values_keep_their_types() {
    let s = String::from("owned");
    let e = one(|| {
        error!(
            "Payment failed",
            i = -5i8,
            u = 7u16,
            big = u128::MAX,
            f = 0.5f32,
            d = 2.25,
            b = false,
            c = 'x',
            s = s,
            r = &s,
            none = Option::<i32>::None,
            some = Some(4),
            disp = Shown,
            dbg = OnlyDebug { a: 1 },
            forced_display = %5,
            forced_debug = ?"q",
            http.method = "GET",
        );
    });
    let f: std::collections::HashMap<_, _> = e.fields().into_iter().collect();
    assert_eq!(f["i"], Owned::I64(-5));
    assert_eq!(f["u"], Owned::U64(7));
    assert_eq!(f["big"], Owned::U128(u128::MAX));
    assert_eq!(f["f"], Owned::F64(0.5));
    assert_eq!(f["d"], Owned::F64(2.25));
    assert_eq!(f["b"], Owned::Bool(false));
    assert_eq!(f["c"], Owned::Str("x".into()));
    assert_eq!(f["s"], Owned::Str("owned".into()));
    assert_eq!(f["r"], Owned::Str("owned".into()));
    assert_eq!(f["none"], Owned::Null);
    assert_eq!(f["some"], Owned::I64(4));
    assert_eq!(f["disp"], Owned::Str("shown!".into()));
    assert_eq!(f["dbg"], Owned::Str("OnlyDebug { a: 1 }".into()));
    assert_eq!(f["forced_display"], Owned::Str("5".into()));
    assert_eq!(f["forced_debug"], Owned::Str("\"q\"".into()));
    assert_eq!(f["http.method"], Owned::Str("GET".into()));
    // Order is call order.
    assert_eq!(e.fields()[0].0, "i");
    assert_eq!(e.fields().last().unwrap().0, "http.method");
}

#[test]
fn dynamic_level_is_evaluated_at_run_time() {
    for lvl in Level::ALL {
        let e = one(|| log!(lvl, "at {}", lvl));
        assert_eq!(e.level(), lvl);
        assert_eq!(e.message(), format!("at {lvl}"));
    }
}

#[test]
fn call_site_metadata_is_captured() {
    let e = one(|| info!("here"));
    assert_eq!(e.file(), file!());
    assert_eq!(e.line(), line!() - 2);
    assert_eq!(e.target(), module_path!());
    assert_eq!(e.function(), "call_site_metadata_is_captured");
}

fn named_helper() {
    info!("from helper");
}

#[test]
fn function_name_is_the_bare_enclosing_fn_also_in_closures_and_async_blocks() {
    let e = one(named_helper);
    assert_eq!(e.function(), "named_helper");

    let e = one(|| {
        let inner = || info!("closure");
        inner();
    });
    assert_eq!(
        e.function(),
        "function_name_is_the_bare_enclosing_fn_also_in_closures_and_async_blocks"
    );

    struct S;
    impl S {
        fn method(&self) {
            info!("method");
        }
    }
    assert_eq!(one(|| S.method()).function(), "method");

    let fut = async {
        info!("async block");
    };
    let ((), events) = capture(|| block_on(fut));
    assert_eq!(
        events.only().function(),
        "function_name_is_the_bare_enclosing_fn_also_in_closures_and_async_blocks"
    );

    async fn an_async_fn() {
        info!("async fn");
    }
    let ((), events) = capture(|| block_on(an_async_fn()));
    assert_eq!(events.only().function(), "an_async_fn");
}

#[test]
fn arguments_are_evaluated_once() {
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    let e = one(|| info!("{0} {0} {0:?}", next(), k = 1));
    assert_eq!(e.message(), "1 1 1");
    assert_eq!(n, 1);
}

struct Panics;
impl std::fmt::Display for Panics {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("display blew up")
    }
}

#[test]
fn a_panicking_display_yields_a_placeholder_not_a_panic() {
    let e = one(|| error!("value: {}", Panics, field = Panics));
    assert_eq!(e.message(), "value: <panicked while formatting>");
    assert_eq!(
        e.field("field"),
        Some(Owned::Str("<panicked while formatting>".into()))
    );
}

struct Fails;
impl std::fmt::Display for Fails {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Err(std::fmt::Error)
    }
}

#[test]
fn a_display_that_returns_an_error_yields_its_own_placeholder() {
    let e = one(|| error!("value: {}", Fails, field = Fails));
    assert_eq!(e.message(), "value: <error while formatting>");
    assert_eq!(
        e.field("field"),
        Some(Owned::Str("<error while formatting>".into()))
    );
}

#[test]
fn long_strings_are_kept_whole() {
    let long = "x".repeat(100_000);
    let e = one(|| info!("{}", long, copy = long.as_str()));
    assert_eq!(e.message().len(), 100_000);
    assert_eq!(e.field("copy"), Some(Owned::Str(long.clone())));
}

mod audit_habits {
    use pulselog::prelude::*;

    pub fn log() {
        info!(target: "audit", "login", user_id = 7);
        warning!(target: "audit", "denied {}", 3,);
        log!(target: "audit", Level::Error, "dynamic {n}", n = 1);
        let err = std::io::Error::other("disk");
        log_error!(target: "audit", err, "write failed");
        info!("module logger");
    }
}

#[test]
fn a_target_sets_the_logger_name() {
    let ((), events) = capture(audit_habits::log);
    let names: Vec<_> = events
        .events()
        .iter()
        .map(|e| (e.message(), e.target()))
        .collect();
    assert_eq!(
        names,
        [
            ("login".to_owned(), "audit"),
            ("denied 3".into(), "audit"),
            ("dynamic 1".into(), "audit"),
            ("write failed".into(), "audit"),
            ("module logger".into(), "macros::audit_habits"),
        ]
    );
    assert_eq!(events.find("login").field("user_id").unwrap(), 7);
    assert_eq!(events.find("dynamic 1").level(), Level::Error);
    assert!(events.find("write failed").exc_info().is_some());
}

#[test]
fn a_bare_variable_after_the_message_is_a_field_of_its_name() {
    let user_id = 42u64;
    let gateway = "stripe";
    let r#type = "card";
    let ((), events) = capture(|| {
        info!("charged", user_id);
        info!("charged {}", gateway, user_id, amount = 5,);
        info!("{user_id} charged", user_id, r#type);
    });
    let [a, b, c] = events.events() else {
        panic!("{:?}", events.messages());
    };
    assert_eq!(a.message(), "charged");
    assert_eq!(a.fields(), [("user_id".to_owned(), Owned::U64(42))]);
    // A variable the message takes stays an argument of the message.
    assert_eq!(b.message(), "charged stripe");
    assert_eq!(
        b.fields(),
        [
            ("user_id".to_owned(), Owned::U64(42)),
            ("amount".to_owned(), Owned::I64(5))
        ]
    );
    // Named in the message, the field fills it, as `key = value` does.
    assert_eq!(c.message(), "42 charged");
    assert_eq!(c.field("user_id").unwrap(), 42);
    assert_eq!(c.field("type").unwrap(), "card");
}
