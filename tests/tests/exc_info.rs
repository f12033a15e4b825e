//! `log_error!` and `exc_info = …`: what an error (or panic payload) becomes
//! in a record, in JSON and in text.

use pulselog::prelude::*;
use pulselog::testing::{CapturedEvent, Owned, capture};
use pulselog::{ExcInfo, JsonFormat, TextFormat};
use serde_json::Value as Json;
use std::error::Error;
use std::fmt;
use std::io;

mod app {
    use std::io;

    #[derive(Debug, thiserror::Error)]
    pub enum ConfigError {
        #[error("could not load the configuration")]
        Load(#[source] ReadError),
    }

    #[derive(Debug, thiserror::Error)]
    #[error("could not read {path}")]
    pub struct ReadError {
        pub path: String,
        #[source]
        pub source: io::Error,
    }

    pub fn load(path: &str) -> Result<(), ConfigError> {
        let source = io::Error::new(io::ErrorKind::NotFound, "no such file");
        Err(ConfigError::Load(ReadError {
            path: path.to_owned(),
            source,
        }))
    }
}

fn exc(e: &CapturedEvent) -> &ExcInfo {
    e.exc_info().expect("the event carries exc_info")
}

fn chain(e: &CapturedEvent) -> Vec<String> {
    exc(e).chain().map(str::to_owned).collect()
}

fn json(e: &CapturedEvent) -> Json {
    serde_json::from_str(&e.to_json(&JsonFormat::new())).expect("valid JSON")
}

const THREE: [&str; 3] = [
    "could not load the configuration",
    "could not read /etc/app.toml",
    "no such file",
];

#[test]
fn three_level_thiserror_chain() {
    let (_, events) = capture(|| {
        let err = app::load("/etc/app.toml").unwrap_err();
        log_error!(err, "config load failed", path = "/etc/app.toml");
    });
    let e = events.only();
    assert_eq!(e.level(), Level::Error);
    assert_eq!(e.message(), "config load failed");
    assert_eq!(e.field("path"), Some(Owned::Str("/etc/app.toml".into())));
    let x = exc(e);
    assert_eq!(x.type_name(), std::any::type_name::<app::ConfigError>());
    assert_eq!(x.message(), THREE[0]);
    assert_eq!(chain(e), THREE);
    assert!(!x.chain_truncated());
    assert!(!x.is_panic());
    assert!(x.backtrace().is_none(), "no backtrace unless asked for");

    let j = json(e);
    assert_eq!(j["levelname"], "ERROR");
    assert_eq!(j["message"], "config load failed");
    assert_eq!(j["path"], "/etc/app.toml");
    let x = &j["exc_info"];
    assert_eq!(x["type"], "exc_info::app::ConfigError");
    assert_eq!(x["message"], THREE[0]);
    assert_eq!(x["chain"], serde_json::json!(THREE));
    assert!(x.get("backtrace").is_none(), "{x}");
    // exc_info comes after the event's own fields.
    let line = e.to_json(&JsonFormat::new());
    assert!(line.find("\"path\": ").unwrap() < line.find("\"exc_info\": ").unwrap());
}

#[test]
fn anyhow_context_chain() {
    let root = io::Error::new(io::ErrorKind::PermissionDenied, "permission denied");
    let err = anyhow::Error::new(root)
        .context("reading /etc/app.toml")
        .context("starting the server");
    let (_, events) = capture(|| {
        log_error!(err, "startup failed");
        log_error!(&err, "startup failed (by reference)");
    });
    for e in &events {
        assert_eq!(exc(e).type_name(), "anyhow::Error");
        assert_eq!(
            chain(e),
            [
                "starting the server",
                "reading /etc/app.toml",
                "permission denied"
            ]
        );
        assert_eq!(
            json(e)["exc_info"]["chain"][2],
            "permission denied",
            "root cause last"
        );
    }
    assert_eq!(events.len(), 2);
}

#[test]
fn io_error_by_value_and_by_reference() {
    let err = io::Error::new(io::ErrorKind::ConnectionReset, "peer reset");
    let (_, events) = capture(|| {
        log_error!(&err, "read failed");
        log_error!(err, "read failed", bytes = 12,);
    });
    for e in &events {
        assert_eq!(exc(e).type_name(), "std::io::error::Error");
        assert_eq!(chain(e), ["peer reset"]);
        assert_eq!(json(e)["exc_info"]["type"], "std::io::error::Error");
    }
    assert_eq!(events.len(), 2);
}

#[test]
fn boxed_and_dyn_errors() {
    let boxed: Box<dyn Error + Send + Sync> = Box::new(app::load("/b").unwrap_err());
    let plain: Box<dyn Error> = "just a message".into();
    let dynamic: &dyn Error = &*boxed;
    let (_, events) = capture(|| {
        log_error!(boxed, "boxed");
        log_error!(&boxed, "boxed ref");
        log_error!(plain, "plain box");
        log_error!(dynamic, "dyn ref");
    });
    let [a, b, c, d] = events.events() else {
        panic!("{:?}", events.messages())
    };
    let want = [
        "could not load the configuration",
        "could not read /b",
        "no such file",
    ];
    for e in [a, b, d] {
        assert_eq!(chain(e), want, "{}", e.message());
    }
    assert_eq!(
        exc(a).type_name(),
        std::any::type_name::<Box<dyn Error + Send + Sync>>()
    );
    assert_eq!(exc(d).type_name(), "dyn core::error::Error");
    assert_eq!(chain(c), ["just a message"]);
}

#[test]
fn panic_payload_from_catch_unwind() {
    let formatted = std::panic::catch_unwind(|| panic!("worker {} failed", 3)).unwrap_err();
    let literal = std::panic::catch_unwind(|| panic!("static message")).unwrap_err();
    let other = std::panic::catch_unwind(|| std::panic::panic_any(42_u8)).unwrap_err();
    let (_, events) = capture(|| {
        log_error!(formatted, "job crashed");
        log_error!(&literal, "job crashed", exc_info);
        warning!("job crashed", exc_info = other);
    });
    let [a, b, c] = events.events() else {
        panic!("{:?}", events.messages())
    };
    assert_eq!(exc(a).type_name(), "panic");
    assert!(exc(a).is_panic());
    assert_eq!(chain(a), ["worker 3 failed"]);
    assert_eq!(chain(b), ["static message"]);
    assert!(exc(b).backtrace().is_some());
    assert_eq!(chain(c), ["Box<dyn Any>"]);
    assert_eq!(c.level(), Level::Warning);
}

#[test]
fn exc_info_field_on_any_level_captures_a_backtrace() {
    let err = app::load("/etc/app.toml").unwrap_err();
    let (_, events) = capture(|| {
        info!("retrying", exc_info = err, attempt = 2);
        critical!("giving up {n}", n = 3, exc_info = &err,);
        log!(Level::Debug, "dynamic", exc_info = err);
    });
    let levels: Vec<_> = events.events().iter().map(CapturedEvent::level).collect();
    assert_eq!(levels, [Level::Info, Level::Critical, Level::Debug]);
    for e in &events {
        assert_eq!(chain(e), THREE);
        assert!(exc(e).backtrace().is_some_and(|bt| !bt.is_empty()));
        // `exc_info` is not an ordinary field.
        assert!(e.fields().iter().all(|(k, _)| k != "exc_info"));
    }
    assert_eq!(events.events()[0].field("attempt"), Some(Owned::I64(2)));
    assert_eq!(events.events()[1].message(), "giving up 3");
}

#[test]
fn backtrace_starts_at_the_caller() {
    let err = app::load("/etc/app.toml").unwrap_err();
    let (line, events) = capture(|| {
        let line = line!() + 1;
        log_error!(err, "with backtrace", exc_info);
        line
    });
    let e = events.only();
    let frames = exc(e).backtrace().expect("backtrace");
    let first = &frames[0];
    assert!(
        first
            .function()
            .starts_with("exc_info::backtrace_starts_at_the_caller"),
        "{frames:#?}"
    );
    assert!(
        first.file().is_some_and(|f| f.ends_with(file!())),
        "{first}"
    );
    assert_eq!(first.line(), Some(line));
    // The frames end at the test itself: none of the harness below it.
    assert!(
        frames.iter().all(|f| !f.function().starts_with("test::")),
        "{frames:#?}"
    );
    assert!(
        frames
            .iter()
            .any(|f| f.function() == "exc_info::backtrace_starts_at_the_caller"),
        "{frames:#?}"
    );

    let j = json(e);
    let bt = j["exc_info"]["backtrace"]
        .as_array()
        .expect("backtrace array");
    let top = bt[0].as_str().unwrap();
    assert!(
        top.starts_with("exc_info::backtrace_starts_at_the_caller"),
        "{top}"
    );
    assert!(
        top.contains(&format!(
            "{} at ",
            "backtrace_starts_at_the_caller::{{closure}}"
        )),
        "{top}"
    );
    assert!(top.contains(&format!("{}:{line}:", file!())), "{top}");
}

/// Its `Display` panics (and so does its `source()`, when asked to).
#[derive(Debug)]
struct Explosive {
    source_panics: bool,
}

impl fmt::Display for Explosive {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Display exploded")
    }
}

