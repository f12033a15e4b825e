//! Syslog output against a real rsyslog: `tests/syslog/run-rsyslog.sh`
//! runs a private rsyslogd (installing rsyslog when missing, as root) that
//! listens on loopback TCP and UDP ports and on a Unix socket in a
//! temporary directory, and writes what it parsed of each message as JSON,
//! the STRUCTURED-DATA parsed by its `mmpstrucdata` module. Each transport
//! gets its own child process (this binary again) that logs through it;
//! every message must arrive once, with its severity, header and every
//! field intact, hostile values included.

mod common;

use pulselog::context::Context;
use pulselog::prelude::*;
use pulselog::{Config, Output, Syslog};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Selects the child's transport and address: `tcp 127.0.0.1:1234 N`.
const ROLE: &str = "PULSELOG_TEST_SYSLOG_ROLE";

const SD_ID: &str = "pulselog@32473";
const APP: &str = "pulselog-test";

/// Every byte a message or value could break on: quote, backslash and
/// bracket (the SD-PARAM escapes), newline, carriage return, NUL, tab, an
/// escape sequence, DEL, a bidi override, non-ASCII text, and what looks
/// like the end of an element and the start of another message.
const HOSTILE: &str =
    "q\"b\\r]n\nr\rz\0t\te\u{1b}[2Jd\u{7f}o\u{202e}é😀\"] [x@1 a=\"b\"]\n<11>1 - - - - - forged\\";

const LEVELS: [Level; 6] = [
    Level::Trace,
    Level::Debug,
    Level::Info,
    Level::Warning,
    Level::Error,
    Level::Critical,
];

fn severity(level: Level) -> u64 {
    match level {
        Level::Trace | Level::Debug => 7,
        Level::Info => 6,
        Level::Warning => 4,
        Level::Error => 3,
        Level::Critical => 2,
    }
}

