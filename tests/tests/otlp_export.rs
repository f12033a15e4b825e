//! The OTLP/HTTP export (feature `otlp`): a receiver on 127.0.0.1 decodes
//! every request with the official types (`opentelemetry-proto`, prost),
//! and goes away for a while in the middle of a run; every event must
//! arrive exactly once or be counted as lost in a WARNING line.
#![cfg(feature = "otlp")]

mod common;

use common::child;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value};
use prost::Message as _;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
    body: ExportLogsServiceRequest,
}

/// A minimal OTLP/HTTP receiver: HTTP/1.1 with keep-alive, answers 200 to
/// every request it has decoded and recorded. Stopping it closes the
/// listener and every connection between two requests, so that a request
/// is either recorded and answered or never read.
struct Receiver {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

type Log = Arc<Mutex<Vec<Request>>>;

impl Receiver {
    fn start(listener: TcpListener, log: &Log) -> Receiver {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, log) = (Arc::clone(&stop), Arc::clone(log));
        listener.set_nonblocking(true).unwrap();
        let thread = std::thread::spawn(move || {
            let mut conns = Vec::new();
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (s, log) = (Arc::clone(&s), Arc::clone(&log));
                        conns.push(std::thread::spawn(move || serve(stream, &s, &log)));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            drop(listener);
            for c in conns {
                c.join().unwrap();
            }
        });
        Receiver { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap();
    }
}

/// Serves one connection until the client closes it or the receiver stops.
fn serve(stream: TcpStream, stop: &AtomicBool, log: &Mutex<Vec<Request>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        // Between requests: stop here (a request that has begun to arrive
        // is left unread: the client sees the connection close and sends
        // it again), or wait for the next one.
        match reader.fill_buf() {
            Ok([]) => return,
            _ if stop.load(Ordering::Relaxed) => return,
            Ok(_) => {}
            Err(_) => continue,
        }
        reader.get_ref().set_read_timeout(None).unwrap();
        let mut head = String::new();
        let mut lines = Vec::new();
        loop {
            head.clear();
            if reader.read_line(&mut head).unwrap() == 0 {
                return;
            }
            let line = head.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            lines.push(line);
        }
        let path = lines[0].split(' ').nth(1).unwrap().to_owned();
        assert!(lines[0].starts_with("POST "), "{lines:?}");
        let headers: Vec<(String, String)> = lines[1..]
            .iter()
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .expect("a content length")
            .1
            .parse()
            .unwrap();
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let body = ExportLogsServiceRequest::decode(&body[..]).expect("a protobuf request");
        log.lock().unwrap().push(Request {
            path,
            headers,
            body,
        });
        out.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
        reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
    }
}

fn text(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            _ => None,
        }
    })
}

fn int(attrs: &[KeyValue], key: &str) -> Option<i64> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            Value::IntValue(n) => Some(*n),
            _ => None,
        }
    })
}

/// Each event's `seq` and how often it arrived, checking every request on
/// the way.
fn arrivals(log: &Log) -> BTreeMap<i64, u32> {
    let mut seen = BTreeMap::new();
    for req in log.lock().unwrap().iter() {
        assert_eq!(req.path, "/v1/logs");
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("content-type"), Some("application/x-protobuf"));
        assert_eq!(header("x-api-key"), Some("secret value"));
        for rl in &req.body.resource_logs {
            let resource = &rl.resource.as_ref().unwrap().attributes;
            assert_eq!(
                text(resource, "service.name").as_deref(),
                Some("export-test")
            );
            for sl in &rl.scope_logs {
                assert_eq!(sl.scope.as_ref().unwrap().name, "pulselog_child");
                for r in &sl.log_records {
                    let seq = int(&r.attributes, "seq").expect("seq");
                    let body = match r.body.as_ref().and_then(|b| b.value.as_ref()) {
                        Some(Value::StringValue(s)) => s.clone(),
                        other => panic!("body {other:?}"),
                    };
                    assert_eq!(body, format!("export {seq}"));
                    assert_eq!(r.severity_number, 9);
                    assert_eq!(r.severity_text, "INFO");
                    assert!(r.time_unix_nano > 0);
                    assert!(
                        text(&r.attributes, "code.file.path")
                            .unwrap()
                            .ends_with("main.rs")
                    );
                    *seen.entry(seq).or_insert(0) += 1;
                }
            }
        }
    }
    seen
}

/// The events the child's WARNING lines say were not exported.
fn reported_lost(stdout: &[String]) -> u64 {
    stdout
        .iter()
        .map(|l| child::json(l))
        .filter_map(|l| l.get("undelivered").and_then(serde_json::Value::as_u64))
        .sum()
}

