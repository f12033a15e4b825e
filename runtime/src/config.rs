//! Configuration, installation and the guard.
//!
//! Longer than most files because [`Config`] is the one builder of every
//! setting a user can make, each method with its documentation and
//! example, and `install` turns them into the settings, the filter, the
//! formatter and the output in one place.

use crate::callsite::Sampling;
use crate::diag::say;
use crate::filter::{Directives, Filter, FilterError};
use crate::format::json::JsonFormat;
use crate::format::otel::OtelFormat;
use crate::format::resource::Resource;
use crate::format::text::TextFormat;
use crate::format::{Formatter, FormatterError};
use crate::level::{Level, LevelFilter};
pub use crate::output::{Format, ParseFormatError};
use crate::output::{Output, Target};
use crate::panic::PanicStderr;
pub use crate::queue::Overflow;
use crate::queue::{Limits, Queue, SLOT};
use crate::settings::Settings;
use crate::writer::Sink;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Why a logger could not be installed.
#[derive(Debug)]
#[non_exhaustive]
pub enum InitError {
    /// A logger is installed already (one per process).
    AlreadyInstalled,
    /// `PULSELOG_FORMAT` names no format.
    Format(ParseFormatError),
    /// Level directives that do not parse: from [`Config::filter`], a
    /// module path of [`Config::module_level`] that is not one, or (from
    /// [`try_init`] only) from the environment variable `var`
    /// (`PULSELOG_LEVEL` or `RUST_LOG`).
    Filter {
        /// The variable the directives came from, if any.
        var: Option<&'static str>,
        /// What is wrong with them.
        source: FilterError,
    },
    /// The JSON or text formatter's configuration is invalid.
    Formatter(FormatterError),
    /// A queue setting ([`Config::capacity`], [`Config::byte_budget`],
    /// [`Config::ordering_grace`]) out of range.
    Limit {
        /// The setting, as `Config` names it.
        setting: &'static str,
        /// What is wrong with its value.
        message: String,
    },
    /// The OTLP export's settings cannot work (feature `otlp`): an endpoint
    /// that is not an `http://` URL, a protocol other than
    /// `http/protobuf`.
    Otlp(String),
    /// The writer thread could not be started.
    Spawn(std::io::Error),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::AlreadyInstalled => f.write_str("a pulselog logger is already installed"),
            InitError::Format(e) => write!(f, "PULSELOG_FORMAT: {e}"),
            InitError::Filter {
                var: Some(var),
                source,
            } => write!(f, "{var}: {source}"),
            InitError::Filter { var: None, source } => source.fmt(f),
            InitError::Formatter(e) => e.fmt(f),
            InitError::Limit { setting, message } => write!(f, "invalid {setting}: {message}"),
            InitError::Otlp(message) => write!(f, "OTLP export: {message}"),
            InitError::Spawn(e) => write!(f, "could not start the pulselog writer thread: {e}"),
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InitError::AlreadyInstalled | InitError::Limit { .. } | InitError::Otlp(_) => None,
            InitError::Format(e) => Some(e),
            InitError::Filter { source, .. } => Some(source),
            InitError::Formatter(e) => Some(e),
            InitError::Spawn(e) => Some(e),
        }
    }
}

impl From<FilterError> for InitError {
    fn from(source: FilterError) -> Self {
        InitError::Filter { var: None, source }
    }
}

impl From<FormatterError> for InitError {
    fn from(e: FormatterError) -> Self {
        InitError::Formatter(e)
    }
}

/// `Config`'s plain setters: `name(field: Type);` sets `self.field`.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($field:ident: $t:ty);)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, $field: $t) -> Config {
            self.$field = $field;
            self
        }
    )*};
}

