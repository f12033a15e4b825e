//! An axum service at the edge, seen from outside: the test re-runs this
//! binary as a child that serves an ordinary, a failing and a panicking
//! route behind `TraceLayer` and `RequestIdLayer`, and sends them requests
//! with a raw HTTP client on 127.0.0.1; the parent reads the child's log
//! lines (stdout) and the responses it got (stderr).

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use pulselog::prelude::*;
use pulselog::tower::RequestIdLayer;
use serde_json::Value as Json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;

/// Selects the child's role.
const ROLE: &str = "PULSELOG_TEST_EDGE_ROLE";

#[logged(level = "info")]
async fn item(Path(id): Path<u32>) -> String {
    info!("item looked up", id);
    format!("item {id}")
}

#[derive(Debug, thiserror::Error)]
#[error("payment gateway timed out")]
struct GatewayTimeout;

#[logged(level = "info")]
async fn checkout(Path(cart): Path<u32>) -> StatusCode {
    log_error!(GatewayTimeout, "checkout failed", exc_info, cart);
    StatusCode::SERVICE_UNAVAILABLE
}

/// The line of the panic, for the parent to find in the report.
#[inline(never)]
fn explode_line() -> u32 {
    line!() + 6
}

#[logged(level = "info")]
async fn explode(Path(n): Path<u32>) -> String {
    let parts: Vec<u32> = Vec::new();
    format!("{}", parts[n as usize])
}

/// Sends `GET path` with `x-request-id: id`; returns `status id-echoed`.
fn request(addr: SocketAddr, path: &str, id: &str) -> String {
    let mut conn = TcpStream::connect(addr).expect("connect");
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-request-id: {id}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    // A dropped connection reads as an empty answer.
    let _ = conn.read_to_string(&mut answer);
    let status = answer.split(' ').nth(1).unwrap_or("dropped");
    let echoed = answer
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-request-id: ")
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "none".into());
    format!("{path} {status} {echoed}")
}

fn service_child() {
    let guard = pulselog::init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let app = Router::new()
            .route("/items/{id}", get(item))
            .route("/checkout/{cart}", get(checkout))
            .route("/explode/{n}", get(explode))
            .layer(tower_http::trace::TraceLayer::new_for_http())
            .layer(RequestIdLayer::new());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("its address");
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let answers = tokio::task::spawn_blocking(move || {
            [
                ("/items/7", "req-item"),
                ("/checkout/3", "req-checkout"),
                ("/explode/1", "req-explode"),
                ("/items/8", "req-after"),
            ]
            .map(|(path, id)| request(addr, path, id))
        })
        .await
        .expect("the client");
        for answer in answers {
            eprintln!("ANSWER {answer}");
        }
        server.abort();
    });
    drop(guard);
    std::process::exit(0);
}

/// Runs the child in `format`; its JSON lines and its answers.
fn run_child(format: &str) -> (Vec<Json>, Vec<String>) {
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "the_service_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, "service")
        .env("PULSELOG_FORMAT", format)
        .env_remove("PULSELOG_LEVEL")
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("child runs");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // The test harness writes to stdout too, and its `test name ... ` may
    // precede a line of ours.
    let lines = stdout
        .lines()
        .filter_map(|l| l.find('{').map(|at| &l[at..]))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let answers = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("ANSWER "))
        .map(str::to_owned)
        .collect();
    (lines, answers)
}

#[test]
fn the_service_child() {
    if std::env::var(ROLE).as_deref() == Ok("service") {
        service_child();
    }
}

fn find<'a>(lines: &'a [Json], what: impl Fn(&Json) -> bool, name: &str) -> &'a Json {
    let mut found = lines.iter().filter(|l| what(l));
    let line = found
        .next()
        .unwrap_or_else(|| panic!("no {name} in {lines:#?}"));
    assert!(found.next().is_none(), "one {name}: {lines:#?}");
    line
}

