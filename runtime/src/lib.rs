//! # pulselog
//!
//! Structured logging for services that must be observable in production.
//!
//! - **Compile-time call sites.** `info!`, `error!` and friends capture file,
//!   line, column, module and the enclosing function's name at compile time.
//!   A disabled call costs one relaxed atomic load and evaluates none of its
//!   arguments.
//! - **Request context.** Every event carries the request id and bound fields
//!   of the flow that produced it ([`context`]), across `.await` and threads.
//! - **Never waits on I/O.** A log call encodes its values into a record and
//!   pushes it onto its thread's lock-free queue, bounded in bytes; a
//!   background thread merges the queues in timestamp order, formats JSON,
//!   ECS, OTLP/JSON or text and writes batches to stdout; with the `otlp`
//!   feature it also sends every event to an OpenTelemetry Collector.
//! - **Safe output.** Every JSON (ECS, OTel) line is valid JSON whatever the
//!   data; text lines escape control characters, so no input can forge a
//!   line.
//!
//! ```
//! use pulselog::prelude::*;
//!
//! fn main() {
//!     let _guard = pulselog::init(); // PULSELOG_FORMAT, PULSELOG_LEVEL
//!     let port = 8080;
//!     info!("Server started on port {port}");
//!     error!("Payment failed", user_id = 99, gateway = "stripe");
//!     warning!("rate limit near: {}", 0.93);
//!     log!(Level::Info, "dynamic level");
//! } // the guard flushes every line on drop
//! ```
//!
//! ## Macro syntax
//!
//! `info!("message in format! syntax", positional, key = value, …)`:
//! - the message is a string literal; `{}` / `{0}` take positional
//!   arguments, `{name}` takes the field `name` or else captures the
//!   variable `name`, and a `:spec` (`{x:?}`, `{:.2}`) formats as `format!`
//!   does;
//! - `key = value` is always a structured field (numbers stay numbers in
//!   JSON); `key = %value` records it through `Display`, `key = ?value`
//!   through `Debug`; dotted keys (`http.request.method = "GET"`) are allowed;
//! - a bare variable that no placeholder takes is a field named after it:
//!   `info!("charged", user_id)` records `user_id = user_id`;
//! - `target: "audit"` first sets the logger name (`name` in JSON, and what
//!   filter directives match) instead of the module path:
//!   `info!(target: "audit", "login", user_id)`;
//! - `every: 100`, `first: 10` or `per_sec: 5` before the message samples
//!   the call site, and its next line carries `suppressed`, the calls it
//!   skipped (see [`info!`] and `docs/volume.md`);
//! - a field named like a standard key (`message`, `levelname`, …) is a
//!   compile error, and so are fields before the message
//!   (`info!(user_id, "msg")`, as `tracing` writes it): the error shows the
//!   call in pulselog's order.
//!
//! [`enabled!`]`(Level::Debug)` tells whether this module would log at a
//! level, to skip work only a log line needs.
//!
//! Field values are recorded by type: integers, floats, `bool`, `char`, the
//! string types, paths and `Option`s of these natively; any other type
//! through `Display`, else `Debug`.
//!
//! ## Errors and panics (`exc_info`)
//!
//! ```
//! use pulselog::prelude::*;
//! # fn load() -> Result<(), std::io::Error> { Err(std::io::Error::other("disk on fire")) }
//! # let path = "/etc/app.toml";
//! if let Err(err) = load() {
//!     log_error!(err, "config load failed", path = path);           // ERROR + source chain
//!     log_error!(&err, "config load failed", exc_info, path = path); // + backtrace
//!     warning!("retrying", exc_info = &err);                         // any level: chain + backtrace
//! }
//! ```
//!
//! The event carries an [`ExcInfo`]: the error's type name, its message, the
//! messages of its `source()` chain (outermost first, root cause last, at
//! most [`MAX_CHAIN`]) and, with the flag `exc_info` or the field
//! `exc_info = err`, a backtrace of the call site (always, whatever
//! `RUST_BACKTRACE` says). Accepted: any `std::error::Error` by value or by
//! reference (`&dyn Error` too), a type that derefs to one
//! (`Box<dyn Error + Send + Sync>`, `anyhow::Error`), and a panic payload
//! from `catch_unwind`; anything else is a compile error that says so.
//!
//! JSON writes `"exc_info": {"type", "message", "chain": […], "backtrace":
//! […]}`; text writes the chain and the backtrace under the event line, each
//! line starting with [`CONTINUATION`].
//!
//! The backtrace is captured unresolved on the caller's thread (unwinding
//! only) and symbolized on the writer thread, through a cache keyed by
//! instruction pointer and within a budget of [`MISS_BUDGET`] lookups per
//! second; frames of pulselog itself and of the runtime below `main` are
//! trimmed, so the first frame is the code that logged. The formats write
//! the short form, as `RUST_BACKTRACE=1` does, down to the program's own
//! code: the frames of the program's workspace one a line (paths relative
//! to it), and every run of other frames — the standard library, the async
//! runtime, the web framework, any dependency, pulselog — one counted line
//! (`… 31 frames in axum, tower, hyper, tokio, std …`), so an error in a
//! handler shows the handler's frames and a count; with
//! `RUST_BACKTRACE=full` (or [`Config::full_backtraces`]) every frame is
//! written as captured.
//!
//! The panic hook that [`init`] and [`Config::install`] install (see
//! [`Config::panic_hook`]) logs a panic at CRITICAL, under the logger name
//! `panic`, with its message, location (as `filename`/`lineno`/`funcName`),
//! backtrace and the request context of the flow that panicked, then runs
//! the previously installed hook (the standard one prints the panic on
//! stderr) — except when the line went to stdout and stdout and stderr are
//! one terminal, so that a person reads each panic once
//! ([`Config::panic_stderr`] decides otherwise). The hook queues the line
//! like any log call and returns: the backtrace is symbolized on the writer
//! thread, so a panic holds its thread for microseconds, not for the
//! hundreds of milliseconds the first symbolization of a process takes.
//! No line is lost when the panic ends the process: unwinding out of `main`
//! ends in `exit`, whose handler (and the guard's drop on the way) writes
//! everything queued; in a `panic = "abort"` build the hook waits until
//! its line is written. An `abort` after a panic that did not end the
//! process (see *Not promised* below) may lose it.
//!
//! ## Features
//!
//! - `log`: records from the `log` facade come through pulselog (installed
//!   by [`init`]);
//! - `tracing`: events from `tracing`, with their spans' fields (the
//!   `pulselog::tracing` module);
//! - `tower`: request ids at the HTTP edge (the `pulselog::tower` module);
//! - `tokio`: `pulselog::spawn`, which carries the request context into
//!   the task;
//! - `secrecy`: the `secrecy` crate's `SecretBox` and `SecretString` are
//!   written as `[REDACTED]`, like [`Redacted`].
//!
//! Bridged records pass the same filter directives as pulselog's own
//! events; [`set_filter`] changes them while the program runs.
//!
//! ## Configuration
//!
//! - `PULSELOG_FORMAT`: `json`, `text`, `ecs` or `otel` ([`Format`]);
//!   default text when stdout is a terminal, JSON otherwise.
//! - `PULSELOG_LEVEL` (else `RUST_LOG`): directives in env_logger syntax,
//!   `warn,my_app::db=debug`; default `info`. See [`Filter`]. Defaults set
//!   in code, which these directives override where they speak:
//!   [`Config::default_level`], and [`Config::module_level`] with
//!   [`this_crate!`] for the program's own level (a command line's
//!   `-v`/`-q`: `docs/cli.md`); which level applies is tabled in
//!   [`Config`]'s docs.
//! - Colour: text on a terminal colours the level and dims the location,
//!   unless `NO_COLOR` is set, `TERM=dumb` or `CLICOLOR=0`;
//!   `CLICOLOR_FORCE` colours a pipe too; [`TextFormat::color`] decides in
//!   code ([`ColorChoice`]). Data is escaped first: no message can colour
//!   or drive the terminal.
//! - Files: [`Output::file`] (or [`Config::writer`]) with a
//!   [`RollingFile`], which rotates by size or by time and keeps N old
//!   files, or ([`RollingFile::watched`]) follows its path when `logrotate`
//!   moves it; the writer thread writes it.
//! - Several outputs at once, each with its own format, filter and colour:
//!   [`Config::output`] (see [`Output`]); syslog: [`Syslog`].
//! - `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`: the service, on ECS
//!   and OTel lines.
//! - Feature `otlp`: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//!   `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`) and `OTEL_EXPORTER_OTLP_HEADERS`:
//!   every event also goes to an OpenTelemetry Collector, as
//!   `POST {endpoint}/v1/logs` (protobuf), batched on the writer thread,
//!   with the queue's [`Overflow`] policy, retried with backoff while the
//!   collector is down; what is not delivered is counted and reported in a
//!   WARNING line (`pulselog could not export N events: …`).
//! - In code: [`Config`], [`JsonFormat`], [`TextFormat`].
//!
//! ## Formats
//!
//! - `json`: python-json-logger's schema (see [`JsonFormat`]).
//! - `text`: a template (see [`TextFormat`]).
//! - `ecs`: Elastic Common Schema lines as Elastic's `ecs-logging`
//!   libraries write them: `@timestamp`, `log.level`, `message` first, then
//!   `log.logger`, `log.origin.*`, `process.pid`, `ecs.version`,
//!   `service.*`, the context and the fields, an error as `error.type`,
//!   `error.message`, `error.stack_trace`.
//! - `otel`: one OTLP/JSON `{"resourceLogs":[…]}` object per line, which an
//!   OpenTelemetry Collector's `otlpjsonfile` receiver reads unchanged:
//!   severity numbers TRACE 1, DEBUG 5, INFO 9, WARNING 13, ERROR 17,
//!   CRITICAL 21, typed attributes, `code.file.path`, `code.line.number`,
//!   `code.function.name`, `exception.*`, the logger name as the scope.
//!
//! When the request context came from a W3C `traceparent`
//! ([`context::RequestId::from_traceparent`]), every line carries its trace
//! and span ids: `trace_id`/`span_id` (JSON, text; renamable),
//! `trace.id`/`span.id` (ECS), `traceId`/`spanId` (OTel and the export).
//! `docs/backends/` has a page per backend with the collector configuration
//! that ingests these lines.
//!
//! ## Guarantees and limits
//!
//! Each of these is checked by a test that runs a child process and counts
//! its output line by line (`tests/pipeline/tests/pipeline.rs` and
//! `order.rs`, `tests/tests/overflow.rs` and `process.rs`).
//!
//! - **Exit.** Dropping the [`Guard`] (or calling [`flush`]) writes every
//!   event logged before. [`exit`] writes everything, then exits; on Unix a
//!   return from `main` and `std::process::exit` do the same, through an
//!   `atexit` handler. Guard drops, `exit`s, `flush`es and `init`s that race
//!   on several threads all wait for the one shutdown, and the last line is
//!   whole: once the process has begun to exit, only the exiting thread
//!   still writes. An output that accepts nothing holds an exit up for one
//!   block timeout at most; stderr then says how many events were not
//!   written.
//! - **Lossless.** With [`Overflow::Block`] (the default) no event is lost
//!   while the output accepts data, whatever the number of threads: a log
//!   call waits only for room in its own thread's queue. Only an output that
//!   accepts nothing for a whole block timeout makes log calls give up; the
//!   drops are counted and reported in a WARNING line once the output moves
//!   again, and on stderr at exit if it never does.
//! - **Repeats**, when [`Config::collapse_repeats`] asks: an event written
//!   exactly like the one before it (its time aside) is counted instead,
//!   and every such event is in a `last message repeated N times` line.
//! - **Memory.** Queued events take at most [`Config::byte_budget`] (64 MiB
//!   by default), whatever the values or the number of threads; a thread
//!   that logs holds at least an 8 KiB ring, given back when it exits. One
//!   event's values (and its error's text) are cut at half the budget,
//!   with a marker.
//! - **Never silent.** A write that fails is retried until it works; the
//!   failure and the recovery are reported on stderr, what was dropped
//!   meanwhile in a WARNING line. A closed pipe (`EPIPE`) ends output
//!   quietly; a custom writer that panics is replaced by stderr, and one
//!   that logs (or flushes) while it writes never waits for itself: its
//!   events go out with a later write.
//! - **Whole lines.** When stdout is a pipe or FIFO, events of up to
//!   `PIPE_BUF` bytes (4 KiB on Linux) are never split across writes, so
//!   processes that share the pipe never tear each other's lines; a longer
//!   event goes out in a write of its own, which the kernel may interleave
//!   with another process's.
//! - **Order.** Lines come out in timestamp order across threads, unless a
//!   thread stalls between stamping an event and queueing it for longer
//!   than [`Config::ordering_grace`] (100 µs); each thread's and each
//!   task's own order always holds.
//! - A value whose `Display`/`Debug` (or an error's `source()`) panics is
//!   written as a placeholder (and the caught panic is not reported by the
//!   installed hook); one that returns an error gets its own placeholder;
//!   one whose formatting logs itself again and again is cut after a few
//!   levels.
//! - **Fork.** A child after `fork()` gets a writer of its own, started by
//!   its first event, with empty queues: every event it logs is written
//!   once, and what the parent had queued is written by the parent only.
//!   It never hangs for pulselog's sake, in a log call, a flush, a guard's
//!   drop, `exit` or at its exit. Its lines go to stdout if the parent's
//!   did, else (a custom [`Config::writer`], which the parent's writer
//!   thread owns) to stderr; the OTLP export does not run in it. A
//!   `fork()` waits for the write under way, at most a block timeout if
//!   the output is stuck (the child's output may then be stuck too).
//! - Not promised: output after `SIGKILL` or `abort`, logging from signal
//!   handlers, events logged by other threads once the process has begun
//!   to exit, the completeness of an event longer than the pipe's capacity
//!   when the output stalls; in a child after `fork()`, a lock of the rest
//!   of the program held by a thread the child does not have (stdout's
//!   with a `println!` under way, the `log` and `tracing` bridges' call-site
//!   registry while a new call site registers).
//! - Timestamps are UTC.
//!
//! ## How the crate is layered
//!
//! From the bottom up; each layer uses only itself and the rows before it,
//! and no module file uses one that uses it back, directly or through
//! others (`tests/tests/layers.rs` reads every `use` and path in the
//! sources as the compiler resolves them and checks both):
//!
//! | Layer | Modules | Owns |
//! |---|---|---|
//! | primitives | `level`, `filter`, `clock`, `civil`, `settings`, `encode`, `origin`, `diag`, `sync` | level names, filter directives, reading the clock, the calendar and the local time zone's offset, the process-wide settings, the encoded form of values (and the guard around user formatting code), the thread a record came from, pulselog's own messages on stderr, the synchronization facade the pipeline's model checks swap |
//! | event model | `value`, `callsite`, `context`, `exc_info`, `record`, `capture`, `replay` | how a user's value is encoded, call sites with their cached verdicts, request context, errors, the record, routing events to a test capture, the events a request keeps for replay on error |
//! | formats | `format`, `syslog` | a record in, bytes out, nothing else (`syslog`: its messages and the sockets that carry them) |
//! | pipeline | `queue`, `repeats`, `sink`, `relay`, `writer`, `export`, `logger`, `file` | the per-thread queues, collapsing repeated events, where lines go and how a batch is cut into writes, the thread of each output when there are several, the writer thread, the OTLP export (feature `otlp`), submitting a record, rotating files |
//! | macro support | `logged` | what `#[logged]` expansions call: `enter`/`exit` events and the scopes they open |
//! | testing | `testing` | the public capture API |
//! | integrations | `log_bridge`, `tracing`, `tower` | records from the `log` facade and `tracing`, request ids at the HTTP edge (each behind its feature) |
//! | install | `config`, `output`, `panic`, `signal`, the crate root | configuration, the outputs' builder, the panic hook, flushing on Ctrl-C and `SIGTERM`, `init` |
//!
//! Inside the event model the one way is encode ← value ← context,
//! exc_info ← record ← capture, replay: a context frame knows a capture's
//! buffer and a request's kept events only as opaque extensions, and an
//! error is captured into a value of its own that the expansion attaches
//! to the record.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
#![warn(unreachable_pub)]
#![deny(unsafe_op_in_unsafe_fn)]

