//! Where lines go: [`Output`], one destination with its own format, filter
//! and colour, as Python's logging handlers and tracing-subscriber's
//! per-layer filters are. [`crate::Config::output`] adds one; an event goes
//! to every output whose filter lets it through.
//!
//! What this module decides, for each output at install:
//!
//! - **Format**: the output's own ([`Output::format`], [`Output::json`],
//!   [`Output::text`]); else the configuration's ([`crate::Config::format`]
//!   or `PULSELOG_FORMAT`); else text when the output is a terminal (its own
//!   file descriptor: stdout's for [`Output::stdout`], stderr's for
//!   [`Output::stderr`]) and JSON otherwise. A file or a custom writer is
//!   never a terminal. The JSON and text settings are the output's own
//!   ([`Output::json`], [`Output::text`]) or the configuration's
//!   ([`crate::Config::json`], [`crate::Config::text`]).
//! - **Colour** (text only): [`crate::ColorChoice::Auto`] colours an output
//!   that is a terminal, by the `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE` and
//!   `TERM` conventions read for that terminal; `Always` and `Never` hold
//!   whatever the output.
//! - **Filter**: the output's own ([`Output::filter`], env_logger
//!   directives) or, without one, the process filter (`PULSELOG_LEVEL`,
//!   [`crate::Config::filter`], [`crate::set_filter`]). A call site is
//!   enabled when any output wants its events, so a call that no output
//!   wants still costs one relaxed load.
//!
//! Each event is formatted once per distinct format, not once per output:
//! outputs whose formats are configured alike share the line.

use crate::file::RollingFile;
use crate::filter::{Filter, FilterError};
use crate::format::json::JsonFormat;
use crate::format::text::TextFormat;
use crate::syslog::{Syslog, SyslogFormat, Transport};
use std::fmt;
use std::io::Write;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line (python-json-logger schema by default).
    Json,
    /// Human-readable template.
    Text,
    /// Elastic Common Schema logging lines (`@timestamp`, `log.level`,
    /// `message`, `ecs.version`, dotted `log.*`, `error.*`, `service.*`,
    /// `trace.id` keys), as Elastic's `ecs-logging` libraries write them.
    Ecs,
    /// One OTLP/JSON `{"resourceLogs":[…]}` object per line, as the
    /// OpenTelemetry Collector's file exporter writes it (its `otlpjsonfile`
    /// receiver reads it unchanged).
    Otel,
}

impl std::str::FromStr for Format {
    type Err = ParseFormatError;

    fn from_str(s: &str) -> Result<Format, ParseFormatError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "text" => Ok(Format::Text),
            "ecs" => Ok(Format::Ecs),
            "otel" => Ok(Format::Otel),
            _ => Err(ParseFormatError {
                value: s.trim().to_owned(),
            }),
        }
    }
}

/// A string that names no [`Format`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFormatError {
    value: String,
}

impl fmt::Display for ParseFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown format `{}`: expected `json`, `text`, `ecs` or `otel`",
            self.value
        )
    }
}

impl std::error::Error for ParseFormatError {}

/// A destination for log lines, with its own format, filter and colour.
///
/// ```no_run
/// use pulselog::{Config, Format, Output, RollingFile, Rotation};
///
/// let _guard = Config::from_env()
///     .output(Output::stdout())
///     .output(
///         Output::file(RollingFile::new("app.log", Rotation::Daily, 7)?)
///             .format(Format::Text)
///             .filter("debug,hyper=info"),
///     )
///     .output(Output::stderr().filter("error"))
///     .install()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Output {
    pub(crate) target: Target,
    pub(crate) format: Option<Format>,
    pub(crate) json: Option<JsonFormat>,
    pub(crate) text: Option<TextFormat>,
    /// An invalid filter is kept until install reports it.
    pub(crate) filter: Option<Result<Filter, FilterError>>,
}

