//! The example service under a real HTTP client on loopback: a thousand
//! concurrent requests, half with an `x-request-id`, a tenth with a
//! `traceparent`, the rest with none. Every response echoes an id, and
//! every line of a request (the handler's, its `#[logged]` function's, the
//! spawned task's, the `log` facade's, tower-http's through `tracing`, the
//! access line) carries exactly that request's id.

use pulselog::{Config, Format};
use pulselog_examples::service::app;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the client sends to identify the request.
enum Sent {
    RequestId(String),
    TraceParent { header: String, trace_id: String },
    Nothing,
}

/// One `GET /orders/{n}` on a connection of its own; the status and the
/// echoed `x-request-id`.
async fn get(addr: SocketAddr, n: u64, sent: &Sent) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let extra = match sent {
        Sent::RequestId(id) => format!("x-request-id: {id}\r\n"),
        Sent::TraceParent { header, .. } => format!("traceparent: {header}\r\n"),
        Sent::Nothing => String::new(),
    };
    let request =
        format!("GET /orders/{n} HTTP/1.1\r\nhost: localhost\r\n{extra}connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("a response");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {response}"));
    let echoed = response
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("x-request-id")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("an echoed id: {response}"));
    (status, echoed)
}

/// Room for two descriptors per concurrent request (client and server).
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid `rlimit` for the call to fill and read.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max.min(16 * 1024);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// The order a line belongs to: its `order` field (the handler, the
/// `#[logged]` function, the spawned task, the `log` line), its span's
/// `uri` (tower-http) or its `url.path` (the access line).
fn order_of(line: &Value) -> Option<u64> {
    if let Some(n) = line.get("order").and_then(Value::as_u64) {
        return Some(n);
    }
    let path = line.get("uri").or_else(|| line.get("url.path"))?.as_str()?;
    path.strip_prefix("/orders/")?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_line_of_a_request_carries_exactly_its_id() {
    raise_open_file_limit();
    let out = Shared::default();
    let _guard = Config::new()
        .format(Format::Json)
        .filter("info,tower_http=debug")
        .writer(out.clone())
        .install()
        .expect("install");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    pulselog::spawn(async move { axum::serve(listener, app()).await });

    let requests = 1000u64;
    let sent: Arc<Vec<Sent>> = Arc::new(
        (0..requests)
            .map(|n| match n % 10 {
                0 => Sent::TraceParent {
                    header: format!(
                        "00-{:032x}-{:016x}-01",
                        (0xabcu128 << 64) + u128::from(n),
                        n + 1
                    ),
                    trace_id: format!("{:032x}", (0xabcu128 << 64) + u128::from(n)),
                },
                _ if n % 2 == 1 => Sent::RequestId(format!("client-{n}")),
                _ => Sent::Nothing,
            })
            .collect(),
    );
    let calls: Vec<_> = (0..requests)
        .map(|n| {
            let sent = Arc::clone(&sent);
            pulselog::spawn(async move { get(addr, n, &sent[n as usize]).await })
        })
        .collect();
    let mut ids = HashMap::new();
    for (n, call) in calls.into_iter().enumerate() {
        let (status, echoed) = call.await.expect("a request");
        assert_eq!(status, 200, "request {n}");
        match &sent[n] {
            Sent::RequestId(id) => assert_eq!(&echoed, id, "the id sent is kept"),
            Sent::TraceParent { trace_id, .. } => assert_eq!(&echoed, trace_id),
            Sent::Nothing => assert_eq!(echoed.len(), 36, "a new UUID: {echoed}"),
        }
        ids.insert(n as u64, echoed);
    }
    let distinct: HashSet<&String> = ids.values().collect();
    assert_eq!(distinct.len(), ids.len(), "one id per request");
    // An id that fails validation (here: too long) is neither kept nor
    // echoed: the request gets a new one.
    let too_long = "x".repeat(300);
    let (status, echoed) = get(addr, requests, &Sent::RequestId(too_long)).await;
    assert_eq!((status, echoed.len()), (200, 36), "{echoed}");
    ids.insert(requests, echoed);

    pulselog::flush();
    let text = String::from_utf8(out.0.lock().unwrap().clone()).expect("UTF-8");
    let mut per_request: HashMap<u64, HashSet<String>> = HashMap::new();
    for line in text.lines() {
        let line: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let Some(n) = order_of(&line) else {
            assert!(line.get("request_id").is_none(), "a request's line: {line}");
            continue;
        };
        assert_eq!(line["request_id"], ids[&n], "{line}");
        per_request
            .entry(n)
            .or_default()
            .insert(format!("{} {}", line["name"], line["message"]));
    }
    // Every kind of line, for every request.
    let kinds = [
        "\"pulselog_examples::service\" \"looking up an order\"",
        "\"pulselog_examples::service\" \"enter\"",
        "\"pulselog_examples::service\" \"exit\"",
        "\"pulselog_examples::service\" \"audited\"",
        "\"orders::cache\" \"cache refreshed\"",
        "\"tower_http::trace::on_request\" \"started processing request\"",
        "\"tower_http::trace::on_response\" \"finished processing request\"",
        "\"pulselog::tower\" \"GET /orders/",
    ];
    assert_eq!(per_request.len() as u64, requests + 1);
    for (n, seen) in &per_request {
        for kind in kinds {
            assert!(
                seen.iter().any(|s| s.starts_with(kind)),
                "request {n} has no {kind} line: {seen:#?}"
            );
        }
    }
}
