//! Syslog output: each event as one message to a syslog daemon, over a
//! Unix datagram socket (`/dev/log`), UDP or TCP.
//!
//! [`Syslog`] is the public builder; `format` writes a message (RFC 5424 or
//! RFC 3164, the fields as STRUCTURED-DATA), `transport` sends it. The
//! writer runs the formatter as one of its formats and the transport as a
//! sink that takes one message per write; `Output::syslog` makes such an
//! output. `docs/syslog.md` says what is
//! sent and how to read it with rsyslog and syslog-ng.

mod format;
mod transport;

pub use format::Facility;
pub(crate) use format::SyslogFormat;
pub(crate) use transport::Transport;

use std::io;
use std::net::ToSocketAddrs;

/// The default longest message, in bytes: rsyslog's default
/// `maxMessageSize`, so that its default configuration takes every message
/// whole.
pub(crate) const DEFAULT_MAX_LEN: usize = 8096;

/// The shortest `max_len` accepted: the size every RFC 5424 receiver must
/// take (§6.1).
const MIN_MAX_LEN: usize = 480;

/// Where and how to send events to a syslog daemon.
///
/// ```no_run
/// use pulselog::{Config, Facility, Output, Syslog};
///
/// let syslog = Syslog::udp("127.0.0.1:514")?
///     .facility(Facility::Local0)
///     .app_name("checkout");
/// let _guard = Config::new().output(Output::syslog(syslog)).install()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Each event is one RFC 5424 message (or RFC 3164 with
/// [`Syslog::rfc3164`]): `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID -
/// [pulselog@32473 levelname="INFO" name="app::db" filename="src/db.rs"
/// lineno="42" funcName="query" request_id="…" user_id="99"] message`.
/// Severity: TRACE and DEBUG 7, INFO 6, WARNING 4, ERROR 3, CRITICAL 2.
/// Every field of the event (request ids, context fields, event fields, the
/// error as `exc_info.*`) is an SD-PARAM, so a daemon recovers each one.
/// Messages longer than [`Syslog::max_len`] are cut, never split: the
/// message text and the longest values end with `…<N bytes cut>`.
#[derive(Debug)]
pub struct Syslog {
    format: SyslogFormat,
    transport: Transport,
}

impl Syslog {
    fn new(transport: Transport) -> Syslog {
        let max_len = transport
            .max_message()
            .map_or(DEFAULT_MAX_LEN, |m| m.min(DEFAULT_MAX_LEN));
        Syslog {
            format: SyslogFormat::new(&program_name(), &hostname(), max_len),
            transport,
        }
    }

    /// To a Unix datagram socket, such as `/dev/log` (systemd-journald's
    /// and rsyslog's local socket): one datagram per message. The socket
    /// need not exist yet; while it does not, the writer retries.
    ///
    /// # Errors
    ///
    /// When no socket can be created (too many open files).
    #[cfg(unix)]
    pub fn unix(path: impl AsRef<std::path::Path>) -> io::Result<Syslog> {
        Ok(Syslog::new(Transport::unix(path.as_ref())?))
    }

    /// To UDP (RFC 5426), such as `127.0.0.1:514`: one datagram per
    /// message, which the network may lose.
    ///
    /// # Errors
    ///
    /// When the address does not resolve, or no socket can be bound.
    pub fn udp(addr: impl ToSocketAddrs) -> io::Result<Syslog> {
        Ok(Syslog::new(Transport::udp(addr)?))
    }

    /// To TCP with octet-counting framing (RFC 6587: `LEN SP MSG`), such as
    /// `127.0.0.1:514`. The connection is made on the first message and
    /// made again when it breaks; the message that found it broken is sent
    /// again, whole, on the new one.
    ///
    /// # Errors
    ///
    /// When the address does not resolve.
    pub fn tcp(addr: impl ToSocketAddrs) -> io::Result<Syslog> {
        Ok(Syslog::new(Transport::tcp(addr)?))
    }

    /// Writes the BSD format (RFC 3164) for old daemons:
    /// `<PRI>Mmm dd hh:mm:ss HOSTNAME APP-NAME[PID]: [pulselog@32473 …] message`,
    /// the time in UTC, the structured data at the start of the message.
    #[must_use]
    pub fn rfc3164(mut self) -> Syslog {
        self.format.use_rfc3164();
        self
    }

    /// The facility (default [`Facility::User`]).
    #[must_use]
    pub fn facility(mut self, facility: Facility) -> Syslog {
        self.format.facility = facility;
        self
    }

    /// APP-NAME (default: the program's file name). Characters outside
    /// printable US-ASCII become `_`; at most 48 are kept.
    #[must_use]
    pub fn app_name(mut self, name: &str) -> Syslog {
        self.format.app_name = format::header_field(name, 48);
        self
    }

    /// HOSTNAME (default: the machine's host name). Characters outside
    /// printable US-ASCII become `_`; at most 255 are kept.
    #[must_use]
    pub fn hostname(mut self, name: &str) -> Syslog {
        self.format.hostname = format::header_field(name, 255);
        self
    }

    /// The longest message in bytes (the TCP frame's length prefix aside);
    /// default 8096 (rsyslog's default `maxMessageSize`), at least 480, and at most 65,507 on UDP
    /// and Unix sockets (the largest UDP payload over IPv4). A longer
    /// message is cut (never split in two): see [`Syslog`].
    #[must_use]
    pub fn max_len(mut self, bytes: usize) -> Syslog {
        let max = self.transport.max_message().unwrap_or(usize::MAX);
        self.format.max_len = bytes.clamp(MIN_MAX_LEN, max);
        self
    }

    pub(crate) fn into_parts(self) -> (SyslogFormat, Transport) {
        (self.format, self.transport)
    }
}

/// The program's file name, for APP-NAME.
fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| {
            let arg0 = std::env::args_os().next()?;
            let name = std::path::Path::new(&arg0).file_name()?;
            Some(name.to_string_lossy().into_owned())
        })
        .unwrap_or_default()
}

/// The machine's host name, for HOSTNAME (`-` when unknown).
#[cfg(unix)]
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is valid for writes of its length; `gethostname`
    // writes at most that many bytes.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if r != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(not(unix))]
fn hostname() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_default()
}
