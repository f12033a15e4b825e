//! Sending messages to a syslog daemon: one datagram per message on a Unix
//! socket or UDP, one octet-counted frame per message on TCP (RFC 6587
//! §3.4.1: `LEN SP MSG`).
//!
//! Each call sends one whole message or fails; the writer retries a
//! failed message with its backoff. A TCP connection that broke is
//! replaced, and the message sent again whole on the new one: a frame is
//! never continued on another connection.

use crate::diag::say;
use std::io::{self, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

/// How long a TCP connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where messages go.
#[derive(Debug)]
pub(crate) enum Transport {
    /// A Unix datagram socket, such as `/dev/log`. The socket is not
    /// connected: each send finds the path anew, so a daemon that restarts
    /// and binds its socket again is found again.
    #[cfg(unix)]
    Unix {
        socket: std::os::unix::net::UnixDatagram,
        path: std::path::PathBuf,
        /// Whether a message too long for the socket was reported.
        said_too_long: bool,
    },
    Udp {
        socket: UdpSocket,
        said_too_long: bool,
    },
    Tcp(Tcp),
}

/// A TCP connection to the daemon, made when first needed and again
/// whenever it breaks.
#[derive(Debug)]
pub(crate) struct Tcp {
    addrs: Vec<SocketAddr>,
    stream: Option<TcpStream>,
    /// The frame being sent, kept to send again on a new connection.
    frame: Vec<u8>,
}

impl Transport {
    #[cfg(unix)]
    pub(crate) fn unix(path: &std::path::Path) -> io::Result<Transport> {
        Ok(Transport::Unix {
            socket: std::os::unix::net::UnixDatagram::unbound()?,
            path: path.to_owned(),
            said_too_long: false,
        })
    }

    pub(crate) fn udp(addr: impl ToSocketAddrs) -> io::Result<Transport> {
        let addrs = resolve(addr)?;
        let local: SocketAddr = if addrs[0].is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(&addrs[..])?;
        Ok(Transport::Udp {
            socket,
            said_too_long: false,
        })
    }

    pub(crate) fn tcp(addr: impl ToSocketAddrs) -> io::Result<Transport> {
        Ok(Transport::Tcp(Tcp {
            addrs: resolve(addr)?,
            stream: None,
            frame: Vec::new(),
        }))
    }

    /// The longest message the transport can carry, if it has a limit:
    /// a UDP datagram's payload over IPv4 (and on a Unix socket, the same
    /// bound, well below the socket buffer Linux gives a datagram).
    pub(crate) fn max_message(&self) -> Option<usize> {
        match self {
            Transport::Tcp(_) => None,
            _ => Some(65_507),
        }
    }

    /// Sends one message whole. A message the socket refuses as too long
    /// (`EMSGSIZE`, below the limits above only on an unusual system) can
    /// never be sent: it is dropped, said on stderr once, and not an
    /// error. Never `BrokenPipe`, which the writer takes for a reader
    /// that has gone for good.
    pub(crate) fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        let result = match self {
            #[cfg(unix)]
            Transport::Unix {
                socket,
                path,
                said_too_long,
            } => too_long_dropped(socket.send_to(msg, &*path).map(drop), said_too_long),
            Transport::Udp {
                socket,
                said_too_long,
            } => {
                // A refusal reported now (ICMP port unreachable) is that of
                // an earlier datagram: this one is tried once more.
                let r = match socket.send(msg) {
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => socket.send(msg),
                    r => r,
                };
                too_long_dropped(r.map(drop), said_too_long)
            }
            Transport::Tcp(tcp) => tcp.send(msg),
        };
        result.map_err(|e| {
            if e.kind() == io::ErrorKind::BrokenPipe {
                io::Error::new(io::ErrorKind::ConnectionReset, e)
            } else {
                e
            }
        })
    }
}

fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the syslog address resolves to no socket address",
        ));
    }
    Ok(addrs)
}

fn too_long_dropped(r: io::Result<()>, said: &mut bool) -> io::Result<()> {
    match r {
        Err(e) if is_too_long(&e) => {
            if !*said {
                *said = true;
                say(format_args!(
                    "a syslog message was too long for the socket ({e}) and was dropped; lower `Syslog::max_len`"
                ));
            }
            Ok(())
        }
        r => r,
    }
}

#[cfg(unix)]
fn is_too_long(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EMSGSIZE)
}

#[cfg(not(unix))]
fn is_too_long(_: &io::Error) -> bool {
    false
}

impl Tcp {
    /// Sends `msg` as one frame; a connection that fails is replaced at
    /// once and the frame sent again, whole, on the new one.
    fn send(&mut self, msg: &[u8]) -> io::Result<()> {
        self.frame.clear();
        self.frame
            .extend_from_slice(itoa::Buffer::new().format(msg.len()).as_bytes());
        self.frame.push(b' ');
        self.frame.extend_from_slice(msg);
        let had_connection = self.stream.is_some();
        match self.send_frame() {
            Err(_) if had_connection => self.send_frame(),
            r => r,
        }
    }

