//! Behaviour of `#[logged]`, option by option and shape by shape, observed
//! through `pulselog::testing`.

use pulselog::JsonFormat;
use pulselog::context::RequestId;
use pulselog::prelude::*;
use pulselog::testing::{Captured, capture, capture_async};
use pulselog::{Context, Value};
use std::future::Future;
use std::pin::pin;
use std::task::{Poll, Waker};

fn messages_and_functions(events: &Captured) -> Vec<(String, &'static str)> {
    events
        .events()
        .iter()
        .map(|e| (e.message(), e.function()))
        .collect()
}

fn pairs(v: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    v.iter().map(|(m, f)| ((*m).to_owned(), *f)).collect()
}

const PLAIN_LINE: u32 = line!() + 2;
#[logged]
fn plain(x: u32) -> u32 {
    info!("working");
    x + 1
}

#[test]
fn enter_and_exit_at_debug_with_elapsed_ms_and_func_name() {
    let (v, events) = capture(|| plain(1));
    assert_eq!(v, 2);
    assert_eq!(
        messages_and_functions(&events),
        pairs(&[("enter", "plain"), ("working", "plain"), ("exit", "plain")])
    );
    let enter = events.find("enter");
    let exit = events.find("exit");
    assert_eq!(enter.level(), Level::Debug);
    assert_eq!(exit.level(), Level::Debug);
    assert_eq!(enter.fields(), []);
    assert_eq!(enter.template(), "enter");
    assert_eq!(enter.target(), module_path!());
    assert_eq!(enter.file(), file!());
    // The line of the function's name.
    assert_eq!(enter.line(), PLAIN_LINE);
    assert_eq!(exit.line(), PLAIN_LINE);
    let [(key, Owned::F64(ms))] = &exit.fields()[..] else {
        panic!("exit fields: {:?}", exit.fields());
    };
    assert_eq!(key, "elapsed_ms");
    assert!(*ms >= 0.0 && ms.is_finite());
    // No request scope: no request id.
    assert_eq!(enter.request_id(), None);
}

#[test]
fn json_lines_carry_func_name_elapsed_ms_and_request_id() {
    #[logged(level = "info", request_id = "req-9")]
    fn handler() {}
    let ((), events) = capture(handler);
    let lines: Vec<serde_json::Value> = events
        .events()
        .iter()
        .map(|e| serde_json::from_str(&e.to_json(&JsonFormat::new())).unwrap())
        .collect();
    assert_eq!(lines[0]["message"], "enter");
    assert_eq!(lines[0]["levelname"], "INFO");
    assert_eq!(lines[0]["funcName"], "handler");
    assert_eq!(lines[0]["request_id"], "req-9");
    assert_eq!(lines[1]["message"], "exit");
    assert!(lines[1]["elapsed_ms"].is_f64(), "{}", lines[1]);
    assert_eq!(lines[1]["request_id"], "req-9");
}

#[logged(level = "warning")]
fn at_warning() {
    info!("inside");
}

#[logged(name = "charge")]
fn renamed() {
    info!("inside");
}

#[test]
fn level_and_name_options() {
    let ((), events) = capture(at_warning);
    assert_eq!(events.find("enter").level(), Level::Warning);
    assert_eq!(events.find("exit").level(), Level::Warning);
    assert_eq!(events.find("inside").level(), Level::Info);

    let ((), events) = capture(renamed);
    assert_eq!(events.find("enter").function(), "charge");
    assert_eq!(events.find("exit").function(), "charge");
    // Events of the body keep the function they are in.
    assert_eq!(events.find("inside").function(), "renamed");
}

#[logged(request_id)]
fn new_request() -> Option<String> {
    inner_request()
}

#[logged(request_id)]
fn inner_request() -> Option<String> {
    info!("inner");
    Context::current().request_id().map(str::to_owned)
}