/// The file or writer behind an output.
pub(crate) enum Target {
    Stdout,
    Stderr,
    Writer(Box<dyn Write + Send>),
    /// A syslog daemon: the syslog format, whatever the output's format.
    Syslog(Box<SyslogFormat>, Transport),
    /// An OpenTelemetry Collector's logs URL (`…/v1/logs`).
    #[cfg(feature = "otlp")]
    Otlp(String),
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = match self.target {
            Target::Stdout => "stdout",
            Target::Stderr => "stderr",
            Target::Writer(_) => "writer",
            Target::Syslog(..) => "syslog",
            #[cfg(feature = "otlp")]
            Target::Otlp(_) => "otlp",
        };
        f.debug_struct("Output")
            .field("target", &target)
            .field("format", &self.format)
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl Output {
    fn new(target: Target) -> Output {
        Output {
            target,
            format: None,
            json: None,
            text: None,
            filter: None,
        }
    }

    /// Standard output (file descriptor 1): on a pipe, a line up to
    /// `PIPE_BUF` bytes is never split across writes.
    #[must_use]
    pub fn stdout() -> Output {
        Output::new(Target::Stdout)
    }

    /// Standard error (file descriptor 2), the usual place for a
    /// command-line tool's logs: its format and colour follow stderr's
    /// terminal, whatever stdout is.
    #[must_use]
    pub fn stderr() -> Output {
        Output::new(Target::Stderr)
    }

    /// A file: one that rotates by size or time, or one left to `logrotate`
    /// ([`RollingFile::watched`]).
    #[must_use]
    pub fn file(file: RollingFile) -> Output {
        Output::new(Target::Writer(Box::new(file)))
    }

    /// Any writer (a file, a socket, a buffer in a test). Never coloured
    /// unless its text format says [`crate::ColorChoice::Always`].
    #[must_use]
    pub fn writer(w: impl Write + Send + 'static) -> Output {
        Output::new(Target::Writer(Box::new(w)))
    }

    /// A syslog daemon (see [`Syslog`]): one message per event, RFC 5424
    /// (or 3164) with every field as structured data. Its messages have the
    /// syslog format: [`Output::format`], [`Output::json`] and
    /// [`Output::text`] do not apply to it; [`Output::filter`] does.
    ///
    /// ```no_run
    /// use pulselog::{Config, Output, Syslog};
    ///
    /// let _guard = Config::from_env()
    ///     .output(Output::stdout())
    ///     .output(Output::syslog(Syslog::udp("127.0.0.1:514")?).filter("warning"))
    ///     .install()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn syslog(syslog: Syslog) -> Output {
        let (format, transport) = syslog.into_parts();
        Output::new(Target::Syslog(Box::new(format), transport))
    }

    /// An OpenTelemetry Collector, over OTLP/HTTP (`POST {endpoint}/v1/logs`,
    /// protobuf; feature `otlp`), with the headers and the service resource
    /// of the configuration ([`crate::Config::otlp_header`],
    /// [`crate::Config::service_name`], `OTEL_*` variables). It takes the
    /// events its filter wants, whatever the other outputs write; its
    /// format settings are not used. Besides it, `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (or [`crate::Config::otlp_endpoint`]) adds an export of its own under
    /// the process filter.
    ///
    /// ```no_run
    /// use pulselog::{Config, Output};
    ///
    /// // Every INFO event to the collector, only warnings on stdout.
    /// let _guard = Config::new()
    ///     .filter("info")
    ///     .output(Output::otlp("http://localhost:4318"))
    ///     .output(Output::stdout().filter("warning"))
    ///     .install()?;
    /// # Ok::<(), pulselog::InitError>(())
    /// ```
    #[cfg(feature = "otlp")]
    #[must_use]
    pub fn otlp(endpoint: &str) -> Output {
        Output::new(Target::Otlp(crate::export::Endpoint::logs_url(endpoint)))
    }

    /// [`Config::writer`](crate::Config::writer)'s writer.
    pub(crate) fn writer_boxed(w: Box<dyn Write + Send>) -> Output {
        Output::new(Target::Writer(w))
    }

    /// The format of this output's lines.
    #[must_use]
    pub fn format(mut self, format: Format) -> Output {
        self.format = Some(format);
        self
    }

    /// JSON lines, with these settings.
    #[must_use]
    pub fn json(mut self, json: JsonFormat) -> Output {
        self.format = Some(Format::Json);
        self.json = Some(json);
        self
    }

    /// Text lines, with these settings (template, time format, colour).
    #[must_use]
    pub fn text(mut self, text: TextFormat) -> Output {
        self.format = Some(Format::Text);
        self.text = Some(text);
        self
    }

    /// The events this output writes, as env_logger directives (`debug`,
    /// `warn,my_app::db=debug`), instead of the process filter. An invalid
    /// string makes [`crate::Config::install`] fail with
    /// [`crate::InitError::Filter`].
    #[must_use]
    pub fn filter(mut self, directives: &str) -> Output {
        self.filter = Some(Filter::parse(directives));
        self
    }
}