/// Builder for the logger.
///
/// ```no_run
/// use pulselog::{Config, Format, JsonFormat, Overflow};
/// let _guard = Config::new()
///     .format(Format::Json)
///     .json(JsonFormat::new().rename("levelname", "level").static_field("service", "checkout"))
///     .filter("info,my_app::db=debug")
///     .overflow(Overflow::Block)
///     .install()
///     .expect("logger installed");
/// ```
///
/// # Which level applies
///
/// Levels come from four places; for each module, the first row that
/// speaks for it decides, whatever order the methods were called in:
///
/// | | Set by | Speaks for |
/// |---|---|---|
/// | 1 | [`Config::filter`] or [`Config::level`] (the last call of the two) | every module: the filter is exactly this, and the rows below are not read |
/// | 2 | `PULSELOG_LEVEL` (else `RUST_LOG`), read by [`Config::from_env`] and [`init`] | what its directives cover: a bare level (`warn`) every module, `path=level` that path and its submodules |
/// | 3 | [`Config::module_level`], [`Config::default_level`] | the module path and its submodules; the default every other module |
/// | 4 | built in | `info` for every module |
///
/// So defaults set in code are what the environment can change, as
/// env_logger's `filter_level(..).parse_default_env()`: with
/// `default_level(LevelFilter::Warning)` and
/// `module_level(pulselog::this_crate!(), LevelFilter::Debug)`,
///
/// | `PULSELOG_LEVEL` | this crate | `hyper` |
/// |---|---|---|
/// | unset | DEBUG | WARNING |
/// | `trace` | TRACE | TRACE |
/// | `hyper=info` | DEBUG | INFO |
/// | `error,hyper=info` | ERROR | INFO |
/// | `off` | nothing | nothing |
///
/// and `.filter(..)` or `.level(..)` instead ignores `PULSELOG_LEVEL`.
/// This is the process filter: an output with a filter of its own
/// ([`Output::filter`]) writes what that one says instead.
pub struct Config {
    format: Result<Option<Format>, ParseFormatError>,
    /// Row 1 of the precedence table: [`Config::filter`] or
    /// [`Config::level`]. An invalid string is kept until
    /// [`Config::install`] reports it (a later valid one replaces it).
    forced: Option<Result<Filter, InitError>>,
    /// Row 2: the directives of `PULSELOG_LEVEL`/`RUST_LOG` that parse,
    /// when one is set.
    env_directives: Option<Directives>,
    /// Row 3: [`Config::default_level`] and [`Config::module_level`].
    defaults: Directives,
    /// The first module path given to [`Config::module_level`] that is
    /// not one, for [`Config::install`] to report.
    bad_module: Option<FilterError>,
    /// Directives of `PULSELOG_LEVEL`/`RUST_LOG` that did not parse and
    /// were skipped (the variable's name with each): said on stderr at
    /// install, turned into an error by [`try_init`].
    skipped_directives: Vec<(&'static str, FilterError)>,
    json: JsonFormat,
    text: TextFormat,
    resource: Resource,
    overflow: Overflow,
    capacity: usize,
    byte_budget: usize,
    block_timeout: Duration,
    grace: Duration,
    collapse_repeats: Option<Duration>,
    /// The storm guard, off unless [`Config::sampling`] is called.
    sampling: Option<Sampling>,
    /// [`Config::replay_on_error`]'s level, when it is on.
    replay: Option<Level>,
    replay_capacity: usize,
    sink: Option<Box<dyn Write + Send>>,
    /// The outputs added with [`Config::output`].
    outputs: Vec<Output>,
    panic_hook: bool,
    panic_stderr: PanicStderr,
    full_backtraces: bool,
    synchronous: bool,
    flush_on_signal: bool,
    /// The program's own crate, given to [`Config::cli`].
    program: Option<String>,
    /// A `PULSELOG_FORMAT` that did not parse, which [`Config::cli`]
    /// skips: said at install.
    skipped_format: Option<ParseFormatError>,
    #[cfg(feature = "log")]
    log_bridge: bool,
    #[cfg(feature = "tracing")]
    tracing_subscriber: bool,
    /// Where to export to: no URL, no export; a problem is kept until
    /// install reports it.
    #[cfg(feature = "otlp")]
    otlp: crate::export::Endpoint,
    #[cfg(feature = "otlp")]
    otlp_problem: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("format", &self.format)
            .field("forced", &self.forced)
            .field("env_directives", &self.env_directives)
            .field("defaults", &self.defaults)
            .field("bad_module", &self.bad_module)
            .field("overflow", &self.overflow)
            .field("capacity", &self.capacity)
            .field("byte_budget", &self.byte_budget)
            .field("block_timeout", &self.block_timeout)
            .field("ordering_grace", &self.grace)
            .field("collapse_repeats", &self.collapse_repeats)
            .field("sampling", &self.sampling)
            .field("replay_on_error", &self.replay)
            .field("replay_capacity", &self.replay_capacity)
            .field("panic_hook", &self.panic_hook)
            .field("panic_stderr", &self.panic_stderr)
            .field("full_backtraces", &self.full_backtraces)
            .field("synchronous", &self.synchronous)
            .field("flush_on_signal", &self.flush_on_signal)
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// Default queue capacity: the most events one logging thread's ring grows
/// to (512 KiB), so that a burst of 4 Ki events (half a millisecond of the
/// writer's time) never waits. A thread starts with a ring of 64 events
/// (8 KiB) and grows it only when it fills (past this only to hold what
/// the ordering grace keeps queued: see [`Config::capacity`]).
pub const DEFAULT_CAPACITY: usize = 4 * 1024;

/// Default byte budget: 64 MiB for everything queued.
pub const DEFAULT_BYTE_BUDGET: usize = 64 << 20;

/// Default of [`Config::replay_capacity`]: the most events replay on error
/// keeps per request.
pub const DEFAULT_REPLAY_CAPACITY: usize = 200;

/// The share of the byte budget that replay on error keeps events in,
/// when it is on: a quarter; the queue has the rest.
const REPLAY_SHARE: usize = 4;

/// The smallest byte budget [`Config::byte_budget`] accepts.
const MIN_BYTE_BUDGET: usize = 1 << 20;

/// The longest ordering grace [`Config::ordering_grace`] accepts.
const MAX_GRACE: Duration = Duration::from_secs(1);

impl Config {
    /// Defaults, ignoring the environment: level `info`, JSON unless stdout
    /// is a terminal, rings of up to 4 Ki events per logging thread within a
    /// 64 MiB byte budget, `Overflow::Block` with a 2-second give-up, a
    /// 100 µs ordering grace.
    #[must_use]
    pub fn new() -> Config {
        Config {
            format: Ok(None),
            forced: None,
            env_directives: None,
            defaults: Directives::default(),
            bad_module: None,
            skipped_directives: Vec::new(),
            json: JsonFormat::new(),
            text: TextFormat::new(),
            resource: Resource::default(),
            overflow: Overflow::Block,
            capacity: DEFAULT_CAPACITY,
            byte_budget: DEFAULT_BYTE_BUDGET,
            block_timeout: Duration::from_secs(2),
            grace: Duration::from_micros(100),
            collapse_repeats: None,
            sampling: None,
            replay: None,
            replay_capacity: DEFAULT_REPLAY_CAPACITY,
            sink: None,
            outputs: Vec::new(),
            panic_hook: true,
            panic_stderr: PanicStderr::Auto,
            full_backtraces: false,
            synchronous: false,
            flush_on_signal: false,
            program: None,
            skipped_format: None,
            #[cfg(feature = "log")]
            log_bridge: true,
            #[cfg(feature = "tracing")]
            tracing_subscriber: true,
            #[cfg(feature = "otlp")]
            otlp: crate::export::Endpoint::default(),
            #[cfg(feature = "otlp")]
            otlp_problem: None,
        }
    }

    /// Defaults plus the environment: `PULSELOG_FORMAT`
    /// (`json`|`text`|`ecs`|`otel`), `PULSELOG_LEVEL` (directives; `RUST_LOG`
    /// when unset), `RUST_BACKTRACE=full` (see [`Config::full_backtraces`]),
    /// and OpenTelemetry's `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`
    /// (`service.version=1.4,deployment.environment.name=prod`) for the
    /// service fields of the ECS lines and the resource of the OTel ones
    /// (feature `otlp`: also the export's endpoint and headers). An invalid
    /// value makes [`Config::install`] fail with a message naming it, except
    /// a level directive: one that does not parse is skipped and the others
    /// apply, as env_logger and `EnvFilter::from_default_env` do, and
    /// [`Config::install`] says on stderr which were skipped, once
    /// ([`try_init`] refuses them instead). The level directives are laid
    /// over the defaults set in code with [`Config::default_level`] and
    /// [`Config::module_level`] (before or after this call: see the table
    /// in [`Config`]'s docs).
    #[must_use]
    pub fn from_env() -> Config {
        let mut c = Config::new();
        c.full_backtraces = env_var("RUST_BACKTRACE").is_some_and(|v| v.trim() == "full");
        c.resource = Resource::from_env(env_var);
        #[cfg(feature = "otlp")]
        {
            (c.otlp, c.otlp_problem) = crate::export::Endpoint::from_env(env_var);
        }
        if let Some(f) = env_var("PULSELOG_FORMAT") {
            c.format = f.parse().map(Some);
        }
        let directives = env_var("PULSELOG_LEVEL")
            .map(|d| ("PULSELOG_LEVEL", d))
            .or_else(|| env_var("RUST_LOG").map(|d| ("RUST_LOG", d)));
        if let Some((var, d)) = directives {
            let (directives, skipped) = Directives::parse_lossy(&d);
            c.env_directives = Some(directives);
            c.skipped_directives = skipped.into_iter().map(|e| (var, e)).collect();
        }
        c
    }

    /// The set-up of a command-line tool, whose stdout carries its result:
    /// [`Config::from_env`], and
    ///
    /// - one output, stderr, in [`TextFormat::compact`]'s lines
    ///   (`WARNING: message key=value`; the logger's name only for another
    ///   crate's events), coloured when stderr is a terminal and
    ///   `NO_COLOR`, `CLICOLOR` and `TERM` allow it (`PULSELOG_FORMAT`
    ///   still chooses another format; one that does not parse is said on
    ///   stderr and text applies, rather than failing the tool);
    /// - [`Config::synchronous`]: each line written by the call that logs
    ///   it, in order with what the program prints;
    /// - [`Config::flush_on_signal`]: Ctrl-C writes what was logged, then
    ///   ends the program with the usual status;
    /// - levels: `program` (this crate, [`this_crate!`](crate::this_crate),
    ///   or use [`cli!`](crate::cli)) at INFO and every other crate at
    ///   WARNING, as defaults `PULSELOG_LEVEL`/`RUST_LOG` can change (see
    ///   [`Config::verbosity`] for `-v`/`-q`);
    /// - a panic reported once, in the CRITICAL line (the standard hook's
    ///   message is not printed beside it: see [`PanicStderr::Auto`]).
    ///
    /// ```no_run
    /// let _guard = pulselog::cli!().install()?;
    /// pulselog::info!("counting", files = 2);
    /// # Ok::<(), pulselog::InitError>(())
    /// ```
    ///
    /// writes `INFO: counting files=2` on stderr. Every setting can be
    /// changed after it: `.output(..)` adds an output beside stderr (a
    /// debug file), `.synchronous(false)` gives the writer thread back.
    #[must_use]
    pub fn cli(program: &str) -> Config {
        let mut c = Config::from_env();
        // A tool does not fail for its logs' sake: a bad `PULSELOG_FORMAT`
        // is said at install and text applies.
        c.format = match c.format {
            Ok(format) => Ok(Some(format.unwrap_or(Format::Text))),
            Err(e) => {
                c.skipped_format = Some(e);
                Ok(Some(Format::Text))
            }
        };
        // The configuration's text format, not the output's: an output's
        // own would fix its format, and `PULSELOG_FORMAT` could not change
        // it.
        c.text = TextFormat::compact(program);
        c.outputs.push(Output::stderr());
        c.synchronous = true;
        c.flush_on_signal = true;
        c.program = Some(program.to_owned());
        c.default_level(LevelFilter::Warning)
            .module_level(program, LevelFilter::Info)
    }

    /// A command-line tool's `-v`/`-q`: the program (the crate given to
    /// [`Config::cli`]) at `level`, every other crate at the quieter of
    /// `level` and WARNING. Defaults, as [`Config::module_level`] and
    /// [`Config::default_level`] set them: `PULSELOG_LEVEL`/`RUST_LOG`
    /// still override them. Without [`Config::cli`], it sets the default
    /// level alone.
    ///
    /// | `level` | the program | other crates |
    /// |---|---|---|
    /// | `Trace` | TRACE | WARNING |
    /// | `Debug` | DEBUG | WARNING |
    /// | `Info` | INFO | WARNING |
    /// | `Warning` | WARNING | WARNING |
    /// | `Error` | ERROR | ERROR |
    /// | `Off` | nothing | nothing |
    #[must_use]
    pub fn verbosity(self, level: impl Into<LevelFilter>) -> Config {
        let level = level.into();
        match self.program.clone() {
            Some(program) => self
                .default_level(level.max(LevelFilter::Warning))
                .module_level(&program, level),
            None => self.default_level(level),
        }
    }

    /// Chooses the output format (default: text on a terminal, else JSON).
    #[must_use]
    pub fn format(mut self, format: Format) -> Config {
        self.format = Ok(Some(format));
        self
    }

    setters! {
        /// Configures the JSON formatter, used when the format is JSON. It does
        /// not choose the format: configure both formatters and let
        /// `PULSELOG_FORMAT` or the terminal check decide. (The ECS and OTel
        /// formats have their specs' keys and are not configured by it.)
        json(json: JsonFormat);
        /// Configures the text formatter, used when the format is text (see
        /// [`Config::json`]).
        text(text: TextFormat);
        /// What to do when the queue is full.
        overflow(overflow: Overflow);
        /// Queue capacity in events, per thread that logs: each thread's ring
        /// starts at 64 events (or this many, if fewer) on its first event and
        /// doubles each time it fills, up to this many, while the byte budget
        /// allows (128 bytes per event; the default, [`DEFAULT_CAPACITY`], is
        /// 4 Ki events). Past this many only when the writer finds the ring
        /// full of events stamped less than twice [`Config::ordering_grace`]
        /// apart: the writer leaves each event queued for the grace, and a ring
        /// that holds less of its thread's events keeps the thread waiting for
        /// its own events to come of age while the writer has nothing to do.
        /// Such a ring keeps doubling, within the byte budget, until it holds
        /// two graces' worth (for a thread logging an event every 10 ns, with
        /// the default grace: 32 Ki events, 4 MiB). A ring keeps its size while
        /// its thread lives, and is freed once the thread has exited and its
        /// events are written. At least 1, and one ring of it must fit in half
        /// the byte budget;
        /// [`Config::install`] says so otherwise.
        capacity(capacity: usize);
        /// The most memory queued events may take, in bytes (default
        /// [`DEFAULT_BYTE_BUDGET`], 64 MiB; at least 1 MiB). The rings of all
        /// threads together take at most half of it (beyond that a ring stops
        /// growing; a thread's first ring is always granted), and values too
        /// large for a record's inline bytes the other half: when it is used up,
        /// such an event waits (`Overflow::Block`) or is dropped
        /// (`Overflow::Drop`). One event's values are cut to fit that half, and
        /// so is its error's text: a string that would pass it ends with
        /// `…<N bytes cut>`.
        byte_budget(byte_budget: usize);
        /// How long `Overflow::Block` waits, when the writer makes no progress
        /// at all, before it drops (see [`Overflow::Block`]); also how long
        /// `flush` and shutdown wait for a stuck output.
        block_timeout(block_timeout: Duration);
        /// How long the writer leaves an event queued before it writes it
        /// (default 100 µs, at most 1 s): lines come out in timestamp order
        /// across threads, unless a thread stalls between taking an event's
        /// timestamp and queueing it for longer than this. Each thread's (and
        /// each task's) own order holds whatever the value. `flush`, shutdown
        /// and exit do not wait for it. A thread's ring grows past
        /// [`Config::capacity`] while it holds less than twice this long of
        /// the thread's events.
        ordering_grace(grace: Duration);
        /// Whether an event written exactly like the one before it (its time
        /// aside) is counted instead of written, as syslog does (default
        /// `None`: every event is written). With `Some(window)`, a run of
        /// such repeats becomes one line, `last message repeated N times`,
        /// with the level, request context and thread of the repeated event
        /// and the count in a `repeated` field; it is written before the next
        /// different line, on flush and exit, and once per `window` while the
        /// run lasts. An error storm from one place then costs a few lines
        /// instead of thousands. Events that differ in anything their line
        /// shows (values, context, error chain, frames, the thread when the
        /// format shows it) are never collapsed, nor are events holding more
        /// than 64 KiB of values and error text (a copy of them would be kept
        /// to compare with).
        ///
        /// ```no_run
        /// use std::time::Duration;
        /// let _guard = pulselog::Config::new()
        ///     .collapse_repeats(Some(Duration::from_secs(10)))
        ///     .install()
        ///     .expect("logger installed");
        /// ```
        collapse_repeats(collapse_repeats: Option<Duration>);
        /// Whether [`Config::install`] installs the panic hook (default yes). The
        /// hook logs a panic at CRITICAL — message, location, backtrace and the
        /// request context of the panicking flow — without waiting for it to
        /// be written (symbolizing the backtrace is the writer thread's
        /// work; see the crate docs for why no line is lost), then runs the
        /// hook installed before it.
        panic_hook(panic_hook: bool);
        /// Whether the hook that was installed before pulselog's (by default
        /// the standard one, which prints the panic on stderr) runs after the
        /// panic is logged: by default ([`PanicStderr::Auto`]) unless the
        /// lines go to stderr, or to stdout when stdout and stderr are the
        /// same terminal, so that a terminal shows each panic once and a
        /// service's stderr still gets it.
        panic_stderr(panic_stderr: PanicStderr);
        /// Whether backtraces are written whole: every frame, with the path
        /// debug info gives (default no: the short form, from the code that
        /// logged down to `main`, the workspace's own frames one a line and
        /// every run of other frames — any dependency, the standard library,
        /// pulselog — one counted line, paths relative to the workspace). [`Config::from_env`] turns it on
        /// for `RUST_BACKTRACE=full`.
        full_backtraces(full_backtraces: bool);
        /// Whether the thread that logs writes its own line, before the
        /// macro returns, as env_logger and Python's `StreamHandler` do
        /// (default no: a writer thread writes, and a log call never waits
        /// for the output).
        ///
        /// The trade: synchronous lines come out exactly where they
        /// happened among the program's own writes (`println!` between two
        /// log calls is between their lines on a terminal), and no thread
        /// is started; but every event costs its caller the formatting and
        /// a `write` to each output (microseconds on a terminal or a file;
        /// as long as the output takes, for a slow pipe or a full disk),
        /// threads that log at once wait for each other, and lines are in
        /// the order the callers took the output's lock rather than in
        /// timestamp order. Right for a command-line tool
        /// ([`Config::cli`] turns it on), wrong for a service.
        ///
        /// Everything else holds: the filters, several outputs (each
        /// written in turn, on the caller's thread), `flush`, the panic
        /// hook, `fork()`. A failing output (a full disk) is retried by the
        /// call for at most the block timeout; then the call goes on and
        /// its line is counted as dropped, later calls try the output once
        /// each until it works again, and the count is written (a WARNING
        /// line) once it does. A line begun is finished first, so none is
        /// cut short.
        synchronous(synchronous: bool);
        /// Whether Ctrl-C (`SIGINT`) and `SIGTERM` first write every event
        /// logged before them, then end the process as they would have
        /// (default no; Unix). The shell then sees the signal's usual
        /// status (130 and 143), and no line is cut short: a line being
        /// written when the signal arrives is finished, and events logged
        /// after it are not written.
        ///
        /// Only signals whose action is still the default are taken: one
        /// the program (or a crate such as `ctrlc`) handles, or one that is
        /// ignored (`nohup`), is left alone. A second signal while the
        /// lines are written ends the process at once, and an output that
        /// accepts nothing is given up after the block timeout. A child
        /// after `fork()` ends at once, as it would have. A thread waits
        /// for the signal (the handler itself only wakes it: nothing else
        /// is safe in a signal handler).
        flush_on_signal(flush_on_signal: bool);
        /// Whether [`Config::install`] makes pulselog the `log` facade's
        /// logger (default yes; feature `log`). When another logger is set
        /// already, install says so on stderr and leaves it.
        #[cfg(feature = "log")]
        log_bridge(log_bridge: bool);
        /// Whether [`Config::install`] makes pulselog the global `tracing`
        /// subscriber when none is set (default yes; feature `tracing`).
        /// Turn it off to compose [`crate::tracing::layer`] into a
        /// subscriber of your own.
        #[cfg(feature = "tracing")]
        tracing_subscriber(tracing_subscriber: bool);
    }

    /// A storm guard for code you cannot edit (default off): per call site
    /// and level, and per second, the first `n` events are written, then
    /// every `m`-th (zap's sampler, with [`Sampling`]'s `first(n)` and
    /// `thereafter(m)`). Every event is counted: pulselog's macros,
    /// `#[logged]`, and the records of dependencies through the `log` and
    /// `tracing` bridges. An event the guard drops is reported by the next
    /// line its key writes, in `suppressed`, as call-site sampling
    /// (`info!(every: 100, …)`) reports its skipped calls, so for each key
    /// written + suppressed = events.
    ///
    /// ```no_run
    /// use pulselog::{Config, Sampling};
    /// // Per call site and second: the first 100 events, then every 100th.
    /// let _guard = Config::new()
    ///     .sampling(Sampling::new().first(100).thereafter(100))
    ///     .install()
    ///     .expect("logger installed");
    /// ```
    ///
    /// - **The second** is pulselog's clock's, fixed (as `per_sec:`'s):
    ///   whole seconds, not a sliding window, so up to twice the limit may
    ///   fall within one second that spans two.
    /// - **The key** is the call site and the event's level: a `log!` site
    ///   logging at several levels keeps one key per level, so a storm of
    ///   DEBUG from it does not thin out its ERROR lines. A bridged record's
    ///   site is its interned one: target, file, line and field names (a
    ///   `tracing` call site is one site; `log` records with the same four
    ///   share one). Past the bound of interned sites (4,096; a program
    ///   making targets at run time without end), records have no site to
    ///   keep a key on and share one key per level: together they are
    ///   held to the limit.
    /// - **With call-site sampling**: the guard asks first, at the level
    ///   check, and the macro's sampler (`every:`, `first:`, `per_sec:`)
    ///   counts the calls the guard lets through. A written line's
    ///   `suppressed` covers both, so written + suppressed = calls still
    ///   holds for the site.
    /// - **With [`Config::collapse_repeats`]**: the guard drops by rate,
    ///   at the caller, before any argument is evaluated; repeats collapses
    ///   identical consecutive lines on the writer thread. The count is
    ///   compared as the rest of the line: a run folded into `repeated N`
    ///   is N lines with the same count as the one written.
    /// - **The cost**: with the guard off, nothing (the level check is the
    ///   same load, compare and bit test, and a written event takes its
    ///   usual way to the queue). With it on, a filtered-out event still
    ///   costs one relaxed load; an enabled one asks the guard on the level
    ///   check's cold path — a read of pulselog's clock and an atomic
    ///   increment, one more for a dropped event, which then evaluates none
    ///   of its arguments (a bridged record's arguments are evaluated
    ///   already: it encodes none of its values). By callgrind, an `info!`
    ///   with a value and two fields that costs its caller 190 instructions
    ///   without the guard costs 97 dropped, and about 300 written under
    ///   the guard (a load of its key's count of dropped events; one that
    ///   has a count to carry takes the pipeline's slower way, about 565).
    ///
    /// `enabled!` checks are not counted. The guard is set at install and
    /// stays for the life of the logger. More in `docs/volume.md`, "A storm
    /// guard".
    #[must_use]
    pub fn sampling(mut self, sampling: Sampling) -> Config {
        self.sampling = Some(sampling);
        self
    }

    /// Keeps, inside each request scope, the events at `level` and above
    /// that the filter does not write, and writes them just before the
    /// request's first event at ERROR or above: Python's `MemoryHandler`
    /// with a `flushLevel`, one per request; Monolog's
    /// `FingersCrossedHandler`. A request that ends without an error
    /// discards them. Default: off. (Chapter "Replay on error" of
    /// `docs/volume.md`.)
    ///
    /// ```no_run
    /// use pulselog::context::{Context, RequestId};
    /// use pulselog::prelude::*;
    ///
    /// let _guard = pulselog::Config::new()
    ///     .level(Level::Info)
    ///     .replay_on_error(Level::Debug)
    ///     .install()
    ///     .expect("logger installed");
    /// Context::current().with_id(RequestId::new()).scope(|| {
    ///     debug!("cart loaded", items = 3); // kept, not written
    ///     error!("payment refused");       // "cart loaded" (replayed), then this
    /// });
    /// ```
    ///
    /// - **Request scope**: a context with a request id
    ///   ([`Context::with_id`](crate::context::Context::with_id),
    ///   `#[logged(request_id)]`, the tower layer). Outside one, events are
    ///   filtered as without replay. The kept events are the request's,
    ///   shared by every thread and task its context travels to (they are
    ///   kept with its context frame), in the order they were logged.
    /// - **What triggers**: an event of the request at ERROR or above that
    ///   is written: `error!`, `critical!`, a `#[logged(err)]` failure at
    ///   ERROR, the `exit` of a `#[logged]` call that unwinds, the panic
    ///   hook's line. The kept events come just before it, oldest first,
    ///   each with its own timestamp and `"replayed": true` (text:
    ///   `replayed=true`); a later error of the same request replays what
    ///   was kept since. An output with a filter of its own writes a
    ///   replayed event only if that filter wants it; an output under the
    ///   process filter writes every replayed event.
    /// - **Memory**: at most [`Config::replay_capacity`] events per request
    ///   (default 200), and all requests' kept events together within a
    ///   quarter of the byte budget ([`Config::byte_budget`]; the queue
    ///   then has the other three quarters). Each kept event counts its
    ///   record's 128 bytes (the slots its request has room for) and its
    ///   values outside the record. An event past either bound gives up
    ///   its request's oldest first; a request holding none when the budget
    ///   is spent keeps nothing new. Those given up are counted, and the
    ///   count is written before the replayed events of the request, in a
    ///   line `N earlier events of this request were not kept for replay`
    ///   (field `given_up`) at the replay level, itself replayed.
    /// - **Cost**: with replay off, nothing changes. With it on, call
    ///   sites are enabled from `level` whatever the filter says, so a
    ///   `debug!` the filter leaves out evaluates and encodes its
    ///   arguments and goes to the submit path's cold branch, which keeps
    ///   it in a request scope (a lock of the request's list and a move
    ///   of the record) and drops it outside one (a walk up the context's
    ///   frames): about what a written line costs its caller, or three
    ///   times that in a request (`bench callgrind`: 575 instructions
    ///   against 190 for a written `info!`; about 260 outside a request,
    ///   where a disabled call costs a relaxed load). A written event below ERROR pays one
    ///   more check, of its call site's cached filter verdict; an error
    ///   takes the cold branch. `enabled!` says yes from `level` on.
    /// - Events of the `log` and `tracing` bridges are filtered as their
    ///   facades are, before pulselog sees them: those below the filter
    ///   are not kept (their errors do trigger a replay).
    #[must_use]
    pub fn replay_on_error(mut self, level: Level) -> Config {
        self.replay = Some(level);
        self
    }

    /// The most events [`Config::replay_on_error`] keeps per request
    /// (default [`DEFAULT_REPLAY_CAPACITY`], 200; at least 1): past it, the
    /// request's oldest kept event is given up, and counted.
    #[must_use]
    pub fn replay_capacity(mut self, n: usize) -> Config {
        self.replay_capacity = n;
        self
    }

    /// The service's name: `service.name` (and `event.dataset`) on ECS
    /// lines. From the environment: `OTEL_SERVICE_NAME`.
    #[must_use]
    pub fn service_name(mut self, name: &str) -> Config {
        self.resource.set("service.name", name);
        self
    }

    /// The service's version: `service.version` on ECS lines.
    #[must_use]
    pub fn service_version(mut self, version: &str) -> Config {
        self.resource.set("service.version", version);
        self
    }

    /// Where the service runs (`production`, `staging`, …):
    /// `service.environment` on ECS lines (OpenTelemetry's
    /// `deployment.environment.name`).
    #[must_use]
    pub fn service_environment(mut self, environment: &str) -> Config {
        self.resource
            .set("deployment.environment.name", environment);
        self
    }

    /// Sends every event to an OpenTelemetry Collector too (feature `otlp`):
    /// `POST {endpoint}/v1/logs`, protobuf, e.g. `http://localhost:4318`.
    /// From the environment: `OTEL_EXPORTER_OTLP_ENDPOINT` (or
    /// `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`, the full URL). Plain `http://`
    /// only: [`Config::install`] refuses another scheme.
    #[cfg(feature = "otlp")]
    #[must_use]
    pub fn otlp_endpoint(mut self, endpoint: &str) -> Config {
        self.otlp.url = crate::export::Endpoint::logs_url(endpoint);
        self
    }

    /// A header sent with every export request (feature `otlp`), e.g. an
    /// API key. From the environment: `OTEL_EXPORTER_OTLP_HEADERS`
    /// (`name=value,…`, values percent-encoded).
    #[cfg(feature = "otlp")]
    #[must_use]
    pub fn otlp_header(mut self, name: &str, value: &str) -> Config {
        self.otlp.set_header(name, value);
        self
    }

    /// Forces one level (a [`Level`](crate::Level) or a [`LevelFilter`],
    /// `Off` included) on every module, dependencies included: the same as
    /// [`Config::filter`] with that one level. It replaces what
    /// `PULSELOG_LEVEL` and `RUST_LOG` say and what
    /// [`Config::default_level`] and [`Config::module_level`] set (row 1 of
    /// the table in [`Config`]'s docs). For a default the environment can
    /// still change, or a level for this program alone, use those two.
    #[must_use]
    pub fn level(mut self, level: impl Into<LevelFilter>) -> Config {
        self.forced = Some(Ok(Filter::from(level.into())));
        self.skipped_directives.clear();
        self
    }

    /// Forces `env_logger`-style directives, e.g. `warn,my_app::db=debug`:
    /// the filter is exactly these, whatever `PULSELOG_LEVEL`, `RUST_LOG`,
    /// [`Config::default_level`] and [`Config::module_level`] say (row 1 of
    /// the table in [`Config`]'s docs). Unlike the environment's, a string
    /// with any directive that does not parse is refused whole:
    /// [`Config::install`] returns the error.
    #[must_use]
    pub fn filter(mut self, directives: &str) -> Config {
        self.forced = Some(Filter::parse(directives).map_err(InitError::from));
        self.skipped_directives.clear();
        self
    }

    /// The level of every module that no module level names (built in:
    /// `info`), as a default: a bare level in `PULSELOG_LEVEL` (or
    /// `RUST_LOG`) replaces it, and [`Config::filter`] or [`Config::level`]
    /// ignores it (see the table in [`Config`]'s docs). With
    /// [`Config::module_level`], "this program at DEBUG, its dependencies
    /// at WARNING":
    ///
    /// ```
    /// use pulselog::{Config, Level, LevelFilter};
    ///
    /// let _guard = Config::new() // `Config::from_env()` in a program
    ///     .default_level(LevelFilter::Warning)
    ///     .module_level(pulselog::this_crate!(), LevelFilter::Debug)
    ///     .install()?;
    /// assert!(pulselog::enabled!(Level::Debug));
    /// assert!(!pulselog::enabled!(target: "hyper::proto", Level::Info));
    /// assert!(pulselog::enabled!(target: "hyper::proto", Level::Warning));
    /// # Ok::<(), pulselog::InitError>(())
    /// ```
    #[must_use]
    pub fn default_level(mut self, level: impl Into<LevelFilter>) -> Config {
        self.defaults.set_default(level.into());
        self
    }

    /// The level of the module `path` and its submodules (whole path
    /// segments: `my_app` covers `my_app::db`, not `my_app_extra`), as a
    /// default: an environment directive that covers it replaces it, and
    /// [`Config::filter`] or [`Config::level`] ignores it (see the table in
    /// [`Config`]'s docs). [`this_crate!`](crate::this_crate) names the
    /// calling crate, so a program sets its own level without spelling its
    /// name: `module_level(pulselog::this_crate!(), LevelFilter::Debug)`
    /// (example at [`Config::default_level`]). A path that is not a module
    /// path makes [`Config::install`] fail.
    #[must_use]
    pub fn module_level(mut self, path: &str, level: impl Into<LevelFilter>) -> Config {
        if let Err(e) = self.defaults.set_module(path, level.into()) {
            self.bad_module.get_or_insert(e);
        }
        self
    }

    /// The bytes of the budget that replay on error keeps events in (0 when
    /// it is off).
    fn replay_bytes(&self) -> usize {
        if self.replay.is_some() {
            self.byte_budget / REPLAY_SHARE
        } else {
            0
        }
    }

    /// The process filter, by the precedence table in [`Config`]'s docs.
    fn take_filter(&mut self) -> Result<Filter, InitError> {
        if let Some(e) = self.bad_module.take() {
            return Err(e.into());
        }
        if let Some(forced) = self.forced.take() {
            return forced;
        }
        let defaults = std::mem::take(&mut self.defaults);
        Ok(match &self.env_directives {
            Some(env) => defaults.overlaid(env),
            None => defaults,
        }
        .into_filter())
    }

    /// The queue's sizes, checked.
    fn limits(&self) -> Result<Limits, InitError> {
        let limit = |setting, message| Err(InitError::Limit { setting, message });
        if self.byte_budget < MIN_BYTE_BUDGET {
            return limit(
                "byte_budget",
                format!(
                    "{} bytes is below the minimum of {MIN_BYTE_BUDGET}",
                    self.byte_budget
                ),
            );
        }
        // With replay on error, its share comes out of the queue's.
        let byte_budget = self.byte_budget - self.replay_bytes();
        let ring = self.capacity.checked_mul(SLOT);
        if self.capacity == 0 || ring.is_none_or(|b| b > byte_budget / 2) {
            return limit(
                "capacity",
                format!(
                    "a ring of {} events ({SLOT} bytes each) must hold at least one event and fit in half the queue's byte budget ({} bytes)",
                    self.capacity,
                    byte_budget / 2
                ),
            );
        }
        if self.replay_capacity == 0 {
            return limit(
                "replay_capacity",
                "replay on error must keep at least one event per request".to_owned(),
            );
        }
        if self.sampling.is_some_and(|s| s.limits() == (0, 0)) {
            return limit(
                "sampling",
                "`first(0).thereafter(0)` would write nothing, nor the count of what it drops: \
                 let some events through, or filter the level out"
                    .to_owned(),
            );
        }
        if self.grace > MAX_GRACE {
            return limit(
                "ordering_grace",
                format!("{:?} is longer than {MAX_GRACE:?}", self.grace),
            );
        }
        Ok(Limits {
            capacity: self.capacity,
            byte_budget,
            overflow: self.overflow,
            block_timeout: self.block_timeout,
            grace: self.grace,
        })
    }

    /// Writes lines to `w` instead of stdout (files, benchmarks): the
    /// same as one [`Output::writer`], when no [`Config::output`] is added.
    #[must_use]
    pub fn writer(mut self, w: impl Write + Send + 'static) -> Config {
        self.sink = Some(Box::new(w));
        self
    }

    /// Adds an output: a destination with its own format, filter and
    /// colour (see [`Output`]). Events go to every output that wants them.
    /// With none added, lines go to stdout (or to [`Config::writer`]'s
    /// writer) in the configuration's format, under the process filter.
    ///
    /// ```no_run
    /// use pulselog::{Config, Format, Output, RollingFile, Rotation};
    ///
    /// // JSON on stdout for the collector, a text file at DEBUG beside it.
    /// let _guard = Config::from_env()
    ///     .output(Output::stdout().format(Format::Json))
    ///     .output(
    ///         Output::file(RollingFile::new("debug.log", Rotation::Daily, 3)?)
    ///             .format(Format::Text)
    ///             .filter("debug"),
    ///     )
    ///     .install()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn output(mut self, output: Output) -> Config {
        self.outputs.push(output);
        self
    }

    /// The formatter of `format`, with `json` and `text` as its settings;
    /// `terminal`: the output is a terminal that colour suits. With
    /// `keyed`, also a key that is equal for two formatters that write the
    /// same lines (with one output there is nothing to share, and the key,
    /// the formatter's whole `Debug` text, was a third of a command-line
    /// tool's start-up by callgrind).
    fn formatter(
        &self,
        format: Format,
        json: &JsonFormat,
        text: &TextFormat,
        terminal: bool,
        keyed: bool,
    ) -> Result<(Formatter, String), InitError> {
        let key = |k: &dyn fmt::Debug, kind: &str| {
            if keyed {
                format!("{kind} {k:?}")
            } else {
                String::new()
            }
        };
        Ok(match format {
            Format::Json => (
                Formatter::Json(Box::new(json.clone().build()?)),
                key(json, "json"),
            ),
            Format::Text => {
                let text = text.clone().resolve_color(terminal).build()?;
                let key = key(&text, "text");
                (Formatter::Text(Box::new(text)), key)
            }
            Format::Ecs => (
                Formatter::Json(Box::new(
                    crate::format::ecs::format(&self.resource).build()?,
                )),
                "ecs".to_owned(),
            ),
            Format::Otel => (
                Formatter::Otel(Box::new(OtelFormat::new(&self.resource))),
                "otel".to_owned(),
            ),
        })
    }

    /// Starts an export to `endpoint` and adds its channel, under `filter`.
    #[cfg(feature = "otlp")]
    fn add_export(
        &self,
        output: &mut crate::writer::Output,
        endpoint: crate::export::Endpoint,
        filter: Option<Filter>,
        limits: &Limits,
    ) -> Result<(), InitError> {
        endpoint.check().map_err(InitError::Otlp)?;
        let key = format!("otlp {}", endpoint.url);
        let exporter = crate::export::Exporter::start(
            endpoint,
            &self.resource,
            limits.overflow,
            limits.block_timeout,
        )
        .map_err(InitError::Spawn)?;
        let formatter = Formatter::Otel(Box::new(OtelFormat::new(&self.resource)));
        output.add_export(exporter, formatter, filter, key);
        Ok(())
    }

    /// One output's formatter, sink and filter.
    fn channel(
        &self,
        default: Option<Format>,
        output: Output,
        keyed: bool,
    ) -> Result<(Formatter, String, Sink, Option<Filter>), InitError> {
        let terminal = match output.target {
            Target::Stdout => std::io::stdout().is_terminal(),
            Target::Stderr => std::io::stderr().is_terminal(),
            _ => false,
        };
        let format =
            output
                .format
                .or(default)
                .unwrap_or(if terminal { Format::Text } else { Format::Json });
        // Colour only what goes to a terminal (or where the environment
        // forces it), by that terminal's own conventions.
        let colour = format == Format::Text
            && match output.target {
                Target::Stdout => TextFormat::wants_color(&std::io::stdout()),
                Target::Stderr => TextFormat::wants_color(&std::io::stderr()),
                _ => false,
            };
        let json = output.json.as_ref().unwrap_or(&self.json);
        let text = output.text.as_ref().unwrap_or(&self.text);
        let (formatter, key) = match &output.target {
            Target::Syslog(syslog, _) => (
                Formatter::Syslog(syslog.clone()),
                format!("syslog {syslog:?}"),
            ),
            _ => self.formatter(format, json, text, colour, keyed)?,
        };
        let filter = output.filter.transpose()?;
        let sink = match output.target {
            Target::Stdout => Sink::stdout(),
            Target::Stderr => Sink::stderr(),
            Target::Writer(w) => Sink::Writer(w),
            Target::Syslog(_, transport) => Sink::Syslog(transport),
            #[cfg(feature = "otlp")]
            Target::Otlp(_) => Sink::None,
        };
        Ok((formatter, key, sink, filter))
    }

    /// Installs the logger: starts the writer thread, applies the filter and
    /// (unless turned off with [`Config::panic_hook`]) installs the panic
    /// hook. Dropping the returned guard flushes every event logged before and
    /// stops the writer thread.
    pub fn install(mut self) -> Result<Guard, InitError> {
        if crate::logger::is_installed() {
            return Err(InitError::AlreadyInstalled);
        }
        let limits = self.limits()?;
        let format = self.format.clone().map_err(InitError::Format)?;
        let filter = self.take_filter()?;
        // Every formatter is checked, so that a bad template fails at once
        // rather than on the day the format is switched.
        self.json.clone().build()?;
        self.text.clone().build()?;
        let mut outputs = std::mem::take(&mut self.outputs);
        if outputs.is_empty() {
            outputs.push(match self.sink.take() {
                Some(w) => Output::writer_boxed(w),
                None => Output::stdout(),
            });
        }
        let to_stdout = outputs.iter().any(|o| matches!(o.target, Target::Stdout));
        let to_stderr = outputs.iter().any(|o| matches!(o.target, Target::Stderr));
        crate::clock::warm_up();
        #[cfg(feature = "otlp")]
        if let Some(problem) = self.otlp_problem.take() {
            return Err(InitError::Otlp(problem));
        }
        let mut output = crate::writer::Output::empty();
        let keyed = outputs.len() > 1;
        for o in outputs {
            #[cfg(feature = "otlp")]
            if let Target::Otlp(url) = &o.target {
                let endpoint = crate::export::Endpoint {
                    url: url.clone(),
                    headers: self.otlp.headers.clone(),
                };
                let filter = o.filter.transpose()?;
                self.add_export(&mut output, endpoint, filter, &limits)?;
                continue;
            }
            let (formatter, key, sink, filter) = self.channel(format, o, keyed)?;
            output.add(formatter, sink, filter, key);
        }
        // The environment's (or `otlp_endpoint`'s) export, under the
        // process filter.
        #[cfg(feature = "otlp")]
        if !self.otlp.url.is_empty() {
            let endpoint = std::mem::take(&mut self.otlp);
            self.add_export(&mut output, endpoint, None, &limits)?;
        }
        if let Some(window) = self.collapse_repeats {
            output = output.collapse_repeats(window);
        }
        let (own, follow) = output.filters();
        let settings = Settings {
            max_values: limits.half_budget(),
            task_ids: output.wants_task(),
            full_backtraces: self.full_backtraces,
            outputs: crate::settings::OutputFilters { own, follow },
            sampling: self.sampling.map(Sampling::limits),
            replay: self.replay.map(|level| crate::settings::Replay {
                level,
                capacity: self.replay_capacity,
                bytes: self.replay_bytes(),
            }),
        };
        let mode = if self.synchronous {
            crate::logger::Mode::Synchronous
        } else {
            crate::logger::Mode::WriterThread
        };
        crate::logger::install(filter, settings, Queue::new(limits), output, mode).map_err(
            |e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    InitError::AlreadyInstalled
                } else {
                    InitError::Spawn(e)
                }
            },
        )?;
        // Said once the logger is in place: a logger installs once per
        // process, so the skipped directives are said once too.
        for (var, e) in &self.skipped_directives {
            say(format_args!(
                "{var}: {e}; skipped, the other directives apply"
            ));
        }
        if let Some(e) = &self.skipped_format {
            say(format_args!("PULSELOG_FORMAT: {e}; skipped, text applies"));
        }
        if self.panic_hook {
            crate::panic::install_hook(self.panic_stderr, to_stdout, to_stderr);
        }
        #[cfg(unix)]
        if self.flush_on_signal {
            crate::signal::install();
        }
        #[cfg(feature = "log")]
        if self.log_bridge {
            crate::log_bridge::install();
        }
        #[cfg(feature = "tracing")]
        if self.tracing_subscriber {
            crate::tracing::install();
        }
        Ok(Guard { active: true })
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Keeps the logger running; dropping it flushes every event logged before
/// and stops the writer thread. Events logged after that are written
/// synchronously on the caller's thread.
#[must_use = "dropping the guard stops the logger: bind it with `let _guard = …`"]
#[derive(Debug)]
pub struct Guard {
    active: bool,
}

impl Guard {
    /// Whether this guard controls the logger (false for the inert guard
    /// `init` returns when a logger was installed already).
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.active
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.active {
            crate::logger::shutdown();
        }
    }
}