impl Error for Explosive {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        assert!(!self.source_panics, "source exploded");
        None
    }
}

#[test]
fn an_error_whose_display_panics_still_yields_a_line() {
    let (_, events) = capture(|| {
        log_error!(
            Explosive {
                source_panics: false
            },
            "first"
        );
        log_error!(
            Explosive {
                source_panics: true
            },
            "second",
            exc_info
        );
        info!("the logger still works");
    });
    assert_eq!(
        events.messages(),
        ["first", "second", "the logger still works"]
    );
    for e in events.events().iter().take(2) {
        assert_eq!(chain(e), ["<panicked while formatting>"]);
        let j = json(e);
        assert_eq!(j["exc_info"]["chain"][0], "<panicked while formatting>");
    }
    assert!(exc(&events.events()[1]).backtrace().is_some());
}

/// Its `Display` logs, and logs *itself*.
#[derive(Debug)]
struct Chatty;

impl fmt::Display for Chatty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        log_error!(Chatty, "formatting Chatty");
        f.write_str("chatty failure")
    }
}

impl Error for Chatty {}

#[test]
fn an_error_whose_display_logs_itself_terminates() {
    let (_, events) = capture(|| {
        log_error!(Chatty, "outer");
        info!("after");
    });
    let messages = events.messages();
    assert_eq!(
        messages.first().map(String::as_str),
        Some("formatting Chatty")
    );
    assert!(messages.contains(&"outer".to_owned()));
    assert_eq!(messages.last().map(String::as_str), Some("after"));
    // The recursion was cut a few levels deep with a placeholder.
    assert!(messages.len() < 10, "{messages:?}");
    let innermost = events.events()[0].exc_info().unwrap();
    assert_eq!(innermost.message(), "<recursion while formatting>");
    let outer = events.find("outer");
    assert_eq!(exc(outer).message(), "chatty failure");
}

