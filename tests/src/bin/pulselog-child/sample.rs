//! The `sample` role: one event of every shape a line can take, for the
//! tests that check each format's lines against their spec (ECS, OTLP/JSON).

use pulselog::context::RequestId;
use pulselog::prelude::*;
use pulselog::{Level, context::Context};

/// A traceparent as an upstream service sends it.
pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[derive(Debug)]
struct Outer(std::io::Error);

impl std::fmt::Display for Outer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("could not load the \"config\"\nfile")
    }
}

impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[logged(level = "info", args)]
fn handle(order: u64) -> u64 {
    info!("inside a traced request", order = order);
    order + 1
}

/// Logs the sample: every level, every kind of value, hostile text, errors
/// with a chain and a backtrace, a request with a W3C trace and bound
/// fields, `#[logged]` enter/exit, a caught panic.
pub fn run() {
    let _guard = pulselog::init();
    for level in Level::ALL {
        log!(level, "level {level}", n = level.number());
    }
    info!(
        "every kind of value",
        i = -3,
        u = u64::MAX,
        big = i128::MIN,
        f = 1.5,
        nan = f64::NAN,
        inf = f64::NEG_INFINITY,
        b = true,
        c = 'x',
        none = Option::<u8>::None,
        s = "text"
    );
    let nasty = "quote \" nl \n cr \r tab \t nul \0 esc \u{1b}[2J del \u{7f} c1 \u{85} sep \u{2028} bidi \u{202e} emoji 😀";
    warning!("{nasty}", value = nasty, dotted.key = 1);
    let err = Outer(std::io::Error::other("disk on fire"));
    log_error!(err, "config load failed", path = "/etc/app.toml");
    let err = Outer(std::io::Error::other("again"));
    log_error!(err, "with a backtrace", exc_info);
    let id = RequestId::from_headers(Some("req-7"), Some(TRACEPARENT));
    Context::current()
        .with_id(id)
        .with_field("user_id", 99)
        .scope(|| {
            handle(41);
            error!("failed in the request", gateway = "stripe");
        });
    Context::current()
        .with_request_id("plain-id")
        .scope(|| info!("an id without a trace"));
    let _ = std::panic::catch_unwind(|| panic!("a value that was not there"));
    critical!("last line");
}
