//! Records from the `log` facade and events from `tracing`, through
//! pulselog: their own target, file, line, level and typed fields, the
//! request context, the filter (changed at run time too), and the fields of
//! the `tracing` spans they are inside. A test binary of its own: it
//! installs the process's one logger, `log` logger and `tracing`
//! subscriber.

mod common;

use common::Shared;
use pulselog::prelude::*;
use pulselog::{Config, Format, context::Context};
use serde_json::Value;

/// The lines written since the last call.
struct Lines {
    out: Shared,
    seen: usize,
}

impl Lines {
    fn new_ones(&mut self) -> Vec<Value> {
        pulselog::flush();
        let all = self.out.lines();
        let new = all[self.seen..].to_vec();
        self.seen = all.len();
        new
    }
}

#[test]
fn log_and_tracing_records_come_out_as_pulselog_lines() {
    let out = Shared::default();
    let _guard = Config::new()
        .format(Format::Json)
        .filter("info,hyper=warn,tower_http=warn")
        .writer(out.clone())
        .install()
        .unwrap();
    let mut lines = Lines { out, seen: 0 };
    let ctx = Context::current()
        .with_request_id("req-42")
        .with_field("tenant", "acme");

    // One line each, with their own target, file and line, typed fields and
    // the request context.
    let (log_line, tracing_line) = ctx.scope(|| {
        log::warn!(target: "hyper::proto", k = 1, peer = "10.0.0.7", ok = true; "x");
        let log_line = line!() - 1;
        tracing::warn!(target: "tower_http::trace", k = 1, ratio = 0.5, "x {}", 7);
        (log_line, line!() - 1)
    });
    let new = lines.new_ones();
    assert_eq!(new.len(), 2, "{new:#?}");
    let (from_log, from_tracing) = (&new[0], &new[1]);
    assert_eq!(from_log["name"], "hyper::proto");
    assert_eq!(from_log["levelname"], "WARNING");
    assert_eq!(from_log["message"], "x");
    assert_eq!(from_log["filename"], file!());
    assert_eq!(from_log["lineno"], log_line);
    assert_eq!(from_log["funcName"], "", "never the bridge's own");
    assert_eq!(from_log["k"], 1, "a number stays a number");
    assert_eq!(from_log["peer"], "10.0.0.7");
    assert_eq!(from_log["ok"], true);
    assert_eq!(from_tracing["name"], "tower_http::trace");
    assert_eq!(from_tracing["levelname"], "WARNING");
    assert_eq!(from_tracing["message"], "x 7");
    assert_eq!(from_tracing["filename"], file!());
    assert_eq!(from_tracing["lineno"], tracing_line);
    assert_eq!(from_tracing["funcName"], "");
    assert_eq!(from_tracing["k"], 1);
    assert_eq!(from_tracing["ratio"], 0.5);
    for line in &new {
        assert_eq!(line["request_id"], "req-42", "{line}");
        assert_eq!(line["tenant"], "acme", "{line}");
    }

    // The directives apply to their targets.
    log::info!(target: "hyper::client", "filtered");
    tracing::info!(target: "tower_http::trace", "filtered");
    log::info!(target: "my_app::db", "kept");
    tracing::info!(target: "my_app::db", "kept");
    let messages: Vec<Value> = lines
        .new_ones()
        .iter()
        .map(|l| l["message"].clone())
        .collect();
    assert_eq!(messages, ["kept", "kept"]);

    // New directives reach both bridges at once, and the facade's maximum
    // level follows them.
    assert_eq!(log::max_level(), log::LevelFilter::Info);
    pulselog::set_filter("info,hyper=debug,tower_http=debug").unwrap();
    assert_eq!(log::max_level(), log::LevelFilter::Debug);
    log::debug!(target: "hyper::client", "now");
    tracing::debug!(target: "tower_http::trace", "now");
    log::debug!(target: "my_app::db", "still filtered");
    let messages: Vec<Value> = lines
        .new_ones()
        .iter()
        .map(|l| l["message"].clone())
        .collect();
    assert_eq!(messages, ["now", "now"]);
    // A bad directive changes nothing and says why.
    let err = pulselog::set_filter("info,hyper=loud").unwrap_err();
    assert!(err.to_string().contains("loud"), "{err}");
    log::debug!(target: "hyper::client", "still on");
    assert_eq!(lines.new_ones()[0]["message"], "still on");
    pulselog::set_filter("info").unwrap();

    // The fields of the spans an event is in are bound like context
    // fields, for `tracing`'s events and pulselog's own alike, on top of
    // the request id of the context the span was made in.
    ctx.scope(|| {
        let request = tracing::info_span!("request", method = "GET", uri = "/orders/7");
        let _entered = request.enter();
        let inner = tracing::debug_span!("db", table = "orders");
        inner.in_scope(|| {
            tracing::info!(target: "my_app::db", rows = 3, "query done");
            info!("own event");
        });
        tracing::info!(target: "my_app", "after the inner span");
    });
    info!("outside every span");
    let new = lines.new_ones();
    assert_eq!(new.len(), 4, "{new:#?}");
    for line in &new[..2] {
        assert_eq!(line["method"], "GET", "{line}");
        assert_eq!(line["uri"], "/orders/7");
        assert_eq!(line["table"], "orders");
        assert_eq!(line["request_id"], "req-42");
    }
    assert_eq!(new[0]["rows"], 3);
    assert_eq!(new[2]["method"], "GET");
    assert!(
        new[2].get("table").is_none(),
        "the inner span was left: {}",
        new[2]
    );
    assert!(new[3].get("method").is_none() && new[3].get("request_id").is_none());

    // A span entered from another context than the one it was made in
    // keeps the request id of the context it is entered from.
    let early = tracing::info_span!("made before the request", stage = 1);
    Context::current().with_request_id("req-43").scope(|| {
        early.in_scope(|| tracing::info!(target: "my_app", "late entry"));
    });
    let new = lines.new_ones();
    assert_eq!(new[0]["request_id"], "req-43");
    assert_eq!(new[0]["stage"], 1);
}