mod callsite;
mod capture;
mod civil;
mod clock;
mod config;
pub mod context;
mod diag;
mod encode;
mod exc_info;
#[cfg(feature = "otlp")]
mod export;
mod file;
mod filter;
mod format;
mod level;
#[cfg(feature = "log")]
mod log_bridge;
mod logged;
mod logger;
mod origin;
mod output;
mod panic;
mod queue;
mod record;
mod relay;
mod repeats;
mod replay;
mod settings;
#[cfg(unix)]
mod signal;
mod sink;
mod sync;
mod syslog;
pub mod testing;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub mod tracing;
mod value;
mod writer;

pub use crate::callsite::Sampling;
pub use crate::config::{
    Config, DEFAULT_BYTE_BUDGET, DEFAULT_CAPACITY, DEFAULT_REPLAY_CAPACITY, Format, Guard,
    InitError, Overflow, ParseFormatError, init, try_init,
};
#[cfg(feature = "tokio")]
pub use crate::context::spawn;
pub use crate::encode::Value;
pub use crate::exc_info::{BacktraceFrame, ExcInfo, MAX_CHAIN, MAX_FRAMES, MISS_BUDGET};
pub use crate::file::{RollingFile, Rotation};
pub use crate::filter::{Filter, FilterError};
pub use crate::format::json::JsonFormat;
pub use crate::format::text::{ColorChoice, TextFormat};
pub use crate::format::{
    CLASH_PREFIX, COMPACT_TEMPLATE, CONTINUATION, DEFAULT_TEMPLATE, FormatterError,
};
pub use crate::level::{Level, LevelFilter, ParseLevelError};
pub use crate::logged::ErrorLevel;
pub use crate::logger::flush;
pub use crate::output::Output;
pub use crate::panic::PanicStderr;
pub use crate::syslog::{Facility, Syslog};
pub use crate::value::{Encode, REDACTED, Redacted};