    fn send_frame(&mut self) -> io::Result<()> {
        // A daemon that closed the connection (a restart) is seen before
        // writing: a write would succeed and its message vanish.
        if self.stream.as_ref().is_some_and(peer_closed) {
            self.stream = None;
        }
        let stream = match &mut self.stream {
            Some(s) => s,
            None => self.stream.insert(connect(&self.addrs)?),
        };
        if let Err(e) = stream.write_all(&self.frame) {
            // Part of the frame may be out: the connection is done with.
            self.stream = None;
            return Err(e);
        }
        Ok(())
    }
}

fn connect(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable)))
}

/// Whether the daemon has closed its side (or reset the connection): a
/// syslog daemon sends nothing, so anything readable is an end of stream.
#[cfg(unix)]
fn peer_closed(stream: &TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut byte = 0u8;
    // SAFETY: `byte` is valid for a write of 1 byte for the call; the
    // descriptor is the stream's, open while `stream` is borrowed;
    // `MSG_DONTWAIT` makes the call return at once whatever the socket's
    // mode, and `MSG_PEEK` leaves any data where it is.
    let n = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            (&raw mut byte).cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    match n {
        0 => true,
        n if n > 0 => false,
        _ => !matches!(
            io::Error::last_os_error().kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
        ),
    }
}

#[cfg(not(unix))]
fn peer_closed(_: &TcpStream) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::Transport;
    use std::io::Read;
    use std::net::TcpListener;
    use std::sync::mpsc;

    /// Reads one octet-counted frame.
    fn read_frame(r: &mut impl Read) -> Vec<u8> {
        let mut len = Vec::new();
        let mut b = [0u8];
        loop {
            r.read_exact(&mut b).unwrap();
            if b[0] == b' ' {
                break;
            }
            len.push(b[0]);
        }
        let len: usize = std::str::from_utf8(&len).unwrap().parse().unwrap();
        let mut msg = vec![0; len];
        r.read_exact(&mut msg).unwrap();
        msg
    }

    #[test]
    fn tcp_frames_are_octet_counted_and_survive_a_reconnect() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (closed_tx, closed_rx) = mpsc::channel();
        let server = std::thread::spawn(move || {
            let (mut first, _) = listener.accept().unwrap();
            let a = read_frame(&mut first);
            let b = read_frame(&mut first);
            // The daemon goes away (a restart) and comes back.
            drop(first);
            closed_tx.send(()).unwrap();
            let (mut second, _) = listener.accept().unwrap();
            let c = read_frame(&mut second);
            let mut rest = Vec::new();
            second.read_to_end(&mut rest).unwrap();
            (a, b, c, rest)
        });
        let mut t = Transport::tcp(addr).unwrap();
        t.send(b"<14>1 one").unwrap();
        t.send("two\nwith a newline, 2 bytes: é".as_bytes())
            .unwrap();
        closed_rx.recv().unwrap();
        t.send(b"three").unwrap();
        drop(t);
        let (a, b, c, rest) = server.join().unwrap();
        assert_eq!(a, b"<14>1 one");
        assert_eq!(b, "two\nwith a newline, 2 bytes: é".as_bytes());
        assert_eq!(c, b"three");
        assert!(rest.is_empty());
    }

    #[test]
    fn tcp_frame_prefix_is_the_message_length_in_bytes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut t = Transport::tcp(listener.local_addr().unwrap()).unwrap();
        t.send("é]\"".as_bytes()).unwrap();
        drop(t);
        let (mut s, _) = listener.accept().unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        assert_eq!(all, "4 é]\"".as_bytes());
    }

    #[test]
    fn a_daemon_that_is_down_is_an_error_to_retry_not_a_broken_pipe() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let mut t = Transport::tcp(addr).unwrap();
        let err = t.send(b"x").unwrap_err();
        assert_ne!(err.kind(), std::io::ErrorKind::BrokenPipe);
    }

    #[cfg(unix)]
    #[test]
    fn unix_and_udp_send_one_datagram_per_message() {
        let dir = std::env::temp_dir().join(format!("pulselog-syslog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        let _ = std::fs::remove_file(&path);
        let rx = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        let mut t = Transport::unix(&path).unwrap();
        t.send(b"a\nb").unwrap();
        t.send(b"c").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"a\nb");
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"c");
        std::fs::remove_dir_all(&dir).unwrap();

        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut t = Transport::udp(rx.local_addr().unwrap()).unwrap();
        t.send(b"d\0e").unwrap();
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"d\0e");
    }
}