/// `s` as it arrives: pulselog writes each ASCII control character as `#`
/// and three octal digits (rsyslog's own form), everything else as it is.
fn received(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_control() {
                format!("#{:03o}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The child: logs `n` events through the transport its role names, then
/// an error and an event with a value of 1 MiB.
#[test]
fn syslog_child() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let mut words = role.split(' ');
    let (kind, addr, arg) = (
        words.next().unwrap(),
        words.next().unwrap(),
        words.next().unwrap(),
    );
    if kind == "tcp-restart" {
        restart_child(addr, Path::new(arg));
        return;
    }
    if kind == "beside-stdout" {
        beside_stdout_child(addr, arg.parse().unwrap());
        return;
    }
    let n: u64 = arg.parse().unwrap();
    let syslog = match kind {
        "tcp" => Syslog::tcp(addr),
        "udp" | "old" => Syslog::udp(addr),
        "unix" => Syslog::unix(addr),
        other => panic!("unknown transport {other}"),
    }
    .expect("a syslog output")
    .app_name(APP);
    let syslog = if kind == "old" {
        syslog.rfc3164()
    } else {
        syslog
    };
    let _guard = Config::new()
        .level(Level::Trace)
        .output(Output::syslog(syslog))
        .install()
        .expect("logger installed");
    for seq in 0..n {
        let level = LEVELS[(seq % 6) as usize];
        Context::current()
            .with_request_id(format!("req-{seq}"))
            .with_field("tenant", HOSTILE)
            .scope(|| {
                log!(
                    level,
                    "event {seq}: {hostile}",
                    seq = seq,
                    hostile = HOSTILE,
                    user_id = 99,
                    ratio = 0.5
                );
            });
    }
    let err = std::io::Error::other("disk \"full\"] \n");
    log_error!(err, "write failed", seq = n);
    info!(
        "big",
        seq = n + 1,
        big = "x]".repeat(1 << 19),
        after = "kept"
    );
}

/// The child of the restart test: 100 events, written; then, once `go`
/// exists (rsyslogd was killed and started again meanwhile), 100 more.
fn restart_child(addr: &str, go: &Path) {
    let syslog = Syslog::tcp(addr).expect("a syslog output").app_name(APP);
    let _guard = Config::new()
        .output(Output::syslog(syslog))
        .install()
        .expect("logger installed");
    for seq in 0..200 {
        if seq == 100 {
            pulselog::flush();
            let deadline = Instant::now() + Duration::from_secs(60);
            while !go.exists() {
                assert!(Instant::now() < deadline, "never told to go on");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        info!("event {seq}", seq = seq);
    }
}

/// The child of the test of syslog beside stdout: `n` events at INFO,
/// WARNING and ERROR in turn; JSON on stdout under the process filter
/// (INFO), syslog over the Unix socket `path` with a filter of its own.
fn beside_stdout_child(path: &str, n: u64) {
    let _guard = Config::new()
        .output(Output::stdout().format(pulselog::Format::Json))
        .output(Output::syslog(Syslog::unix(path).unwrap().app_name(APP)).filter("warning"))
        .install()
        .expect("logger installed");
    for seq in 0..n {
        let level = [Level::Info, Level::Warning, Level::Error][(seq % 3) as usize];
        log!(level, "event {seq}", seq = seq);
    }
}

/// A private rsyslogd, stopped on drop.
struct Rsyslog {
    child: Child,
    dir: PathBuf,
    tcp: u16,
    udp: u16,
    old: u16,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // What rsyslog received is kept for a failed test to be read.
        if std::thread::panicking() {
            eprintln!("rsyslog's files: {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A loopback port free a moment ago.
fn free_port(udp: bool) -> u16 {
    if udp {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    } else {
        let s = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    }
}

fn spawn_rsyslogd(dir: &Path, ports: [u16; 3]) -> Child {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/syslog/run-rsyslog.sh");
    Command::new(script)
        .arg(dir)
        .args(ports.map(|p| p.to_string()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the script")
}

impl Rsyslog {
    /// Waits until rsyslogd listens on TCP (and has made its socket);
    /// `false` (said on stderr) when rsyslog is missing and cannot be
    /// installed here.
    fn wait_listening(&mut self) -> bool {
        // Installing rsyslog can take a while; listening, a moment.
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                // CI installs rsyslog: there, not having it is a failure.
                assert!(
                    status.code() == Some(3) && std::env::var_os("CI").is_none(),
                    "rsyslogd did not run ({status}): {err}"
                );
                eprintln!("skipped: {}", err.trim());
                return false;
            }
            let listening = std::net::TcpStream::connect(("127.0.0.1", self.tcp)).is_ok()
                && self.dir.join("log").exists();
            if listening {
                return true;
            }
            assert!(
                Instant::now() < deadline,
                "rsyslogd did not start listening"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills rsyslogd and starts it again on the same ports and files.
    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_rsyslogd(&self.dir, [self.tcp, self.udp, self.old]);
        assert!(self.wait_listening(), "rsyslogd did not start again");
    }
}

/// Starts rsyslogd for the test `name` and waits until it listens; `None`
/// when rsyslog is missing and cannot be installed here.
fn start_rsyslog(name: &str) -> Option<Rsyslog> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rsyslog-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (tcp, udp, old) = (free_port(false), free_port(true), free_port(true));
    let mut rsyslog = Rsyslog {
        child: spawn_rsyslogd(&dir, [tcp, udp, old]),
        dir,
        tcp,
        udp,
        old,
    };
    rsyslog.wait_listening().then_some(rsyslog)
}

fn spawn_child(role: &str) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args(["syslog_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env_remove("PULSELOG_LEVEL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("child runs")
}

fn wait_child(child: Child) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the child with `role`; returns its pid.
fn run_child(role: &str) -> u32 {
    let child = spawn_child(role);
    let pid = child.id();
    wait_child(child);
    pid
}

/// The lines of `file` once it has `n` (or after a generous wait, what it
/// has: the caller's count check says what is missing).
fn received_lines(file: &Path, n: usize) -> Vec<Json> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let count = text.lines().count();
        if count >= n || Instant::now() > deadline {
            return text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The lines of `file` from the process `pid`, once there are `n` (or
/// after a generous wait, those there are).
fn received_from(file: &Path, pid: u32, n: usize) -> Vec<Json> {
    let procid = format!("\"procid\": \"{pid}\"");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(&procid)).collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines
                .iter()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is valid for writes of its length.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(r, 0);
    let end = buf.iter().position(|&b| b == 0).unwrap();
    String::from_utf8(buf[..end].to_vec()).unwrap()
}

fn str_of<'a>(v: &'a Json, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no `{key}` in {v}"))
}

/// Checks every line of an RFC 5424 run of `n` events (plus the error and
/// the big event) from the child `pid`: each arrived once and whole; none
/// is missing unless `lossy` (UDP), and then at most one in ten.
fn check_run(lines: &[Json], n: u64, pid: u32, started: jiff::Timestamp, lossy: bool) {
    let hostile = received(HOSTILE);
    let host = host_name();
    let ended = jiff::Timestamp::now();
    let mut seen = vec![false; n as usize + 2];
    for line in lines {
        let sd = &line["rfc5424-sd"][SD_ID];
        let param = |k: &str| str_of(sd, k).to_owned();
        let seq: u64 = param("seq").parse().unwrap();
        assert!(!seen[seq as usize], "seq {seq} twice");
        seen[seq as usize] = true;
        assert_eq!(str_of(line, "app"), APP);
        assert_eq!(str_of(line, "procid"), pid.to_string());
        assert_eq!(str_of(line, "msgid"), "-");
        assert_eq!(str_of(line, "hostname"), host);
        assert_eq!(str_of(line, "facility"), "1");
        let ts: jiff::Timestamp = str_of(line, "ts").parse().unwrap();
        let slack = jiff::SignedDuration::from_secs(1);
        assert!(ts >= started - slack && ts <= ended + slack, "{ts}");
        assert_eq!(
            str_of(line, "ts").split('.').nth(1).unwrap().len(),
            7,
            "µs and Z"
        );
        assert_eq!(param("name"), "syslog");
        assert!(param("filename").ends_with("syslog.rs"), "{line}");
        assert!(param("lineno").parse::<u32>().is_ok(), "{line}");
        assert_eq!(param("funcName"), "syslog_child");
        let level = if seq < n {
            LEVELS[(seq % 6) as usize]
        } else if seq == n {
            Level::Error
        } else {
            Level::Info
        };
        let sev = severity(level);
        assert_eq!(str_of(line, "severity"), sev.to_string(), "{line}");
        assert_eq!(str_of(line, "pri"), (8 + sev).to_string(), "{line}");
        assert_eq!(param("levelname"), level.as_str());
        if seq < n {
            assert_eq!(str_of(line, "msg"), format!("event {seq}: {hostile}"));
            assert_eq!(param("request_id"), format!("req-{seq}"));
            assert_eq!(param("tenant"), hostile);
            assert_eq!(param("hostile"), hostile);
            assert_eq!(param("user_id"), "99");
            assert_eq!(param("ratio"), "0.5");
        } else if seq == n {
            assert_eq!(str_of(line, "msg"), "write failed");
            assert_eq!(param("exc_info.type"), "std::io::error::Error");
            assert_eq!(param("exc_info.message"), "disk \"full\"] #012");
            assert_eq!(param("exc_info.chain.0"), "disk \"full\"] #012");
        } else {
            // 1 MiB cut to fit rsyslog's default message size, whole
            // around it.
            assert_eq!(str_of(line, "msg"), "big");
            let big = param("big");
            assert!(
                big.starts_with("x]x]") && big.ends_with(" bytes cut>"),
                "{big}"
            );
            assert_eq!(param("after"), "kept");
        }
    }
    let missing: Vec<usize> = (0..seen.len()).filter(|&i| !seen[i]).collect();
    if lossy && !missing.is_empty() {
        eprintln!("UDP lost {} of {}: {missing:?}", missing.len(), seen.len());
        assert!(missing.len() * 10 <= seen.len(), "{} lost", missing.len());
        return;
    }
    assert!(missing.is_empty(), "{} lost: {missing:?}", missing.len());
    assert_eq!(lines.len(), seen.len());
}

#[test]
fn rsyslog_receives_every_event_and_field_whole() {
    let Some(rsyslog) = start_rsyslog("receive") else {
        return;
    };
    let runs: [(&str, String, u64, &str); 3] = [
        (
            "tcp",
            format!("127.0.0.1:{}", rsyslog.tcp),
            10_000,
            "tcp.json",
        ),
        ("udp", format!("127.0.0.1:{}", rsyslog.udp), 300, "udp.json"),
        (
            "unix",
            rsyslog.dir.join("log").display().to_string(),
            300,
            "unix.json",
        ),
    ];
    for (kind, addr, n, file) in runs {
        let started = jiff::Timestamp::now();
        let pid = run_child(&format!("{kind} {addr} {n}"));
        let lines = received_lines(&rsyslog.dir.join(file), n as usize + 2);
        // UDP has no flow control: a datagram that finds the daemon's
        // receive buffer full is lost. The script gives it 8 MiB, which
        // rsyslog gets as root (beyond `net.core.rmem_max`); with the
        // default buffer, a loaded machine lost up to 72 of 302.
        check_run(&lines, n, pid, started, kind == "udp");
        eprintln!("{kind}: {} of {} messages received", lines.len(), n + 2);
    }

    // Beside stdout, with a filter of its own: the daemon gets WARNING and
    // above, stdout everything from INFO.
    let socket = rsyslog.dir.join("log");
    let child = spawn_child(&format!("beside-stdout {} 30", socket.display()));
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout: Vec<Json> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        // The harness's `test syslog_child ... ` may begin the first line.
        .filter_map(|l| l.find("{\"asctime\"").map(|i| &l[i..]))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(stdout.len(), 30);
    let lines = received_from(&rsyslog.dir.join("unix.json"), pid, 20);
    let seqs: Vec<u64> = lines
        .iter()
        .map(|l| str_of(&l["rfc5424-sd"][SD_ID], "seq").parse().unwrap())
        .collect();
    let expected: Vec<u64> = (0..30).filter(|s| s % 3 != 0).collect();
    assert_eq!(seqs, expected);

    // RFC 3164: rsyslog parses the BSD header; the structured data is at
    // the start of the message.
    let pid = run_child(&format!("old 127.0.0.1:{} 12", rsyslog.old));
    let lines = received_lines(&rsyslog.dir.join("old.json"), 14);
    assert!(lines.len() >= 12, "{} of 14", lines.len());
    for line in &lines {
        let seq: usize = str_of(line, "msg")
            .split(" seq=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        if seq >= 12 {
            continue;
        }
        let level = LEVELS[seq % 6];
        assert_eq!(str_of(line, "severity"), severity(level).to_string());
        assert_eq!(str_of(line, "app"), APP);
        assert_eq!(str_of(line, "procid"), pid.to_string());
        assert_eq!(str_of(line, "hostname"), host_name());
        let msg = str_of(line, "msg").trim_start();
        let head = format!("[{SD_ID} levelname=\"{}\" name=\"syslog\" ", level.as_str());
        assert!(msg.starts_with(&head), "{msg}");
        let tail = format!("] event {seq}: {}", received(HOSTILE));
        assert!(msg.ends_with(&tail), "{msg}");
    }
}

/// rsyslogd killed and started again in the middle of a TCP run: the
/// connection is made again and no message is lost or torn, the one that
/// found the old connection closed included.
#[test]
fn tcp_reconnects_when_rsyslog_restarts() {
    let Some(mut rsyslog) = start_rsyslog("restart") else {
        return;
    };
    let go = rsyslog.dir.join("go");
    let child = spawn_child(&format!(
        "tcp-restart 127.0.0.1:{} {}",
        rsyslog.tcp,
        go.display()
    ));
    let pid = child.id();
    let file = rsyslog.dir.join("tcp.json");
    assert_eq!(received_from(&file, pid, 100).len(), 100);
    rsyslog.restart();
    std::fs::write(&go, "").unwrap();
    wait_child(child);
    let lines = received_from(&file, pid, 200);
    let seqs: Vec<u64> = lines
        .iter()
        .map(|l| str_of(&l["rfc5424-sd"][SD_ID], "seq").parse().unwrap())
        .collect();
    assert_eq!(seqs, (0..200).collect::<Vec<u64>>());
    for (seq, line) in lines.iter().enumerate() {
        assert_eq!(str_of(line, "msg"), format!("event {seq}"));
    }
}