/// `source()` returns itself: a cycle.
#[derive(Debug)]
struct Loop;

impl fmt::Display for Loop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("again")
    }
}

impl Error for Loop {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&Loop)
    }
}

#[test]
fn the_chain_is_bounded() {
    let (_, events) = capture(|| log_error!(Loop, "cycle"));
    let e = events.only();
    assert_eq!(exc(e).chain().len(), pulselog::MAX_CHAIN);
    assert!(exc(e).chain_truncated());
    let j = json(e);
    assert_eq!(j["exc_info"]["chain_truncated"], true);
    assert_eq!(
        j["exc_info"]["chain"].as_array().unwrap().len(),
        pulselog::MAX_CHAIN
    );
    let text = e.to_text(&TextFormat::new());
    assert!(text.ends_with("(chain cut at 32 causes)"), "{text}");
}

#[derive(Debug)]
struct Forger(&'static str, Option<Box<Forger>>);

impl fmt::Display for Forger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Error for Forger {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.1.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

#[test]
fn text_renders_the_chain_on_continuation_lines_that_cannot_be_forged() {
    const FORGED: &str = "2026-01-01T00:00:00.000000Z | CRITICAL | [src/main.rs:1] | forged";
    let err = Forger(
        "outer\n2026-01-01T00:00:00.000000Z | CRITICAL | [src/main.rs:1] | forged",
        Some(Box::new(Forger("root\r\n  | Caused by: fake", None))),
    );
    let (_, events) = capture(|| log_error!(err, "request failed", exc_info, user = "a\nb"));
    let text = events.only().to_text(&TextFormat::new());
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("| ERROR    |"), "{text}");
    assert!(
        lines[0].ends_with(r#"request failed user="a\nb""#),
        "{text}"
    );
    let cont = pulselog::CONTINUATION;
    for line in &lines[1..] {
        assert!(line.starts_with(cont), "{line:?} in\n{text}");
        assert!(!line.starts_with(FORGED));
    }
    assert_eq!(
        lines[1],
        format!("{cont}exc_info::Forger: outer\\n{FORGED}",)
    );
    assert_eq!(
        lines[2],
        format!("{cont}  Caused by: root\\r\\n  | Caused by: fake")
    );
    assert_eq!(lines[3], format!("{cont}Backtrace:"));
    assert!(
        lines[4].starts_with(&format!(
            "{cont}    exc_info::text_renders_the_chain_on_continuation_lines_that_cannot_be_forged"
        )),
        "{text}"
    );
    // JSON keeps the same data on one line.
    assert_eq!(events.only().to_json(&JsonFormat::new()).lines().count(), 1);
}

#[test]
fn events_without_exc_info_have_none() {
    let (_, events) = capture(|| error!("plain error", code = 7));
    assert!(events.only().exc_info().is_none());
    assert!(json(events.only()).get("exc_info").is_none());
    assert!(!events.only().to_text(&TextFormat::new()).contains('\n'));
}

/// What `#[logged(err)]` expands to for a returned `Err(e)`: a call site of
/// its own, then the `__private` entry point that records `e` by its type.
macro_rules! log_returned_err {
    ($e:expr, $backtrace:expr) => {{
        #[allow(unused_imports)]
        use pulselog::__private::{
            Callsite, ErrDebug as _, ErrDeref as _, ErrDeref2 as _, ErrDisplay as _, ErrError as _,
            ErrPanic as _, ExcWrap, Metadata, Piece, RecordBuilder,
        };
        fn function() -> &'static str {
            "exc_info::returned::__pulselog_function"
        }
        static META: Metadata = Metadata {
            level: Level::Error,
            target: module_path!(),
            file: file!(),
            line: line!(),
            column: column!(),
            function,
            template: "returned an error",
            pieces: &[Piece::Lit("returned an error")],
            fields: &[],
            message_values: 0,
        };
        static SITE: Callsite = Callsite::new(&META);
        if SITE.enabled(Level::Error) {
            let mut rec = RecordBuilder::new(&SITE, Level::Error);
            rec.attach((&&&&&&ExcWrap(&$e)).__pulselog_err($backtrace));
            pulselog::__private::submit(rec);
        }
    }};
}

/// Only `Display`: logged as its message.
struct DisplayOnly;

impl fmt::Display for DisplayOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("display only")
    }
}