#[test]
fn request_id_starts_a_request_unless_one_is_active() {
    let (id, events) = capture(new_request);
    let id = id.expect("an id inside");
    let uuid: uuid_like::Parsed = id.parse().expect("a UUID");
    assert_eq!(uuid.version, 4);
    // Every event, the nested function's included, has the outer id.
    assert_eq!(events.len(), 5);
    assert!(
        events
            .events()
            .iter()
            .all(|e| e.request_id().as_deref() == Some(&*id))
    );
    // A second call is a second request.
    let (id2, _) = capture(new_request);
    assert_ne!(id2.unwrap(), id);
    // Inside an existing request the id is kept.
    let kept = Context::current()
        .with_request_id("upstream")
        .scope(new_request);
    assert_eq!(kept.as_deref(), Some("upstream"));
    // And nothing leaks out.
    assert_eq!(Context::current().request_id(), None);
}

/// Just enough UUID parsing for the test, without another dependency.
mod uuid_like {
    pub struct Parsed {
        pub version: u32,
    }
    impl std::str::FromStr for Parsed {
        type Err = ();
        fn from_str(s: &str) -> Result<Parsed, ()> {
            let groups: Vec<&str> = s.split('-').collect();
            let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            if lens != [8, 4, 4, 4, 12]
                || !s
                    .chars()
                    .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
            {
                return Err(());
            }
            let version = groups[2][..1].parse().map_err(|_| ())?;
            Ok(Parsed { version })
        }
    }
}

struct Req {
    id: String,
    user: u64,
}

#[logged(request_id = req.id, fields(user_id = req.user))]
fn with_given_id(req: &Req) -> Option<String> {
    info!("handling");
    Context::current().request_id().map(str::to_owned)
}

#[logged(request_id = id)]
fn with_typed_id(id: RequestId) -> Option<String> {
    Context::current()
        .id()
        .and_then(|id| id.trace_parent())
        .map(|tp| tp.span_id_hex())
}

#[test]
fn request_id_from_an_expression() {
    let req = Req {
        id: "abc-1".into(),
        user: 42,
    };
    let (id, events) = capture(|| with_given_id(&req));
    assert_eq!(id.as_deref(), Some("abc-1"));
    let handling = events.find("handling");
    assert_eq!(handling.request_id().as_deref(), Some("abc-1"));
    assert_eq!(handling.field("user_id").unwrap(), 42);
    // A given id replaces the flow's one inside the call.
    let inner = Context::current()
        .with_request_id("outer")
        .scope(|| with_given_id(&req));
    assert_eq!(inner.as_deref(), Some("abc-1"));

    // A `RequestId` keeps its W3C trace ids.
    let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let id = RequestId::from_traceparent(tp).unwrap();
    let (span, events) = capture(|| with_typed_id(id));
    assert_eq!(span.as_deref(), Some("b7ad6b7169203331"));
    assert_eq!(
        events.find("enter").request_id().as_deref(),
        Some("0af7651916cd43dd8448eb211c80319c")
    );
}

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

#[derive(Debug)]
struct Declined {
    code: u16,
}

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "card declined ({})", self.code)
    }
}

#[logged(ret)]
fn ret_plain(x: u8) -> Result<Vec<u8>, Declined> {
    if x == 0 {
        return Err(Declined { code: 51 });
    }
    Ok(vec![x])
}

#[logged(err)]
fn err_only(x: u8) -> Result<u8, Declined> {
    if x == 0 {
        Err(Declined { code: 51 })
    } else {
        Ok(x)
    }
}

#[logged(ret, err(level = "warning"))]
fn ret_and_err(x: u8) -> Result<u8, Declined> {
    let v = err_only(x)?;
    Ok(v * 2)
}

#[test]
fn ret_records_the_return_value() {
    let (_, events) = capture(|| ret_plain(3));
    assert_eq!(
        events.find("exit").field("return").unwrap(),
        "Ok([3])",
        "ret alone records the whole value"
    );
    let (_, events) = capture(|| ret_plain(0));
    assert_eq!(
        events.find("exit").field("return").unwrap(),
        "Err(Declined { code: 51 })"
    );
    assert!(events.at_least(Level::Error).next().is_none());
}