/// Instruments a function: an `enter` event when it starts, an `exit` event
/// with `elapsed_ms` (milliseconds, to the microsecond: `2.198`) when it ends, and optionally a request context for
/// everything it logs, its arguments, its return value and its error.
///
/// ```
/// use pulselog::prelude::*;
///
/// #[derive(Debug)]
/// struct Declined;
/// impl std::fmt::Display for Declined {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("card declined")
///     }
/// }
///
/// #[logged(level = "info", request_id, fields(user_id = user_id), args(amount), err)]
/// fn charge(user_id: u64, amount: u32, card: &str) -> Result<u32, Declined> {
///     info!("charging"); // carries request_id and user_id, funcName "charge"
///     if card.is_empty() { return Err(Declined) }
///     Ok(amount)
/// }
///
/// let (_, events) = pulselog::testing::capture(|| charge(7, 30, ""));
/// assert_eq!(events.messages(), ["enter", "charging", "charge failed", "exit"]);
/// let enter = events.find("enter");
/// assert_eq!(enter.function(), "charge");
/// assert_eq!(enter.field("amount").unwrap(), 30);
/// assert_eq!(enter.field("card"), None); // not asked for: never recorded
/// assert_eq!(events.find("charge failed").exc_info().unwrap().message(), "card declined");
/// assert!(events.events().iter().all(|e| e.request_id() == enter.request_id()));
/// ```
///
/// # Options
///
/// | option | effect |
/// | --- | --- |
/// | `level = "info"` | level of `enter` and `exit` (default `"debug"`; any level name the filters accept) |
/// | `name = "charge"` | `funcName` of `enter`/`exit` (default: the function's name) |
/// | `request_id` | a new request id (UUID) for the call, unless the flow has one already |
/// | `request_id = expr` | this request id: any `Display` value, or a [`context::RequestId`] (trace ids kept) |
/// | `fields(k = expr, …)` | fields bound for every event inside, nested calls and `.await`s included; `k = %expr` / `k = ?expr` record through `Display` / `Debug` |
/// | `args` | record every argument (except `self`) in the `enter` event; one named like a standard key (`name`, `message`, …) is recorded as `extra.name` |
/// | `args(a, b)` | record only these (`self` allowed) |
/// | `skip(a, …)` | with `args`, leave these out |
/// | `ret` | record the return value (`Debug`) in `exit` as `return`; with `err`, the `Ok` value |
/// | `err` | an `Err` return is logged at ERROR as `"<function> failed"` (`"charge failed"`), carrying `exc_info`: type, message and `source()` chain for an `Error`, the message alone for a type that is only `Display`/`Debug` |
/// | `err(message = "payment declined")` | that message instead |
/// | `err(level = "warning")` | that level; `level = \|e\| ...` or `level = path::to_fn` (`fn(&E) -> Level`) picks it from the error; without it, an error type that implements [`ErrorLevel`] picks its own |
/// | `err(backtrace)` | a backtrace with the error |
/// | `crate = path` | where the `pulselog` crate is, if renamed |
///
/// Arguments are never recorded unless `args` asks: secrets do not leak by
/// default. A recorded value is encoded by type as the log macros' fields
/// are (numbers stay numbers), through `Display`, else `Debug`.
///
/// # What it expands to
///
/// For `#[logged(fields(user_id = user.id))] fn charge(user: &User) -> R { body }`,
/// roughly:
///
/// ```text
/// fn charge(user: &User) -> R {
///     static ENTER: Callsite = ...; static EXIT: Callsite = ...;   // compile-time metadata
///     let ctx = Context::current().with_field("user_id", user.id);  // only when something is bound
///     let _in_ctx = ctx.enter();
///     let entered = ENTER.enabled(Level::Debug);                    // one relaxed atomic load
///     if entered { /* log "enter" */ }
///     let _exit = Exit::new(&EXIT, Level::Debug, entered);          // logs "exit" + elapsed_ms on drop
///     { body }
/// }
/// ```
///
/// A disabled `#[logged]` costs one relaxed atomic load and reads no clock;
/// `exit` is logged after an early `return`, a `?` and a panic too. A call
/// that unwinds logs a distinct `exit`: at ERROR, whatever `level` says,
/// with `elapsed_ms` and `panicked: true` (`"message": "exit",
/// "levelname": "ERROR", "elapsed_ms": 0.412, "panicked": true` in JSON).
/// It takes the place of the call's `exit`: a call whose events are
/// filtered out reads no clock and writes neither.
///
/// # Async functions
///
/// For an `async fn` (and a function returning an `async` block, such as
/// `-> impl Future` or the `Box::pin(async move { .. })` that `async-trait`
/// generates) the events follow the future: `enter` at its first poll,
/// `exit` when it completes (or is dropped unfinished). A bound context is
/// installed around every poll ([`context::WithContext`]), never held across
/// an `.await`, so it follows the future to whichever worker thread runs it.
///
/// ```
/// use pulselog::prelude::*;
///
/// #[logged(request_id = format!("req-{n}"))]
/// async fn handle(n: u32) -> u32 {
///     step().await + n
/// }
///
/// #[logged]
/// async fn step() -> u32 {
///     info!("nested call"); // same request id, no id passed by hand
///     1
/// }
///
/// # let fut = async {
/// let (out, events) = pulselog::testing::capture_async(handle(4)).await;
/// assert_eq!(out, 5);
/// assert!(events.events().iter().all(|e| e.request_id().as_deref() == Some("req-4")));
/// assert_eq!(events.find("nested call").function(), "step");
/// # };
/// # pulselog_block_on(fut);
/// # fn pulselog_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::task::{Context, Poll, Waker};
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = Context::from_waker(Waker::noop());
/// #     loop { if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } }
/// # }
/// ```
///
/// A `const fn` cannot be instrumented (its events would have to happen at
/// compile time); the attribute refuses it.
pub use pulselog_macros::logged;