#[test]
fn panics_ordinary_and_failing_routes_at_the_edge() {
    let (lines, answers) = run_child("json");
    // Every request is answered with its id, the panicking one with a 500,
    // and the service goes on.
    assert_eq!(
        answers,
        [
            "/items/7 200 req-item",
            "/checkout/3 503 req-checkout",
            "/explode/1 500 req-explode",
            "/items/8 200 req-after",
        ]
    );
    let by_id =
        |id: &str| -> Vec<&Json> { lines.iter().filter(|l| l["request_id"] == id).collect() };

    // The ordinary route: the access line under semantic-convention keys,
    // the route included, written by pulselog's own function and file.
    let access = find(
        &lines,
        |l| l["message"] == "GET /items/7 200",
        "access line",
    );
    assert_eq!(access["http.request.method"], "GET");
    assert_eq!(access["url.path"], "/items/7");
    assert_eq!(access["http.response.status_code"], 200);
    assert_eq!(access["http.route"], "/items/{id}");
    assert!(access["elapsed_ms"].is_f64(), "{access}");
    assert_eq!(access["request_id"], "req-item");
    assert_eq!(access["name"], "pulselog::tower");
    assert_eq!(access["filename"], "pulselog/src/tower.rs");
    assert_eq!(access["funcName"], "access_line");
    assert!(access.get("http.method").is_none() && access.get("http.status_code").is_none());

    // The panic: reported once (the hook's CRITICAL line, with the
    // request's id), no failure line from tower-http, the handler's
    // `#[logged]` exit marked as a panic, a 500 access line.
    let explode = by_id("req-explode");
    let reports: Vec<&&Json> = explode
        .iter()
        .filter(|l| {
            l["levelname"] == "CRITICAL"
                || l["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("tower_http"))
        })
        .collect();
    assert_eq!(reports.len(), 1, "{explode:#?}");
    let report = reports[0];
    assert_eq!(report["levelname"], "CRITICAL");
    assert_eq!(report["name"], "panic");
    assert_eq!(report["lineno"], explode_line());
    assert_eq!(report["funcName"], "explode");
    let exit = find(
        &lines,
        |l| l["message"] == "exit" && l["request_id"] == "req-explode",
        "panic exit",
    );
    assert_eq!(exit["levelname"], "ERROR");
    assert_eq!(exit["panicked"], true);
    assert_eq!(exit["funcName"], "explode");
    assert!(exit["elapsed_ms"].is_f64(), "{exit}");
    let access = find(
        &lines,
        |l| l["message"] == "GET /explode/1 500",
        "the panic's access line",
    );
    assert_eq!(access["request_id"], "req-explode");
    assert_eq!(access["http.route"], "/explode/{n}");
    assert_eq!(access["http.response.status_code"], 500);

    // The failing route: the error's backtrace shows the handler's own
    // frames, and the framework below them as counted lines.
    let failed = find(&lines, |l| l["message"] == "checkout failed", "the error");
    let backtrace: Vec<&str> = failed["exc_info"]["backtrace"]
        .as_array()
        .expect("a backtrace")
        .iter()
        .map(|f| f.as_str().expect("a frame"))
        .collect();
    eprintln!(
        "backtrace: {} lines, {} bytes of JSON: {backtrace:#?}",
        backtrace.len(),
        failed.to_string().len()
    );
    assert!(
        backtrace[0].starts_with("edge::checkout::{{closure}} at tests/tests/edge.rs:"),
        "{backtrace:#?}"
    );
    for frame in &backtrace {
        assert!(
            frame.starts_with("edge::") || (frame.starts_with("… ") && frame.ends_with(" …")),
            "only the program's own frames and counted runs: {backtrace:#?}"
        );
    }
    let collapsed = backtrace.iter().filter(|f| f.starts_with("… ")).count();
    assert!(
        collapsed >= 1 && backtrace.len() - collapsed <= 6,
        "{backtrace:#?}"
    );
    assert!(
        backtrace
            .iter()
            .any(|f| f.starts_with("… ") && f.contains("axum")),
        "{backtrace:#?}"
    );
}

#[test]
fn the_access_line_in_ecs_and_otel() {
    let (lines, _) = run_child("ecs");
    let access = find(
        &lines,
        |l| l["message"] == "GET /items/7 200",
        "ECS access line",
    );
    assert_eq!(access["http.request.method"], "GET");
    assert_eq!(access["http.response.status_code"], 200);
    assert_eq!(access["url.path"], "/items/7");
    assert_eq!(access["http.route"], "/items/{id}");
    assert_eq!(access["log.origin.file.name"], "pulselog/src/tower.rs");
    assert_eq!(access["log.origin.function"], "access_line");
    let ns = access["event.duration"].as_u64().expect("nanoseconds");
    let ms = access["elapsed_ms"].as_f64().expect("milliseconds");
    assert!((ns as f64 / 1e6 - ms).abs() < 0.001, "{access}");

    let (lines, _) = run_child("otel");
    let access = lines
        .iter()
        .map(|l| &l["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0])
        .find(|r| r["body"]["stringValue"] == "GET /items/7 200")
        .expect("the OTel access line");
    let attr = |key: &str| {
        access["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"].clone())
            .unwrap_or_else(|| panic!("no {key} in {access}"))
    };
    assert_eq!(attr("http.request.method")["stringValue"], "GET");
    assert_eq!(attr("http.response.status_code")["intValue"], "200");
    assert_eq!(attr("http.route")["stringValue"], "/items/{id}");
    assert_eq!(attr("url.path")["stringValue"], "/items/7");
    assert_eq!(
        attr("code.file.path")["stringValue"],
        "pulselog/src/tower.rs"
    );
    assert_eq!(attr("code.function.name")["stringValue"], "access_line");
}