/// Installs a logger configured from the environment (see
/// [`Config::from_env`]). Never panics: when a logger is installed already,
/// it says so once on stderr and returns an inert guard; when the
/// environment holds an invalid value, it says so on stderr and uses the
/// defaults, except for a level directive that does not parse, which is
/// said and skipped while the other directives apply.
pub fn init() -> Guard {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let result = match Config::from_env().install() {
        Err(
            e @ (InitError::Format(_)
            | InitError::Filter { .. }
            | InitError::Formatter(_)
            | InitError::Otlp(_)),
        ) => {
            say(format_args!("{e}; using the defaults"));
            Config::new().install()
        }
        other => other,
    };
    match result {
        Ok(guard) => guard,
        Err(e) => {
            if !WARNED.swap(true, Ordering::Relaxed) {
                say(format_args!("{e}; init() did nothing"));
            }
            Guard { active: false }
        }
    }
}

/// Like [`init`], but reports every problem as an error, a level directive
/// of `PULSELOG_LEVEL`/`RUST_LOG` that does not parse included (which
/// [`init`] and [`Config::from_env`] skip): nothing is installed then.
pub fn try_init() -> Result<Guard, InitError> {
    let mut config = Config::from_env();
    if !config.skipped_directives.is_empty() {
        let (var, source) = config.skipped_directives.swap_remove(0);
        return Err(InitError::Filter {
            var: Some(var),
            source,
        });
    }
    config.install()
}