/// Flushes every event logged so far, then exits the process with `code`
/// (`std::process::exit` runs no destructors, so a guard would not flush;
/// on Unix an exit handler flushes too, but this also works elsewhere).
pub fn exit(code: i32) -> ! {
    logger::finish();
    std::process::exit(code)
}

/// Replaces the filter directives while the program runs: every call site,
/// bridged `log` and `tracing` records included, follows the new ones from
/// its next event. Directives are those of `PULSELOG_LEVEL`
/// (`debug,hyper=warn`); an invalid string changes nothing and says why.
///
/// ```
/// pulselog::set_filter("info,my_app::db=debug").unwrap();
/// assert!(pulselog::set_filter("info,db=loud").is_err());
/// ```
///
/// Before a logger is installed, call sites have nothing to write to: a
/// log call evaluates nothing and writes nothing (unless a
/// [`testing::capture`] runs). This function then only chooses which call
/// sites build their events; [`init`] and [`Config::install`] install the
/// filter of their configuration over it.
///
/// # Errors
///
/// When the directives do not parse; the filter in force stays.
pub fn set_filter(directives: &str) -> Result<(), FilterError> {
    callsite::set_filter(Some(Filter::parse(directives)?));
    Ok(())
}

/// The macros, [`Level`] and the context adapter traits.
pub mod prelude {
    pub use crate::context::ClosureExt as _;
    pub use crate::context::FutureExt as _;
    pub use crate::log_error;
    pub use crate::{Level, critical, debug, error, info, log, trace, warn, warning};
    pub use pulselog_macros::logged;
}

