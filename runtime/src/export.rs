//! OTLP/HTTP export (feature `otlp`): every event also goes to an
//! OpenTelemetry Collector, as `POST {endpoint}/v1/logs` with a protobuf
//! `ExportLogsServiceRequest`.
//!
//! **Batches.** The writer thread turns each record it formats into a log
//! record too (the same content as an `otel` line) and gathers them into
//! batches of up to [`BATCH_EVENTS`], grouped by logger name (the
//! instrumentation scope). A batch is handed to the export thread when it
//! is full and whenever the writer writes its output (when the lanes run
//! dry, on a flush). The export thread sends what is handed to it, up to
//! [`BATCH_EVENTS`] a request, waiting [`LINGER`] for a batch to fill unless
//! a flush asks.
//!
//! **Backpressure, as for the output.** At most [`MAX_QUEUED`] events wait
//! for the export thread. When that is full, [`Overflow::Drop`] drops the
//! batch at once; [`Overflow::Block`] waits for as long as the export
//! thread keeps delivering, and drops only when it has delivered nothing
//! for a whole block timeout (a collector that is down); until it delivers
//! again, further batches that do not fit are dropped without waiting, so
//! a collector that is down costs the output one block timeout, not one per
//! batch.
//!
//! **Retries.** A request that fails to connect, times out or gets 429, 502,
//! 503 or 504 (what the OTLP specification calls retryable) is sent again
//! with a backoff that doubles from 100 ms to [`MAX_BACKOFF`], for as long
//! as it takes: a collector that comes back gets every event the queue
//! held. Any other answer drops the request's events. The first failure
//! and the recovery are said on stderr.
//!
//! **Never silent.** Every event that is not delivered (dropped on a full
//! queue, refused by the collector, rejected in a partial success, still
//! undelivered at exit) is counted; the writer reports the counts in a
//! WARNING line, like the queue's own drops. At exit, the export waits for
//! the collector as long as it makes progress, up to one block timeout
//! without any, then counts what is left (the request under way too: the
//! collector may still take it, but the process does not wait to know).
//!
//! **Given up once.** An export already given up (a batch dropped after a
//! block timeout without delivery, and nothing delivered since; or given up
//! at a previous shutdown) is not waited for again: neither the shutdown
//! nor the exit after it waits for a collector that does not answer, so a
//! collector that hangs costs the program one block timeout in all.
//!
//! This file is longer than most on purpose: the writer's end, the state
//! they share and the export thread are one protocol (which side counts
//! which undelivered event, under which reason), and it reads as one.

use crate::diag::say;
use crate::format::Event;
use crate::format::otlp::{log_record, resource};
use crate::format::resource::{Resource, parse_list};
use crate::queue::{Overflow, Queue};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use prost::Message as _;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Most events in one request (the OpenTelemetry SDKs' default batch).
pub(crate) const BATCH_EVENTS: usize = 512;

/// Most events waiting for the export thread.
pub(crate) const MAX_QUEUED: usize = 16 * BATCH_EVENTS;

/// How long the export thread waits for a batch to fill before it sends
/// what it has.
pub(crate) const LINGER: Duration = Duration::from_millis(200);

/// The longest wait between two attempts of a failing request.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How long one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how to export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// The full URL requests go to (`…/v1/logs`); empty: no export.
    pub(crate) url: String,
    /// Headers sent with every request.
    pub(crate) headers: Vec<(String, String)>,
}

impl Endpoint {
    /// The logs URL of a collector's base endpoint (`http://localhost:4318`,
    /// as `OTEL_EXPORTER_OTLP_ENDPOINT` holds it): `/v1/logs` appended.
    pub(crate) fn logs_url(base: &str) -> String {
        format!("{}/v1/logs", base.trim().trim_end_matches('/'))
    }