#[test]
fn err_logs_the_error_at_error() {
    let (_, events) = capture(|| err_only(1));
    assert_eq!(events.messages(), ["enter", "exit"]);
    let (_, events) = capture(|| err_only(0));
    assert_eq!(events.messages(), ["enter", "error", "exit"]);
    let error = events.find("error");
    assert_eq!(error.level(), Level::Error);
    assert_eq!(error.function(), "err_only");
    let exc = error.exc_info().expect("the error is attached as exc_info");
    assert_eq!(exc.message(), "card declined (51)");
    assert!(exc.type_name().ends_with("Declined"), "{}", exc.type_name());
    assert!(exc.backtrace().is_none(), "no backtrace unless asked");
    assert_eq!(events.find("exit").fields().len(), 1, "elapsed_ms only");
}

#[test]
fn ret_with_err_records_the_ok_value_and_the_error_at_the_chosen_level() {
    let (_, events) = capture(|| ret_and_err(4));
    let exits: Vec<_> = events
        .events()
        .iter()
        .filter(|e| e.message() == "exit")
        .collect();
    assert_eq!(exits.len(), 2);
    assert_eq!(exits[1].function(), "ret_and_err");
    assert_eq!(exits[1].field("return").unwrap(), "8");

    let (_, events) = capture(|| ret_and_err(0));
    let errors: Vec<_> = events
        .events()
        .iter()
        .filter(|e| e.message() == "error")
        .map(|e| (e.function(), e.level()))
        .collect();
    assert_eq!(
        errors,
        [("err_only", Level::Error), ("ret_and_err", Level::Warning)]
    );
    let last = events.events().last().unwrap();
    assert_eq!(
        (last.message().as_str(), last.function()),
        ("exit", "ret_and_err")
    );
    assert_eq!(last.field("return"), None, "no Ok value to record");
}

#[logged]
fn panics() {
    panic!("boom");
}

#[test]
fn exit_is_logged_when_the_body_panics() {
    let (r, events) = capture(|| std::panic::catch_unwind(panics));
    assert!(r.is_err());
    assert_eq!(events.messages(), ["enter", "exit"]);
}

#[logged]
fn with_closures_and_blocks() -> impl Future<Output = ()> {
    let log = || info!("in closure");
    log();
    async {
        info!("in async block");
    }
}

#[test]
fn func_name_inside_closures_and_async_blocks_is_the_function() {
    let ((), events) = capture(|| block_on(with_closures_and_blocks()));
    assert!(
        events
            .events()
            .iter()
            .all(|e| e.function() == "with_closures_and_blocks")
    );
    assert_eq!(events.len(), 4);
}

#[logged(args, fields(step = "fetch"))]
async fn fetch(n: u32) -> u32 {
    tokio::task::yield_now().await;
    info!("fetched");
    n * 2
}

#[test]
fn async_exit_comes_when_the_future_completes() {
    let (_, events) = capture(|| {
        let mut fut = pin!(fetch(2));
        info!("created");
        let waker = Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        // Without a runtime, `yield_now` returns Pending once.
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        info!("pending");
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(4));
    });
    assert_eq!(
        events.messages(),
        ["created", "enter", "pending", "fetched", "exit"]
    );
    // Bound fields are there on every poll, and only inside the future.
    for msg in ["enter", "fetched", "exit"] {
        assert_eq!(events.find(msg).field("step").unwrap(), "fetch", "{msg}");
    }
    assert_eq!(events.find("pending").field("step"), None);
    assert_eq!(events.find("enter").field("n").unwrap(), 2);
    assert_eq!(events.find("fetched").function(), "fetch");
}

#[logged(request_id = "cancelled-req")]
async fn never_finishes() {
    std::future::pending::<()>().await;
}

#[test]
fn dropping_an_unfinished_future_logs_exit_in_its_context() {
    let ((), events) = capture(|| {
        let mut fut = Box::pin(never_finishes());
        let mut cx = std::task::Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        drop(fut);
    });
    assert_eq!(events.messages(), ["enter", "exit"]);
    assert_eq!(
        events.find("exit").request_id().as_deref(),
        Some("cancelled-req")
    );
}