/// Logs at TRACE: `trace!("message {x}", key = value)`.
#[macro_export]
macro_rules! trace {
    ($($t:tt)*) => { $crate::__private::event!($crate trace Trace $($t)*) };
}

/// Logs at DEBUG: `debug!("message {x}", key = value)`.
#[macro_export]
macro_rules! debug {
    ($($t:tt)*) => { $crate::__private::event!($crate debug Debug $($t)*) };
}

/// Logs at INFO: `info!("Server started on port {port}", port = 8080)`.
///
/// The syntax, shared by every level macro, is in the [crate
/// docs](crate#macro-syntax).
///
/// # Sampling
///
/// One key before the message writes only some of a call site's calls;
/// every level macro takes it (`log!` after its level, `log_error!` before
/// or after its error):
///
/// | key | writes |
/// | --- | --- |
/// | `every: 100` | the 1st, 101st, 201st … call |
/// | `first: 10` | the first ten calls, never another |
/// | `per_sec: 5` | at most five lines in each second of pulselog's clock |
///
/// The next line written from the call site carries `suppressed`, the
/// calls it skipped since its line before, when there were any (an
/// integer, after the fields, in every format). Each skipped call is in
/// exactly one later line, however many threads call, so the lines and
/// their counts add up to the calls; the calls after a site's last line
/// are reported only if it writes again (never, after `first:`'s last).
/// The level check comes first: a filtered-out call is not counted. A
/// skipped call costs one atomic increment (`per_sec`: and a clock read;
/// `first`: a load, once the first are written) and evaluates none of its
/// arguments. The value is an integer literal of at least 1, one key per
/// call.
///
/// ```
/// use pulselog::prelude::*;
/// use pulselog::testing::Owned;
///
/// let (_, events) = pulselog::testing::capture(|| {
///     for key in 0..250 {
///         info!(every: 100, "cache miss", key);
///     }
/// });
/// assert_eq!(events.len(), 3); // calls 1, 101 and 201
/// assert_eq!(events.events()[0].field("suppressed"), None);
/// assert_eq!(events.events()[1].field("key"), Some(Owned::I64(100)));
/// assert_eq!(events.events()[1].field("suppressed"), Some(Owned::U64(99)));
/// ```
///
/// `docs/volume.md` shows the lines in each format.
#[macro_export]
macro_rules! info {
    ($($t:tt)*) => { $crate::__private::event!($crate info Info $($t)*) };
}

