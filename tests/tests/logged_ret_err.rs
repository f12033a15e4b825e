//! `#[logged(ret)]` and `#[logged(err)]`: the return value on the exit
//! event, and the error logged with its source chain (and a backtrace on
//! request), on sync and async fns. Observed through `pulselog::testing`.

mod common;

use common::block_on;
use pulselog::JsonFormat;
use pulselog::prelude::*;
use pulselog::testing::capture;

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
    assert_eq!(events.messages(), ["enter", "err_only failed", "exit"]);
    let error = events.find("err_only failed");
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
        .filter(|e| e.message().ends_with(" failed"))
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
    let exc = events.find("err_with_backtrace failed").exc_info().unwrap();
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
    assert_eq!(events.messages(), ["enter", "async_err failed", "exit"]);
    let error = events.find("async_err failed");
    assert_eq!(error.exc_info().unwrap().chain().count(), 2);
    assert_eq!(error.function(), "async_err");
    let json: serde_json::Value = serde_json::from_str(&error.to_json(&JsonFormat::new())).unwrap();
    assert_eq!(json["exc_info"]["chain"][1], "gateway timed out");
}

#[test]
fn err_of_a_type_that_is_not_an_error_logs_its_message() {
    let (_, events) = capture(err_debug_only);
    let exc = events.find("err_debug_only failed").exc_info().unwrap();
    assert_eq!(exc.message(), "[1, 2]");
    assert_eq!(exc.chain().count(), 1);
}

mod checkout {
    use pulselog::ErrorLevel;
    use pulselog::prelude::*;

    #[derive(Debug, thiserror::Error)]
    pub enum CartError {
        #[error("no cart {0}")]
        NotFound(u64),
        #[error("database unavailable")]
        Database,
    }

    impl ErrorLevel for CartError {
        fn error_level(&self) -> Level {
            match self {
                CartError::NotFound(_) => Level::Warning,
                CartError::Database => Level::Error,
            }
        }
    }

    fn failing(cart: u64) -> Result<(), CartError> {
        Err(if cart == 0 {
            CartError::Database
        } else {
            CartError::NotFound(cart)
        })
    }

    /// The error type's own `ErrorLevel`.
    #[logged(err)]
    pub fn checkout(cart: u64) -> Result<(), CartError> {
        failing(cart)
    }

    /// A closure over the error, and a message of its own.
    #[logged(err(level = |e| if matches!(e, CartError::NotFound(_)) { Level::Info } else { Level::Critical }, message = "cart lookup failed"))]
    pub fn lookup(cart: u64) -> Result<(), CartError> {
        failing(cart)
    }

    pub fn io_level(e: &std::io::Error) -> Level {
        if e.kind() == std::io::ErrorKind::NotFound {
            Level::Warning
        } else {
            Level::Error
        }
    }

    /// A function, on an async fn whose events are renamed.
    #[logged(name = "load_file", err(level = io_level, backtrace))]
    pub async fn load(kind: std::io::ErrorKind) -> Result<(), std::io::Error> {
        std::future::ready(()).await;
        Err(kind.into())
    }

    /// A named level wins over the type's own.
    #[logged(err(level = "critical"))]
    pub fn pinned(cart: u64) -> Result<(), CartError> {
        failing(cart)
    }
}

#[test]
fn err_names_the_function_that_failed_and_its_level_can_depend_on_the_error() {
    use checkout::*;
    let level_of = |events: &pulselog::testing::Captured, message: &str| {
        let e = events.find(message);
        assert!(e.exc_info().is_some(), "{message} carries the error");
        e.level()
    };
    let (_, events) = capture(|| checkout(7));
    assert_eq!(events.messages(), ["enter", "checkout failed", "exit"]);
    assert_eq!(level_of(&events, "checkout failed"), Level::Warning);
    let (_, events) = capture(|| checkout(0));
    assert_eq!(level_of(&events, "checkout failed"), Level::Error);

    let (_, events) = capture(|| lookup(7));
    assert_eq!(level_of(&events, "cart lookup failed"), Level::Info);
    let (_, events) = capture(|| lookup(0));
    assert_eq!(level_of(&events, "cart lookup failed"), Level::Critical);
    assert_eq!(events.find("cart lookup failed").function(), "lookup");

    let (_, events) = capture(|| block_on(load(std::io::ErrorKind::NotFound)));
    assert_eq!(level_of(&events, "load_file failed"), Level::Warning);
    let error = events.find("load_file failed");
    assert_eq!(error.function(), "load_file");
    assert!(error.exc_info().unwrap().backtrace().is_some());
    let (_, events) = capture(|| block_on(load(std::io::ErrorKind::PermissionDenied)));
    assert_eq!(level_of(&events, "load_file failed"), Level::Error);

    let (_, events) = capture(|| pinned(7));
    assert_eq!(level_of(&events, "pinned failed"), Level::Critical);
}