#[logged(request_id, fields(user = user))]
async fn handle(user: &'static str) -> Option<String> {
    tokio::task::yield_now().await;
    step_one().await;
    let spawned = pulselog::spawn(async {
        info!("in spawned task");
        Context::current().request_id().map(str::to_owned)
    });
    let from_task = spawned.await.unwrap();
    let own = Context::current().request_id().map(str::to_owned);
    assert_eq!(from_task, own);
    own
}

#[logged]
async fn step_one() {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    info!("step one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_context_follows_awaits_nested_calls_and_spawned_tasks() {
    let (id, events) = capture_async(handle("ana")).await;
    let id = id.unwrap();
    assert_eq!(
        events.messages(),
        [
            "enter",
            "enter",
            "step one",
            "exit",
            "in spawned task",
            "exit"
        ]
    );
    for e in &events {
        assert_eq!(e.request_id().as_deref(), Some(&*id), "{}", e.message());
        assert_eq!(e.field("user").unwrap(), "ana", "{}", e.message());
    }
    assert_eq!(events.find("step one").function(), "step_one");
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

/// Polls a future to completion on this thread (no runtime needed for
/// futures that never wait on I/O).
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = std::task::Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

mod chained {
    #[derive(Debug)]
    pub struct Outer(pub Inner);
    #[derive(Debug)]
    pub struct Inner;

    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("payment failed")
        }
    }
    impl std::fmt::Display for Inner {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("gateway timed out")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    impl std::error::Error for Inner {}
}

#[logged(err(backtrace))]
fn err_with_backtrace() -> Result<(), chained::Outer> {
    Err(chained::Outer(chained::Inner))
}

#[logged(err)]
async fn async_err(fail: bool) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    std::future::ready(()).await;
    if fail {
        Err(Box::new(chained::Outer(chained::Inner)))
    } else {
        Ok(1)
    }
}

#[logged(err)]
fn err_debug_only() -> Result<(), Vec<u8>> {
    Err(vec![1, 2])
}

#[test]
fn err_records_the_whole_source_chain_and_a_backtrace_on_request() {
    let (_, events) = capture(err_with_backtrace);
    let exc = events.find("error").exc_info().unwrap();
    assert_eq!(
        exc.chain().collect::<Vec<_>>(),
        ["payment failed", "gateway timed out"]
    );
    let frames = exc.backtrace().expect("err(backtrace) captures one");
    assert!(
        frames[0].function().contains("err_with_backtrace"),
        "first frame is the function that returned the error: {}",
        frames[0]
    );
}

#[test]
fn err_works_on_async_fns_with_boxed_errors() {
    let (_, events) = capture(|| block_on(async_err(false)));
    assert_eq!(events.messages(), ["enter", "exit"]);
    let (_, events) = capture(|| block_on(async_err(true)));
    assert_eq!(events.messages(), ["enter", "error", "exit"]);
    let exc = events.find("error").exc_info().unwrap();
    assert_eq!(exc.chain().count(), 2);
    assert_eq!(events.find("error").function(), "async_err");
    let json: serde_json::Value =
        serde_json::from_str(&events.find("error").to_json(&JsonFormat::new())).unwrap();
    assert_eq!(json["exc_info"]["chain"][1], "gateway timed out");
}

#[test]
fn err_of_a_type_that_is_not_an_error_logs_its_message() {
    let (_, events) = capture(err_debug_only);
    let exc = events.find("error").exc_info().unwrap();
    assert_eq!(exc.message(), "[1, 2]");
    assert_eq!(exc.chain().count(), 1);
}

#[logged(args)]
fn greet(name: &str, message: &str) -> usize {
    name.len() + message.len()
}

#[test]
fn arguments_named_like_standard_keys_are_recorded_with_the_clash_prefix() {
    let (_, events) = capture(|| greet("ana", "hello"));
    let enter = events.find("enter");
    let prefix = pulselog::format::json::CLASH_PREFIX;
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