/// Logs at WARNING: `warning!("rate limit near: {}", used)`.
#[macro_export]
macro_rules! warning {
    ($($t:tt)*) => { $crate::__private::event!($crate warning Warning $($t)*) };
}

/// Same as [`warning!`], under the name Rust loggers use.
#[macro_export]
macro_rules! warn {
    ($($t:tt)*) => { $crate::__private::event!($crate warn Warning $($t)*) };
}

/// Logs at ERROR: `error!("Payment failed", user_id = 99, gateway = "stripe")`.
#[macro_export]
macro_rules! error {
    ($($t:tt)*) => { $crate::__private::event!($crate error Error $($t)*) };
}

/// Logs at CRITICAL: `critical!("database unreachable", attempts = 5)`.
#[macro_export]
macro_rules! critical {
    ($($t:tt)*) => { $crate::__private::event!($crate critical Critical $($t)*) };
}

/// Logs at a level chosen at run time: `log!(level, "message", key = value)`
/// where `level` is any expression of type [`Level`].
#[macro_export]
macro_rules! log {
    (target: $target:expr, $level:expr, $($t:tt)*) => {
        $crate::__private::event!($crate log ($level) target: $target, $($t)*)
    };
    ($level:expr, $($t:tt)*) => { $crate::__private::event!($crate log ($level) $($t)*) };
    ($level:expr) => { $crate::__private::event!($crate log ($level)) };
}