#[cfg(test)]
mod tests {
    use super::{Config, Directives, Duration, Filter, Format, InitError, LevelFilter};

    #[test]
    fn formats_parse_in_any_case_and_others_are_a_typed_error() {
        assert_eq!(" JSON ".parse::<Format>(), Ok(Format::Json));
        assert_eq!("text".parse::<Format>(), Ok(Format::Text));
        let err = "xml".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown format `xml`: expected `json`, `text`, `ecs` or `otel`"
        );
        assert_eq!("ECS".parse::<Format>(), Ok(Format::Ecs));
    }

    #[test]
    fn a_storm_guard_that_writes_nothing_is_refused() {
        let err = Config::new()
            .sampling(crate::Sampling::new().first(0).thereafter(0))
            .install()
            .unwrap_err();
        assert!(err.to_string().contains("would write nothing"), "{err}");
    }

    #[test]
    fn an_invalid_setting_is_reported_by_install_unless_replaced() {
        let err = Config::new().filter("info,db=loud").install().unwrap_err();
        assert!(
            matches!(&err, InitError::Filter { var: None, source } if source.to_string().contains("loud")),
            "{err:?}"
        );
        assert!(std::error::Error::source(&err).is_some());
        // A later valid setting of the same thing replaces the invalid one
        // (the check stops before installing anything: the JSON key clash).
        let err = Config::new()
            .filter("info,db=loud")
            .level(crate::Level::Info)
            .json(crate::JsonFormat::new().static_field("message", 1))
            .install()
            .unwrap_err();
        assert!(matches!(err, InitError::Formatter(_)), "{err:?}");
    }

    /// The process filter `c` installs, with `PULSELOG_LEVEL` set to `env`
    /// (`None`: unset).
    fn resolved(c: Config, env: Option<&str>) -> Result<Filter, InitError> {
        let mut c = Config {
            env_directives: env.map(|e| Directives::parse_lossy(e).0),
            ..c
        };
        c.take_filter()
    }

    #[test]
    fn levels_follow_the_precedence_table_whatever_the_call_order() {
        let parse = |d: &str| Filter::parse(d).unwrap();
        let defaults = || {
            Config::new()
                .default_level(LevelFilter::Warning)
                .module_level("app", LevelFilter::Debug)
        };
        // Row 4, then row 3.
        assert_eq!(resolved(Config::new(), None).unwrap(), Filter::default());
        assert_eq!(
            resolved(defaults(), None).unwrap(),
            parse("warning,app=debug")
        );
        // Row 2 over row 3, where it speaks.
        for (env, filter) in [
            ("trace", "trace"),
            ("hyper=info", "warning,app=debug,hyper=info"),
            ("error,hyper=info", "error,hyper=info"),
            ("app::db=trace", "warning,app=debug,app::db=trace"),
            ("off", "off"),
        ] {
            assert_eq!(
                resolved(defaults(), Some(env)).unwrap(),
                parse(filter),
                "{env}"
            );
        }
        // Directives of the environment that were all skipped speak for
        // nothing: the code's defaults stay.
        assert_eq!(
            resolved(defaults(), Some("app=loud")).unwrap(),
            parse("warning,app=debug")
        );
        // Row 1 over everything, before or after the defaults.
        for forced in [
            defaults().filter("error,app=info"),
            Config::new()
                .filter("error,app=info")
                .default_level(LevelFilter::Trace)
                .module_level("app", LevelFilter::Trace),
        ] {
            assert_eq!(
                resolved(forced, Some("trace")).unwrap(),
                parse("error,app=info")
            );
        }
        assert_eq!(
            resolved(defaults().level(LevelFilter::Off), Some("trace")).unwrap(),
            parse("off")
        );
        // The last of `filter` and `level` is the one.
        let c = Config::new().level(crate::Level::Error).filter("debug");
        assert_eq!(resolved(c, None).unwrap(), parse("debug"));
        let c = Config::new().filter("debug").level(crate::Level::Error);
        assert_eq!(resolved(c, None).unwrap(), parse("error"));
    }

    #[test]
    fn a_module_level_for_what_is_not_a_module_path_is_reported() {
        for c in [
            Config::new().module_level("my app", LevelFilter::Debug),
            Config::new()
                .module_level("my app", LevelFilter::Debug)
                .module_level("app", LevelFilter::Debug)
                .filter("info"),
        ] {
            match resolved(c, None) {
                Err(InitError::Filter { var: None, source }) => {
                    assert!(source.to_string().contains("`my app=DEBUG`"), "{source}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn queue_sizes_that_cannot_work_are_refused_at_install() {
        let setting = |c: Config| match c.install() {
            Err(InitError::Limit { setting, message }) => (setting, message),
            other => panic!("{other:?}"),
        };
        // 2^34 events of 128 bytes: far past half the budget.
        let (s, m) = setting(Config::new().capacity(1 << 34));
        assert_eq!(s, "capacity");
        assert!(m.contains("17179869184 events"), "{m}");
        assert_eq!(setting(Config::new().capacity(0)).0, "capacity");
        // The default capacity fits half of the smallest budget, not less.
        assert_eq!(setting(Config::new().byte_budget(1000)).0, "byte_budget");
        assert_eq!(
            setting(Config::new().byte_budget(1 << 20).capacity(8 * 1024)).0,
            "capacity"
        );
        assert_eq!(
            setting(Config::new().ordering_grace(Duration::from_secs(2))).0,
            "ordering_grace"
        );
        // The limit's check runs before anything is installed.
        assert!(Config::new().byte_budget(1 << 20).limits().is_ok());
    }
}