fn wait_for(log: &Log, events: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while log
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| &r.body.resource_logs)
        .flat_map(|rl| &rl.scope_logs)
        .map(|sl| sl.log_records.len())
        .sum::<usize>()
        < events
    {
        assert!(
            Instant::now() < deadline,
            "the export never sent {events} events"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A receiver on a free port, and the child logging `n` events exporting
/// to it; the child's output, read as it comes (a full stdout pipe would
/// stall its writer, and so its export), once it has ended.
fn start_run(
    n: u64,
    extra: &'static str,
) -> (u16, Log, Receiver, JoinHandle<std::process::Output>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let receiver = Receiver::start(listener, &log);
    let endpoint = format!("http://127.0.0.1:{port}");
    let child = child::command(&["export", &n.to_string(), extra])
        .env("PULSELOG_FORMAT", "json")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .env("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=secret%20value")
        .env("OTEL_SERVICE_NAME", "export-test")
        .spawn()
        .expect("spawn child");
    let pid = child.id();
    let output = std::thread::spawn(move || {
        child::within_time(&["export"], pid, move || child.wait_with_output())
    });
    (port, log, receiver, output)
}

#[test]
fn every_event_arrives_once_or_is_counted_across_a_collector_outage() {
    const N: u64 = 10_000;
    let (port, log, receiver, child) = start_run(N, "");

    // The collector goes away in the middle of the run, then comes back on
    // the same port.
    wait_for(&log, 2_000);
    receiver.stop();
    let before = arrivals(&log).len();
    std::thread::sleep(Duration::from_millis(1_500));
    let receiver = Receiver::start(TcpListener::bind(("127.0.0.1", port)).unwrap(), &log);

    let out = child.join().unwrap();
    receiver.stop();
    assert!(out.status.success(), "{out:?}");
    let stdout = child::stdout_lines(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // stdout has every event, whatever the export did.
    let written = stdout
        .iter()
        .filter(|l| {
            child::json(l)["message"]
                .as_str()
                .unwrap()
                .starts_with("export ")
        })
        .count() as u64;
    assert_eq!(written, N, "{stderr}");

    let seen = arrivals(&log);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "events delivered more than once: {twice:?}"
    );
    let lost = reported_lost(&stdout);
    assert_eq!(
        seen.len() as u64 + lost,
        N,
        "delivered + counted as lost; stderr: {stderr}"
    );
    assert!(
        seen.keys().all(|s| (0..N as i64).contains(s)),
        "only the child's events"
    );
    // The outage was seen, and the export went on after it.
    assert!(stderr.contains("failed"), "{stderr}");
    assert!(stderr.contains("works again"), "{stderr}");
    assert!(seen.len() > before, "events delivered after the outage");
}

#[test]
fn a_collector_that_stays_down_costs_a_bounded_wait_and_every_event_is_counted() {
    const N: u64 = 3_000;
    let (_, log, receiver, child) = start_run(N, "short");
    wait_for(&log, 500);
    receiver.stop();

    let out = child.join().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = child::stdout_lines(&out);
    let seen = arrivals(&log);
    assert!(seen.values().all(|n| *n == 1), "none twice");
    let lost = reported_lost(&stdout);
    assert!(lost > 0, "a collector that never came back loses events");
    assert_eq!(seen.len() as u64 + lost, N);
    let warnings: Vec<_> = stdout
        .iter()
        .map(|l| child::json(l))
        .filter(|l| l.get("undelivered").is_some())
        .collect();
    assert!(
        warnings.iter().all(|w| w["levelname"] == "WARNING"
            && w["message"]
                .as_str()
                .unwrap()
                .starts_with("pulselog could not export ")),
        "{warnings:?}"
    );
}

/// `"N events were not exported: reason"` on stderr and `"pulselog could
/// not export N events: reason"` in a WARNING line are two reports of one
/// loss: every reason stderr names has the same count in the lines.
#[test]
fn stderr_and_the_warning_line_count_a_loss_alike() {
    const N: u64 = 3_000;
    let (_, log, receiver, child) = start_run(N, "short");
    wait_for(&log, 500);
    receiver.stop();

    let out = child.join().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said: Vec<(u64, &str)> = stderr
        .lines()
        .filter_map(|l| {
            let (n, reason) = l.split_once(" events were not exported: ")?;
            Some((n.rsplit(' ').next()?.parse().ok()?, reason))
        })
        .collect();
    assert!(!said.is_empty(), "the export gave up at exit: {stderr}");
    let mut warned: BTreeMap<String, u64> = BTreeMap::new();
    for line in child::stdout_lines(&out) {
        let v = child::json(&line);
        let Some(n) = v.get("undelivered").and_then(serde_json::Value::as_u64) else {
            continue;
        };
        *warned
            .entry(v["reason"].as_str().unwrap().to_owned())
            .or_default() += n;
    }
    for (n, reason) in said {
        assert_eq!(
            warned.get(reason),
            Some(&n),
            "stderr: {n} for `{reason}`; the WARNING lines: {warned:?}"
        );
    }
}

/// A collector that accepts connections and never reads or answers: the
/// export is given up after one block timeout (here while the events are
/// logged: more of them than the export queue holds), and neither a flush
/// nor the guard's drop nor the exit waits for it again. The child times
/// its logging, its flushes and its guard's drop; the test, the exit after
/// them. Their sum is held only to a generous bound, three block timeouts
/// where one is expected (waiting again for the given-up export at the
/// drop and at the exit took four), not to a tight figure.
#[test]
fn a_collector_that_never_answers_costs_one_block_timeout_in_all() {
    const N: u64 = 20_000;
    const BLOCK_MS: u64 = 1_000;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // Every connection is held open, never read.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let mut proc = child::command(&["hung-export", &N.to_string(), &BLOCK_MS.to_string()])
        .env("PULSELOG_FORMAT", "json")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .spawn()
        .expect("spawn child");
    let mut stdout = proc.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    // Stderr line by line, with the moment the child said it had dropped
    // its guard.
    let stderr = proc.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut dropped_at = None;
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.contains("drop_ms=") {
                dropped_at = Some(Instant::now());
            }
            lines.push(line);
        }
        (lines.join("\n"), dropped_at)
    });
    let pid = proc.id();
    let status = child::within_time(&["hung-export"], pid, move || proc.wait());
    let exited = Instant::now();
    let (err, dropped_at) = stderr.join().unwrap();
    assert!(status.success(), "{status:?}: {err}");
    let dropped_at = dropped_at.unwrap_or_else(|| panic!("no drop_ms= on stderr: {err}"));

    // stdout keeps every event, whatever the export does.
    let written = stdout
        .join()
        .unwrap()
        .lines()
        .filter(|l| {
            child::json(l)["message"]
                .as_str()
                .unwrap()
                .starts_with("export ")
        })
        .count() as u64;
    assert_eq!(written, N, "{err}");

    let log = child::figure(err.as_bytes(), "log_ms");
    let flush = child::figure(err.as_bytes(), "flush_ms");
    let second = child::figure(err.as_bytes(), "second_flush_ms");
    let drop = child::figure(err.as_bytes(), "drop_ms");
    let exit = exited.saturating_duration_since(dropped_at).as_millis() as u64;
    let total = log + flush + second + drop + exit;
    println!(
        "block timeout {BLOCK_MS} ms: logging {log} ms, flush {flush} ms, second flush \
         {second} ms, guard drop {drop} ms, exit {exit} ms; {total} ms in all"
    );
    assert!(
        total < 3 * BLOCK_MS,
        "a hung collector is waited for once: {total} ms in all\n{err}"
    );
}

#[test]
fn an_otlp_output_at_info_beside_stdout_at_warning_gets_exactly_its_events() {
    const N: u64 = 2_000;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let receiver = Receiver::start(listener, &log);
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = child::run(&["outputs-otlp", &endpoint, &N.to_string()], &[]);
    assert!(out.status.success(), "{out:?}");
    receiver.stop();
    // Every event reached the collector once, warnings and infos alike.
    let mut seen = BTreeMap::new();
    for req in log.lock().unwrap().iter() {
        for rl in &req.body.resource_logs {
            for sl in &rl.scope_logs {
                for r in &sl.log_records {
                    let seq = int(&r.attributes, "seq").expect("seq");
                    let expected = if seq % 2 == 0 { 9 } else { 13 };
                    assert_eq!(r.severity_number, expected, "{seq}");
                    *seen.entry(seq).or_insert(0) += 1;
                }
            }
        }
    }
    assert_eq!(seen.len() as u64, N);
    assert!(seen.values().all(|&n| n == 1), "duplicates");
    // stdout has the warnings only.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let seqs: Vec<u64> = stdout
        .lines()
        .map(child::json)
        .map(|l| l["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, (0..N).filter(|i| i % 2 == 1).collect::<Vec<_>>());
}