/// Whether an event at `level` from here would be logged: the filter's
/// answer for this module (or for `target: "name"`), as one relaxed atomic
/// load once cached, like a log call's own check. Use it to skip work that
/// only a log line needs.
///
/// ```
/// use pulselog::Level;
///
/// let _guard = pulselog::Config::new().filter("info,audit=debug").install();
/// assert!(pulselog::enabled!(Level::Info));
/// assert!(!pulselog::enabled!(Level::Debug));
/// assert!(pulselog::enabled!(target: "audit", Level::Debug));
/// ```
#[macro_export]
macro_rules! enabled {
    (target: $target:expr, $level:expr $(,)?) => {{
        static __PULSELOG_META: $crate::__private::Metadata =
            $crate::__private::Metadata::probe($target, ::core::file!(), ::core::line!());
        static __PULSELOG_CALLSITE: $crate::__private::Callsite =
            $crate::__private::Callsite::new_probe(&__PULSELOG_META);
        __PULSELOG_CALLSITE.enabled($level)
    }};
    ($level:expr $(,)?) => {
        $crate::enabled!(target: ::core::module_path!(), $level)
    };
}

/// The name of the crate this is written in, as module paths spell it (and
/// so logger names and filter directives): the first segment of
/// `module_path!()`, e.g. `my_tool` in the binary `my-tool`. A `&'static
/// str`, usable in a `const`.
///
/// With [`Config::module_level`], a program sets its own level without
/// spelling its name, and leaves its dependencies at the default:
///
/// ```
/// use pulselog::{Config, Level, LevelFilter};
///
/// let verbose = true; // from the command line
/// let own = if verbose { LevelFilter::Debug } else { LevelFilter::Info };
/// let _guard = Config::new() // `Config::from_env()` in a program
///     .default_level(LevelFilter::Warning)
///     .module_level(pulselog::this_crate!(), own)
///     .install()?;
/// assert!(pulselog::enabled!(Level::Debug));
/// assert!(!pulselog::enabled!(target: "reqwest::connect", Level::Info));
///
/// const APP: &str = pulselog::this_crate!();
/// assert_eq!(Some(APP), module_path!().split("::").next());
/// # Ok::<(), pulselog::InitError>(())
/// ```
///
/// It names the crate whose source holds the call: a logging setup shared
/// from a library crate names that library, and a program whose code
/// lives in several crates of a workspace gives each one a
/// `module_level`.
#[macro_export]
macro_rules! this_crate {
    () => {
        $crate::__private::crate_of(::core::module_path!())
    };
}