/// Only `Debug`: logged as its `Debug`.
#[derive(Debug)]
#[allow(dead_code)] // read through `Debug`
struct DebugOnly {
    code: u16,
}

#[test]
fn returned_errors_are_recorded_by_type() {
    let chain3 = app::load("/etc/app.toml").unwrap_err();
    let boxed: Box<dyn Error + Send + Sync> = Box::new(app::load("/etc/app.toml").unwrap_err());
    let any = anyhow::Error::new(app::load("/etc/app.toml").unwrap_err()).context("ctx");
    let payload = std::panic::catch_unwind(|| panic!("exploded")).unwrap_err();
    let (_, events) = capture(|| {
        log_returned_err!(chain3, false);
        log_returned_err!(boxed, true);
        log_returned_err!(&any, false);
        log_returned_err!(payload, false);
        log_returned_err!(DisplayOnly, false);
        log_returned_err!(DebugOnly { code: 503 }, false);
        log_returned_err!(String::from("a string error"), false);
    });
    let e = events.events();
    assert_eq!(e.len(), 7, "{:?}", events.messages());
    assert_eq!(chain(&e[0]), THREE);
    assert_eq!(exc(&e[0]).type_name(), "exc_info::app::ConfigError");
    assert!(exc(&e[0]).backtrace().is_none());
    assert_eq!(chain(&e[1]), THREE);
    assert!(exc(&e[1]).backtrace().is_some_and(|bt| {
        bt[0]
            .function()
            .starts_with("exc_info::returned_errors_are_recorded_by_type")
    }));
    assert_eq!(chain(&e[2])[0], "ctx");
    assert_eq!(chain(&e[2]).len(), 4);
    assert_eq!(exc(&e[2]).type_name(), "anyhow::Error");
    assert_eq!(chain(&e[3]), ["exploded"]);
    assert_eq!(exc(&e[3]).type_name(), "panic");
    assert_eq!(chain(&e[4]), ["display only"]);
    assert_eq!(exc(&e[4]).type_name(), "exc_info::DisplayOnly");
    assert_eq!(chain(&e[5]), ["DebugOnly { code: 503 }"]);
    assert_eq!(chain(&e[6]), ["a string error"]);
    assert_eq!(exc(&e[6]).type_name(), "alloc::string::String");
}

#[test]
fn exc_info_is_a_key_no_other_data_can_take() {
    let (_, events) = capture(|| {
        let ctx = pulselog::context::Context::current().with_field("exc_info", "from context");
        ctx.scope(|| log_error!(io::Error::other("boom"), "failed"));
    });
    let j = json(events.only());
    assert_eq!(j["exc_info"]["message"], "boom");
    assert_eq!(j["extra.exc_info"], "from context");

    let err = pulselog::Config::new()
        .json(JsonFormat::new().static_field("exc_info", 1))
        .install()
        .expect_err("refused before anything is installed");
    assert!(err.to_string().contains("`exc_info`"), "{err}");
}