    /// From OpenTelemetry's variables, read through `var`:
    /// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` (the URL as it is), else
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/logs` appended); headers from
    /// `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_LOGS_HEADERS`
    /// (which wins for a name in both). Also a problem to report: a
    /// protocol (`OTEL_EXPORTER_OTLP_[LOGS_]PROTOCOL`) other than
    /// `http/protobuf`.
    pub(crate) fn from_env(var: impl Fn(&str) -> Option<String>) -> (Endpoint, Option<String>) {
        let mut e = Endpoint::default();
        if let Some(url) = var("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT") {
            e.url = url.trim().to_owned();
        } else if let Some(base) = var("OTEL_EXPORTER_OTLP_ENDPOINT") {
            e.url = Endpoint::logs_url(&base);
        }
        for name in [
            "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
        ] {
            for (k, v) in var(name).as_deref().map(parse_list).unwrap_or_default() {
                e.set_header(&k, &v);
            }
        }
        let protocol = var("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL")
            .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"))
            .filter(|p| p.trim() != "http/protobuf");
        let problem = match protocol {
            Some(p) if !e.url.is_empty() => Some(format!(
                "protocol `{}` is not supported: pulselog exports over `http/protobuf`",
                p.trim()
            )),
            _ => None,
        };
        (e, problem)
    }

    /// Sets a header, replacing one of the same name (in any case).
    pub(crate) fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    /// Why this endpoint cannot be used, if it cannot.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.url.starts_with("http://") {
            Ok(())
        } else if self.url.starts_with("https://") {
            Err(format!(
                "{}: pulselog exports over plain http only; send to a collector nearby (an agent or a sidecar) that forwards over TLS",
                self.url
            ))
        } else {
            Err(format!("{}: not an http:// URL", self.url))
        }
    }
}

/// Events of one batch, grouped by logger name.
#[derive(Debug, Default)]
struct Batch {
    scopes: Vec<ScopeLogs>,
    len: usize,
}

impl Batch {
    fn push(&mut self, scope: &str, record: LogRecord) {
        // Consecutive events mostly come from one logger: look at the last
        // scope first.
        let found = self
            .scopes
            .iter_mut()
            .rev()
            .find(|s| s.scope.as_ref().is_some_and(|sc| sc.name == scope));
        match found {
            Some(s) => s.log_records.push(record),
            None => self.scopes.push(ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: scope.to_owned(),
                    ..InstrumentationScope::default()
                }),
                log_records: vec![record],
                ..ScopeLogs::default()
            }),
        }
        self.len += 1;
    }

    fn append(&mut self, other: Batch) {
        self.len += other.len;
        self.scopes.extend(other.scopes);
    }
}

/// State shared by the writer and the export thread.
#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Batch>,
    /// Events in `queue`.
    queued: usize,
    /// Send what is queued without waiting for a batch to fill.
    flush: bool,
    /// Events of the request being sent (0: none).
    in_flight: usize,
    /// The writer counted the request under way as lost when it gave up:
    /// the export thread does not count it again.
    in_flight_counted: bool,
    /// Stop: whatever is not delivered is counted as lost.
    closed: bool,
    /// The export delivered nothing for a whole block timeout: batches that
    /// do not fit are dropped without waiting, until it delivers again.
    stalled: bool,
    /// Events not delivered since the last report, by reason.
    lost: Vec<(u64, String)>,
    /// The error requests keep failing with, while they do.
    failing: Option<String>,
    /// Why the export stopped waiting at exit: every event not delivered
    /// after that is counted under this one reason, so that stderr and the
    /// WARNING line report the same loss with the same number.
    gave_up: Option<String>,
}

impl State {
    fn lose(&mut self, n: u64, reason: String) {
        if n == 0 {
            return;
        }
        match self.lost.iter_mut().find(|(_, r)| *r == reason) {
            Some(slot) => slot.0 += n,
            None => self.lost.push((n, reason)),
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled whenever the state changes: room in the queue, a batch
    /// handed over, a request done, closing.
    changed: Condvar,
    /// Bumped each time a request is done (delivered or refused).
    progress: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_timeout<'a>(
        &self,
        state: MutexGuard<'a, State>,
        timeout: Duration,
    ) -> MutexGuard<'a, State> {
        self.changed
            .wait_timeout(state, timeout)
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }
}

/// The writer waiting on the export thread: for as long as the export
/// makes progress, giving up after a whole block timeout without any.
struct Waiting<'a> {
    shared: &'a Shared,
    timeout: Duration,
    seen: u64,
    since: Instant,
}

impl<'a> Waiting<'a> {
    fn new(shared: &'a Shared, timeout: Duration) -> Waiting<'a> {
        Waiting {
            shared,
            timeout,
            seen: shared.progress.load(Ordering::Relaxed),
            since: Instant::now(),
        }
    }

    /// Waits for a change; `None` (the lock released) once the export has
    /// made no progress for the whole timeout. The writer's own waits are
    /// bounded by this, so it tells the queue it is alive meanwhile: a
    /// collector that is down never makes log calls drop events, nor
    /// shutdown give the writer up.
    fn wait<'s>(
        &mut self,
        state: MutexGuard<'s, State>,
        q: &Queue,
    ) -> Option<MutexGuard<'s, State>> {
        let left = self.timeout.checked_sub(self.since.elapsed())?;
        let state = self
            .shared
            .wait_timeout(state, left.min(Duration::from_millis(50)));
        q.made_progress();
        let now = self.shared.progress.load(Ordering::Relaxed);
        if now != self.seen {
            self.seen = now;
            self.since = Instant::now();
        }
        Some(state)
    }
}

/// The writer's end of the export.
#[derive(Debug)]
pub(crate) struct Exporter {
    shared: Arc<Shared>,
    batch: Batch,
    url: String,
    overflow: Overflow,
    block_timeout: Duration,
    thread: Option<JoinHandle<()>>,
}

impl Exporter {
    /// Starts the export thread.
    pub(crate) fn start(
        endpoint: Endpoint,
        resource_attrs: &Resource,
        overflow: Overflow,
        block_timeout: Duration,
    ) -> std::io::Result<Exporter> {
        let shared = Arc::new(Shared::default());
        let url = endpoint.url.clone();
        let sender = Sender {
            shared: Arc::clone(&shared),
            endpoint,
            resource: resource(resource_attrs),
        };
        let thread = std::thread::Builder::new()
            .name("pulselog-otlp".into())
            .spawn(move || sender.run())?;
        Ok(Exporter {
            shared,
            batch: Batch::default(),
            url,
            overflow,
            block_timeout,
            thread: Some(thread),
        })
    }

    /// Adds the event to the batch; a full batch is handed over.
    pub(crate) fn push(&mut self, event: &Event<'_>, q: &Queue) {
        self.batch.push(event.target(), log_record(event));
        if self.batch.len >= BATCH_EVENTS {
            self.hand_over(q);
        }
    }

    /// Hands the batch to the export thread, waiting for room as the
    /// overflow policy says.
    pub(crate) fn hand_over(&mut self, q: &Queue) {
        if self.batch.len == 0 {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let mut state = self.shared.lock();
        let mut waiting = Waiting::new(&self.shared, self.block_timeout);
        while state.queued + batch.len > MAX_QUEUED && !state.closed {
            if self.overflow == Overflow::Drop || state.stalled {
                state.lose(batch.len as u64, "the export queue was full".into());
                return;
            }
            let Some(next) = waiting.wait(state, q) else {
                let mut state = self.shared.lock();
                state.stalled = true;
                let reason = match &state.failing {
                    Some(err) => format!(
                        "exporting to {} failed ({err}) for {:?} or longer",
                        self.url, self.block_timeout
                    ),
                    None => format!(
                        "the export to {} delivered nothing for {:?}",
                        self.url, self.block_timeout
                    ),
                };
                state.lose(batch.len as u64, reason);
                return;
            };
            state = next;
        }
        if state.closed {
            let reason = state
                .gave_up
                .clone()
                .unwrap_or_else(|| self.undelivered(&state));
            state.lose(batch.len as u64, reason);
            return;
        }
        state.queued += batch.len;
        state.queue.push_back(batch);
        drop(state);
        self.shared.changed.notify_all();
    }

    /// Hands the batch over and asks for it to be sent now.
    pub(crate) fn flush(&mut self, q: &Queue) {
        self.hand_over(q);
        self.shared.lock().flush = true;
        self.shared.changed.notify_all();
    }

    /// Waits until everything handed over is delivered, for as long as the
    /// export makes progress; after a whole block timeout without any, or
    /// at once if the export was given up already (see the module docs),
    /// counts what is left as lost and stops the export thread. Once
    /// stopped, a later call (the exit after a shutdown) waits for nothing.
    pub(crate) fn settle(&mut self, q: &Queue) {
        self.flush(q);
        let mut state = self.shared.lock();
        if state.closed {
            return;
        }
        let mut waiting = Waiting::new(&self.shared, self.block_timeout);
        while (state.queued > 0 || state.in_flight > 0) && !state.stalled {
            match waiting.wait(state, q) {
                Some(next) => state = next,
                None => {
                    state = self.shared.lock();
                    break;
                }
            }
        }
        if state.queued == 0 && state.in_flight == 0 {
            return;
        }
        // Everything not delivered is counted here, the request under way
        // too (its thread does not count it again), so that stderr says
        // the whole count the WARNING line will say without waiting for a
        // request that may never end.
        let reason = self.undelivered(&state);
        let mut left = state.queued as u64;
        state.queue.clear();
        state.queued = 0;
        if state.in_flight > 0 && !state.in_flight_counted {
            left += state.in_flight as u64;
            state.in_flight_counted = true;
        }
        state.lose(left, reason.clone());
        state.gave_up = Some(reason.clone());
        state.closed = true;
        drop(state);
        self.shared.changed.notify_all();
        say(format_args!("{left} events were not exported: {reason}"));
    }

    fn undelivered(&self, state: &State) -> String {
        match &state.failing {
            Some(err) => format!("the collector at {} could not be reached ({err})", self.url),
            None => format!("the export to {} was stopped", self.url),
        }
    }

    /// The events not delivered since the last call, by reason.
    pub(crate) fn take_lost(&self) -> Vec<(u64, String)> {
        std::mem::take(&mut self.shared.lock().lost)
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
        // The thread is not joined: it may be in a request that takes its
        // whole timeout.
        drop(self.thread.take());
    }
}

/// The export thread.
struct Sender {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    resource: ProtoResource,
}

/// How one attempt went.
enum Outcome {
    /// Delivered; the collector may have rejected some events.
    Delivered { rejected: u64, message: String },
    /// Worth trying again.
    Retry(String),
    /// The collector refused the request: trying again would not help.
    Refused(String),
}

impl Sender {
    fn run(self) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        while let Some(batch) = self.next_batch() {
            let n = batch.len as u64;
            let body = ExportLogsServiceRequest {
                resource_logs: vec![ResourceLogs {
                    resource: Some(self.resource.clone()),
                    scope_logs: batch.scopes,
                    ..ResourceLogs::default()
                }],
            }
            .encode_to_vec();
            self.deliver(&agent, &body, n);
            {
                let mut state = self.shared.lock();
                state.in_flight = 0;
                state.in_flight_counted = false;
            }
            self.shared.progress.fetch_add(1, Ordering::Relaxed);
            self.shared.changed.notify_all();
        }
    }

    /// Waits for events, lingers for more, and takes up to a request's
    /// worth; `None` once closed with nothing queued.
    fn next_batch(&self) -> Option<Batch> {
        let mut state = self.shared.lock();
        loop {
            if state.closed {
                return None;
            }
            if state.queued > 0 {
                break;
            }
            state = self.shared.wait_timeout(state, Duration::from_secs(1));
        }
        let deadline = Instant::now() + LINGER;
        while state.queued < BATCH_EVENTS && !state.flush && !state.closed {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self.shared.wait_timeout(state, left);
        }
        if state.closed {
            return None;
        }
        let mut batch = state.queue.pop_front()?;
        while let Some(next) = state.queue.front() {
            if batch.len + next.len > BATCH_EVENTS {
                break;
            }
            let next = state.queue.pop_front()?;
            batch.append(next);
        }
        state.queued -= batch.len;
        if state.queue.is_empty() {
            state.flush = false;
        }
        state.in_flight = batch.len;
        drop(state);
        // Room in the queue.
        self.shared.changed.notify_all();
        Some(batch)
    }

    /// Sends one request until it is delivered, refused, or the export is
    /// closed; counts what is not delivered.
    fn deliver(&self, agent: &ureq::Agent, body: &[u8], n: u64) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.attempt(agent, body) {
                Outcome::Delivered { rejected, message } => {
                    let mut state = self.shared.lock();
                    if let Some(err) = state.failing.take() {
                        say(format_args!(
                            "exporting to {} works again after failing ({err})",
                            self.endpoint.url
                        ));
                    }
                    state.stalled = false;
                    state.lose(rejected, format!("the collector rejected them ({message})"));
                    return;
                }
                Outcome::Refused(why) => {
                    let mut state = self.shared.lock();
                    state.stalled = false;
                    if state.in_flight_counted {
                        return;
                    }
                    state.lose(
                        n,
                        format!(
                            "the collector at {} refused them ({why})",
                            self.endpoint.url
                        ),
                    );
                    return;
                }
                Outcome::Retry(why) => {
                    let mut state = self.shared.lock();
                    if state.failing.is_none() {
                        say(format_args!(
                            "exporting to {} failed ({why}); retrying until it works",
                            self.endpoint.url
                        ));
                    }
                    state.failing = Some(why);
                    // Woken early by every batch handed over: wait out the
                    // whole backoff unless closing.
                    let until = Instant::now() + backoff;
                    while !state.closed {
                        let left = until.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        state = self.shared.wait_timeout(state, left);
                    }
                    if state.closed {
                        self.lose_closed(&mut state, n);
                        return;
                    }
                    drop(state);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// The request of `n` events is not sent again, the export being
    /// closed: counted, unless the writer counted it when it gave up.
    fn lose_closed(&self, state: &mut State, n: u64) {
        if state.in_flight_counted {
            return;
        }
        let reason = state.gave_up.clone().unwrap_or_else(|| {
            format!(
                "the collector at {} could not be reached ({})",
                self.endpoint.url,
                state.failing.as_deref().unwrap_or_default()
            )
        });
        state.lose(n, reason);
    }

    fn attempt(&self, agent: &ureq::Agent, body: &[u8]) -> Outcome {
        let mut req = agent
            .post(&self.endpoint.url)
            .header("Content-Type", "application/x-protobuf");
        for (k, v) in &self.endpoint.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = match req.send(body) {
            Ok(resp) => resp,
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let status = resp.status().as_u16();
        let reply = resp.body_mut().read_to_vec().unwrap_or_default();
        match status {
            200..=299 => {
                let partial = ExportLogsServiceResponse::decode(&reply[..])
                    .ok()
                    .and_then(|r| r.partial_success);
                Outcome::Delivered {
                    rejected: partial
                        .as_ref()
                        .map_or(0, |p| u64::try_from(p.rejected_log_records).unwrap_or(0)),
                    message: partial.map(|p| p.error_message).unwrap_or_default(),
                }
            }
            429 | 502 | 503 | 504 => Outcome::Retry(format!("HTTP {status}")),
            _ => Outcome::Refused(format!("HTTP {status}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_variables_give_the_url_and_the_headers() {
        let (e, problem) = Endpoint::from_env(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b,x-team=pay"),
            ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "API-KEY=logs"),
        ]));
        assert_eq!(problem, None);
        assert_eq!(e.url, "http://collector:4318/v1/logs");
        assert_eq!(
            e.headers,
            [
                ("x-team".into(), "pay".into()),
                ("API-KEY".into(), "logs".into())
            ]
        );
        assert!(e.check().is_ok());

        // The signal's own URL is used as it is.
        let (e, _) = Endpoint::from_env(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
            ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://b:9999/custom"),
        ]));
        assert_eq!(e.url, "http://b:9999/custom");

        // Nothing set: no export, no problem.
        assert_eq!(Endpoint::from_env(env(&[])), (Endpoint::default(), None));
    }

    #[test]
    fn what_cannot_work_is_refused() {
        let (_, problem) = Endpoint::from_env(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]));
        assert!(problem.unwrap().contains("`grpc` is not supported"));
        let https = Endpoint {
            url: Endpoint::logs_url("https://a:4318"),
            headers: Vec::new(),
        };
        assert!(https.check().unwrap_err().contains("plain http only"));
        let (_, problem) = Endpoint::from_env(env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ]));
        assert_eq!(problem, None);
    }
}