/// [`Config::cli`] for the crate it is written in: the set-up of a
/// command-line tool (logs on stderr, in order with stdout, Ctrl-C
/// flushed), its own lines at INFO and its dependencies' at WARNING.
///
/// ```no_run
/// let verbose = std::env::args().any(|a| a == "-v");
/// let _guard = pulselog::cli!()
///     .verbosity(if verbose { pulselog::LevelFilter::Debug } else { pulselog::LevelFilter::Info })
///     .install()?;
/// pulselog::debug!("shown with -v");
/// # Ok::<(), pulselog::InitError>(())
/// ```
#[macro_export]
macro_rules! cli {
    () => {
        $crate::Config::cli($crate::this_crate!())
    };
}

/// Logs an error at ERROR with its type, message and whole `source()` chain
/// (`exc_info`): `log_error!(err, "config load failed", path = p)`. The bare
/// flag `exc_info` adds a backtrace of the call site, like Python's
/// `exc_info=True`: `log_error!(err, "config load failed", exc_info)`.
///
/// `err` is any `std::error::Error` by value or by reference (`&dyn Error`
/// too), a type that derefs to one (`Box<dyn Error + Send + Sync>`,
/// `anyhow::Error`), or a panic payload from `catch_unwind`. After it, the
/// message and fields as in [`info!`]. Any other level macro attaches an
/// error with the field `exc_info = err` (chain and backtrace).
///
/// ```
/// use pulselog::prelude::*;
///
/// let (_, events) = pulselog::testing::capture(|| {
///     let err = std::fs::read("/nonexistent/config.toml").unwrap_err();
///     log_error!(err, "config load failed", path = "/nonexistent/config.toml");
/// });
/// let exc = events.only().exc_info().expect("exc_info");
/// assert_eq!(exc.type_name(), "std::io::error::Error");
/// assert!(exc.backtrace().is_none());
/// ```
#[macro_export]
macro_rules! log_error {
    ($($t:tt)*) => { $crate::__private::event!($crate log_error Error $($t)*) };
}

/// Items the macros expand to. Not public API: no stability promise.
#[doc(hidden)]
pub mod __private {
    pub use crate::callsite::{Callsite, Metadata, Piece, sample};
    pub use crate::context::Context;
    pub use crate::encode::Encoder;
    pub use crate::level::Level;
    pub use crate::logged::{
        ErrorLevelDefault, ErrorLevelKnown, Exit, IdDisplay, IdKnown, LoggedEvent, LoggedResult,
        Scope, error_level_with,
    };
    pub use crate::logger::submit;
    pub use crate::record::RecordBuilder;
    pub use crate::value::{ArgDisplay, ArgKnown, FieldDebug, FieldDisplay, FieldKnown, Wrap};
    pub use pulselog_macros::__event as event;

    /// The first segment of a module path: `this_crate!()`.
    #[must_use]
    pub const fn crate_of(module_path: &'static str) -> &'static str {
        let bytes = module_path.as_bytes();
        let mut i = 0;
        while i + 1 < bytes.len() {
            if bytes[i] == b':' && bytes[i + 1] == b':' {
                return module_path.split_at(i).0;
            }
            i += 1;
        }
        module_path
    }

    // `exc_info = e` and `log_error!(e, …)`:
    // `rec.attach((&&&&ExcWrap(&e)).__pulselog_exc_info(backtrace))` with
    // the four `ExcInfo*` traits in scope.
    pub use crate::exc_info::ladder::{
        AsDynError, ExcInfoDeref, ExcInfoDeref2, ExcInfoError, ExcInfoOther, ExcWrap, PanicPayload,
    };
    // An `Err(e)` returned by a function (`#[logged(err)]`): errors with
    // their chain, other `Display`/`Debug` types as their message;
    // `rec.attach((&&&&&&ExcWrap(&e)).__pulselog_err(backtrace))` with the
    // six `Err*` traits in scope.
    pub use crate::exc_info::ladder::{
        ErrDebug, ErrDeref, ErrDeref2, ErrDisplay, ErrError, ErrPanic, LoggableErr,
    };
}
