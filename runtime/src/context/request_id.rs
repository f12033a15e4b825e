//! Request ids: a new UUID for a request that starts here, or the id an
//! upstream service sent (`X-Request-Id`, W3C `traceparent`).
//!
//! New ids and span ids come from a generator of each thread's own
//! (wyrand), seeded from the operating system: `uuid`'s `v4` with
//! `fast-rng` would draw them from `rand`'s ChaCha, five more crates to
//! build (`rand`, `rand_core`, `chacha20`, `getrandom`, `cpufeatures`) for
//! ids that need to be unique, not unpredictable. A child process after
//! `fork()` seeds its generators again, so that it never repeats the ids
//! its parent makes.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::error::Error;
use std::fmt;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::Arc;
// Not `crate::sync`'s: the `fork()` handler reaches the count through a
// `static`, which loom's atomics cannot be, and no loom model makes ids.
use std::sync::atomic::{AtomicU64, Ordering};

/// Longest `X-Request-Id` accepted, in bytes. Ids in the wild are UUIDs (36),
/// ULIDs (26) or a few hex/base64 tokens joined; anything much longer is more
/// likely an attack on log storage than an id.
pub const MAX_HEADER_LEN: usize = 200;

/// The id of one request, carried by every event logged while handling it.
///
/// Cheap to clone. Prints as its text (a UUID for [`RequestId::new`]). An id
/// read from a W3C `traceparent` keeps the trace and span ids
/// ([`RequestId::trace_parent`]) so that an OpenTelemetry output can emit
/// them.
///
/// ```
/// use pulselog::context::RequestId;
///
/// // Keep the upstream id when there is a valid one, else start a new one.
/// let id = RequestId::from_headers(Some("req-42"), None);
/// assert_eq!(id.as_str(), "req-42");
///
/// let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let id = RequestId::from_traceparent(tp).unwrap();
/// assert_eq!(id.as_str(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert_eq!(id.trace_parent().unwrap().to_string(), tp);
///
/// assert!(RequestId::from_header("evil\nline").is_err());
/// ```
#[derive(Clone)]
pub struct RequestId {
    text: Arc<str>,
    trace: Option<TraceParent>,
}

/// The ids of a W3C `traceparent` header (Trace Context, level 1).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    flags: u8,
}

impl RequestId {
    /// A new random id: a UUID v4 in its hyphenated lowercase form.
    ///
    /// Its 122 random bits come from a per-thread generator seeded from
    /// the operating system: unique, but not unpredictable enough to serve
    /// as a secret (a session token, say).
    #[must_use]
    pub fn new() -> RequestId {
        let bytes = random_u128().to_le_bytes();
        RequestId::from(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The W3C trace context this id came from, if any.
    #[must_use]
    pub fn trace_parent(&self) -> Option<&TraceParent> {
        self.trace.as_ref()
    }

    /// An id from any `Display` value, taken as it prints (trusted input:
    /// for a value from a request header use [`RequestId::from_header`]).
    #[must_use]
    pub fn from_display(id: &(impl fmt::Display + ?Sized)) -> RequestId {
        RequestId {
            text: Arc::from(id.to_string()),
            trace: None,
        }
    }

    /// Validates the value of an incoming `X-Request-Id` header: surrounding
    /// whitespace is trimmed, then it must be 1 to
    /// 200 bytes of visible ASCII (no spaces, no control characters), so an
    /// id from outside can neither forge log lines nor flood them.
    ///
    /// # Errors
    ///
    /// When the value is empty, too long, or holds any other character.
    pub fn from_header(value: &str) -> Result<RequestId, ParseRequestIdError> {
        let value = value.trim_matches([' ', '\t']);
        if value.is_empty() {
            return Err(ParseRequestIdError::Empty);
        }
        if value.len() > MAX_HEADER_LEN {
            return Err(ParseRequestIdError::TooLong(value.len()));
        }
        if let Some(at) = value.bytes().position(|b| !b.is_ascii_graphic()) {
            return Err(ParseRequestIdError::InvalidChar(at));
        }
        Ok(RequestId {
            text: Arc::from(value),
            trace: None,
        })
    }

    /// Parses a W3C `traceparent` header
    /// (`{version}-{trace-id}-{parent-id}-{flags}`, lowercase hex). The
    /// request id's text is the trace id; the trace and span ids are kept.
    ///
    /// Version `ff` is refused, as are all-zero trace or parent ids and
    /// uppercase hex. A version above `00` may carry more fields after the
    /// flags; they are ignored, as the specification asks.
    ///
    /// # Errors
    ///
    /// When the header is not a valid `traceparent`.
    pub fn from_traceparent(value: &str) -> Result<RequestId, ParseRequestIdError> {
        let tp = TraceParent::parse(value.trim_matches([' ', '\t']))?;
        let mut text = [0; 32];
        hex_encode(&tp.trace_id, &mut text);
        Ok(RequestId {
            text: Arc::from(std::str::from_utf8(&text).unwrap_or_default()),
            trace: Some(tp),
        })
    }

    /// The id for a request that arrived with these headers: a valid
    /// `X-Request-Id` is kept as the id, and a valid `traceparent` supplies
    /// the trace ids (and the id itself when there is no `X-Request-Id`);
    /// with neither, a new UUID. Invalid values are ignored.
    #[must_use]
    pub fn from_headers(x_request_id: Option<&str>, traceparent: Option<&str>) -> RequestId {
        let trace = traceparent.and_then(|tp| RequestId::from_traceparent(tp).ok());
        match (
            x_request_id.and_then(|v| RequestId::from_header(v).ok()),
            trace,
        ) {
            (Some(mut id), trace) => {
                id.trace = trace.and_then(|t| t.trace);
                id
            }
            (None, Some(trace)) => trace,
            (None, None) => RequestId::new(),
        }
    }
}

impl Default for RequestId {
    /// A new random id, as [`RequestId::new`].
    fn default() -> RequestId {
        RequestId::new()
    }
}

impl From<uuid::Uuid> for RequestId {
    fn from(id: uuid::Uuid) -> RequestId {
        let mut buf = [0; uuid::fmt::Hyphenated::LENGTH];
        RequestId {
            text: Arc::from(&*id.hyphenated().encode_lower(&mut buf)),
            trace: None,
        }
    }
}

impl AsRef<RequestId> for RequestId {
    fn as_ref(&self) -> &RequestId {
        self
    }
}

impl PartialEq for RequestId {
    fn eq(&self, other: &RequestId) -> bool {
        self.text == other.text && self.trace == other.trace
    }
}

impl Eq for RequestId {}

impl std::hash::Hash for RequestId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = f.debug_tuple("RequestId");
        t.field(&&*self.text);
        if let Some(tp) = &self.trace {
            t.field(tp);
        }
        t.finish()
    }
}

impl TraceParent {
    fn parse(s: &str) -> Result<TraceParent, ParseRequestIdError> {
        use TraceParentError as E;
        let bad = ParseRequestIdError::TraceParent;
        let b = s.as_bytes();
        // version(2) - trace-id(32) - parent-id(16) - flags(2)
        const LEN: usize = 55;
        if b.len() < LEN {
            return Err(bad(E::Length));
        }
        if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return Err(bad(E::Format));
        }
        let version = hex_decode::<1>(&b[0..2]).ok_or(bad(E::NotLowerHex))?[0];
        if version == 0xff {
            return Err(bad(E::Version));
        }
        if version == 0 && b.len() != LEN {
            return Err(bad(E::Length));
        }
        if b.len() > LEN && b[LEN] != b'-' {
            return Err(bad(E::Format));
        }
        let trace_id = hex_decode::<16>(&b[3..35]).ok_or(bad(E::NotLowerHex))?;
        let span_id = hex_decode::<8>(&b[36..52]).ok_or(bad(E::NotLowerHex))?;
        let flags = hex_decode::<1>(&b[53..55]).ok_or(bad(E::NotLowerHex))?[0];
        if trace_id == [0; 16] {
            return Err(bad(E::ZeroTraceId));
        }
        if span_id == [0; 8] {
            return Err(bad(E::ZeroParentId));
        }
        Ok(TraceParent {
            trace_id,
            span_id,
            flags,
        })
    }

    /// The 16-byte trace id.
    #[must_use]
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The 8-byte id of the caller's span (`parent-id` in the header).
    #[must_use]
    pub fn span_id(&self) -> [u8; 8] {
        self.span_id
    }

    /// The trace flags (bit 0: sampled).
    #[must_use]
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// The trace id as 32 lowercase hex digits, as OTLP/JSON writes it.
    #[must_use]
    pub fn trace_id_hex(&self) -> String {
        let mut out = [0; 32];
        hex_encode(&self.trace_id, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The span id as 16 lowercase hex digits, as OTLP/JSON writes it.
    #[must_use]
    pub fn span_id_hex(&self) -> String {
        let mut out = [0; 16];
        hex_encode(&self.span_id, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl TraceParent {
    /// The `traceparent` of a call this service makes on behalf of the
    /// request: the same trace and flags, a new span id (the next service's
    /// parent), so that it continues the trace.
    #[must_use]
    pub fn next_hop(&self) -> TraceParent {
        let mut span_id = [0; 8];
        while span_id == [0; 8] {
            span_id.copy_from_slice(&random_u128().to_le_bytes()[..8]);
        }
        TraceParent { span_id, ..*self }
    }
}

/// `fork()`s this process has seen in its line: a child counts one more
/// than its parent (the handler [`watch_forks`] registers), and a
/// generator seeded at another count than the current one is seeded
/// again.
static FORKS: AtomicU64 = AtomicU64::new(0);

/// A thread's generator: two wyrand streams (a Weyl sequence, each value
/// folded through a 128-bit multiplication), seeded apart. Two threads'
/// ids repeat only where both of their streams are the same number of
/// steps apart, fewer than the ids made: about one chance in 2^128 per
/// id, where a single 64-bit stream would give one in 2^64.
#[derive(Clone, Copy)]
struct Generator {
    state: [u64; 2],
    /// [`FORKS`] when it was seeded.
    forks: u64,
}

/// wyrand's increment and mixing constant for each stream (the second
/// pair from wyhash's secrets); the increments are odd, so each stream
/// passes through every 64-bit state.
const STREAMS: [(u64, u64); 2] = [
    (0xa076_1d64_78bd_642f, 0xe703_7ed1_a0b4_28db),
    (0x8ebc_6af0_9c88_c6e3, 0x5899_65cc_7537_4cc3),
];

impl Generator {
    fn seeded(forks: u64) -> Generator {
        watch_forks();
        Generator {
            state: seed(),
            forks,
        }
    }

    fn next(&mut self) -> u128 {
        let mut out = 0;
        for (state, (increment, mix)) in self.state.iter_mut().zip(STREAMS) {
            *state = state.wrapping_add(increment);
            let t = u128::from(*state) * u128::from(*state ^ mix);
            let folded = (t >> 64) as u64 ^ t as u64;
            out = out << 64 | u128::from(folded);
        }
        out
    }
}

thread_local! {
    static GENERATOR: Cell<Option<Generator>> = const { Cell::new(None) };
}

/// 128 random bits from this thread's generator.
fn random_u128() -> u128 {
    let forks = FORKS.load(Ordering::Relaxed);
    GENERATOR
        .try_with(|cell| {
            let mut generator = match cell.get() {
                Some(g) if g.forks == forks => g,
                _ => Generator::seeded(forks),
            };
            let bits = generator.next();
            cell.set(Some(generator));
            bits
        })
        // In a thread-local destructor, after this one's: a generator for
        // the one call.
        .unwrap_or_else(|_| Generator::seeded(forks).next())
}

/// 128 bits from the operating system: `getrandom` on Linux; elsewhere,
/// or where it fails (before the kernel's pool is ready), std's hasher
/// keys (the operating system's randomness, drawn once per thread) mixed
/// with the process id and the time, which differ in a child after
/// `fork()` that copied the keys.
fn seed() -> [u64; 2] {
    #[cfg(any(
        all(target_os = "linux", any(target_env = "gnu", target_env = "musl")),
        target_os = "android"
    ))]
    {
        let mut seed = [0u64; 2];
        let len = std::mem::size_of_val(&seed);
        // SAFETY: `seed` is valid for writes of its `len` bytes, which
        // `getrandom` writes at most, and any bytes are valid `u64`s.
        let n = unsafe { libc::getrandom(seed.as_mut_ptr().cast(), len, libc::GRND_NONBLOCK) };
        if usize::try_from(n) == Ok(len) {
            return seed;
        }
    }
    seed_from_std()
}

/// std's hasher keys (see [`seed`]) mixed with the process id and the time.
fn seed_from_std() -> [u64; 2] {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    [0u8, 1].map(|stream| {
        let mut h = RandomState::new().build_hasher();
        h.write_u8(stream);
        h.write_u32(std::process::id());
        h.write_u128(now);
        h.finish()
    })
}

/// Registers, once per process (a child inherits it), the `fork()` handler
/// that makes a child's generators seed again.
#[cfg(unix)]
fn watch_forks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        extern "C" fn child() {
            FORKS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the handler is an `extern "C" fn()` that lives as long
        // as the program, cannot unwind, and makes one async-signal-safe
        // call (an atomic add).
        let _ = unsafe { libc::pthread_atfork(None, None, Some(child)) };
    });
}

/// No `fork()` elsewhere than Unix.
#[cfg(not(unix))]
fn watch_forks() {}

impl fmt::Display for TraceParent {
    /// The version-00 header value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            self.trace_id_hex(),
            self.span_id_hex(),
            self.flags
        )
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceParent({self})")
    }
}

/// Writes `bytes` as lowercase hex digits into `out` (twice as long).
pub(crate) fn hex_encode(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
}

/// Lowercase hex only: the specification forbids uppercase.
fn hex_decode<const N: usize>(hex: &[u8]) -> Option<[u8; N]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    if hex.len() != 2 * N {
        return None;
    }
    let mut out = [0; N];
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *o = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// Why an incoming request id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseRequestIdError {
    /// The header value is empty (or only whitespace).
    Empty,
    /// The value is longer than [`MAX_HEADER_LEN`] bytes (its length).
    TooLong(usize),
    /// The byte at this offset is not visible ASCII.
    InvalidChar(usize),
    /// The `traceparent` is malformed.
    TraceParent(TraceParentError),
}

/// What is wrong with a `traceparent` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceParentError {
    /// Too short, or longer than version `00` allows.
    Length,
    /// The fields are not separated by `-` where they must be.
    Format,
    /// A field holds something other than lowercase hex digits.
    NotLowerHex,
    /// Version `ff`, which the specification declares invalid.
    Version,
    /// The trace id is all zeros.
    ZeroTraceId,
    /// The parent id is all zeros.
    ZeroParentId,
}

impl fmt::Display for ParseRequestIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseRequestIdError::Empty => f.write_str("empty request id"),
            ParseRequestIdError::TooLong(n) => {
                write!(f, "request id of {n} bytes, longer than {MAX_HEADER_LEN}")
            }
            ParseRequestIdError::InvalidChar(at) => {
                write!(
                    f,
                    "request id holds a character other than visible ASCII at byte {at}"
                )
            }
            ParseRequestIdError::TraceParent(e) => write!(f, "invalid traceparent: {e}"),
        }
    }
}

impl fmt::Display for TraceParentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceParentError::Length => "wrong length",
            TraceParentError::Format => "fields not separated by `-`",
            TraceParentError::NotLowerHex => "not lowercase hex",
            TraceParentError::Version => "version ff is invalid",
            TraceParentError::ZeroTraceId => "all-zero trace id",
            TraceParentError::ZeroParentId => "all-zero parent id",
        })
    }
}

impl Error for ParseRequestIdError {}

#[cfg(test)]
mod tests {
    use super::{ParseRequestIdError as P, RequestId, TraceParentError as T};

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn new_ids_are_uuid_v4() {
        let a = RequestId::new();
        let b = RequestId::new();
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(a.as_str()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(a.as_str(), parsed.hyphenated().to_string());
        assert!(a.trace_parent().is_none());
    }

    /// A million ids from 8 threads at once: every one a version-4 UUID of
    /// the RFC 4122 variant, and no two alike.
    #[test]
    fn a_million_ids_from_eight_threads_are_distinct() {
        const THREADS: usize = 8;
        const EACH: usize = 125_000;
        let barrier = std::sync::Barrier::new(THREADS);
        let mut all: Vec<u128> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..THREADS)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        (0..EACH)
                            .map(|_| {
                                let id = RequestId::new();
                                let u = uuid::Uuid::parse_str(id.as_str()).unwrap();
                                assert_eq!(id.as_str()[14..15], *"4", "{id}");
                                assert!(
                                    matches!(&id.as_str()[19..20], "8" | "9" | "a" | "b"),
                                    "{id}"
                                );
                                assert_eq!(u.get_version_num(), 4);
                                assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
                                u.as_u128()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), THREADS * EACH);
    }

    /// The seed where the operating system's call is missing or fails:
    /// each draw differs, and so do its two streams.
    #[test]
    fn seeds_from_std_differ() {
        let seeds: std::collections::HashSet<u64> =
            (0..100).flat_map(|_| super::seed_from_std()).collect();
        assert_eq!(seeds.len(), 200);
    }

    #[test]
    fn next_hop_keeps_the_trace_with_a_new_span() {
        let tp = *RequestId::from_traceparent(TP)
            .unwrap()
            .trace_parent()
            .unwrap();
        let hops: std::collections::HashSet<[u8; 8]> = (0..1000)
            .map(|_| {
                let next = tp.next_hop();
                assert_eq!(next.trace_id(), tp.trace_id());
                assert_eq!(next.flags(), tp.flags());
                assert_ne!(next.span_id(), [0; 8]);
                next.span_id()
            })
            .collect();
        assert_eq!(hops.len(), 1000);
        assert!(!hops.contains(&tp.span_id()));
    }

    #[test]
    fn x_request_id_is_validated() {
        assert_eq!(RequestId::from_header(" abc-1 ").unwrap().as_str(), "abc-1");
        assert_eq!(RequestId::from_header(""), Err(P::Empty));
        assert_eq!(RequestId::from_header(" \t "), Err(P::Empty));
        let long = "a".repeat(super::MAX_HEADER_LEN);
        assert!(RequestId::from_header(&long).is_ok());
        let longer = "a".repeat(super::MAX_HEADER_LEN + 1);
        assert_eq!(RequestId::from_header(&longer), Err(P::TooLong(201)));
        assert_eq!(RequestId::from_header("a\nb"), Err(P::InvalidChar(1)));
        assert_eq!(
            RequestId::from_header("a\u{1b}[31m"),
            Err(P::InvalidChar(1))
        );
        assert_eq!(RequestId::from_header("a b"), Err(P::InvalidChar(1)));
        assert_eq!(RequestId::from_header("é"), Err(P::InvalidChar(0)));
        assert_eq!(RequestId::from_header("a\u{202e}"), Err(P::InvalidChar(1)));
        assert_eq!(RequestId::from_header("a\u{7f}"), Err(P::InvalidChar(1)));
    }

    #[test]
    fn traceparent_keeps_trace_and_span_ids() {
        let id = RequestId::from_traceparent(TP).unwrap();
        let tp = id.trace_parent().unwrap();
        assert_eq!(id.as_str(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.span_id_hex(), "00f067aa0ba902b7");
        assert_eq!(
            tp.span_id(),
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        assert_eq!(tp.trace_id()[0], 0x4b);
        assert_eq!(tp.flags(), 1);
        assert_eq!(tp.to_string(), TP);
    }

    #[test]
    fn traceparent_is_validated() {
        let err = |s: &str| RequestId::from_traceparent(s).unwrap_err();
        let tp = |e| P::TraceParent(e);
        assert_eq!(err(&TP.to_uppercase()), tp(T::NotLowerHex));
        assert_eq!(err(&TP.replace("4bf9", "4BF9")), tp(T::NotLowerHex));
        assert_eq!(err(&TP.replacen("00", "ff", 1)), tp(T::Version));
        assert_eq!(
            err("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            tp(T::ZeroTraceId)
        );
        assert_eq!(
            err("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"),
            tp(T::ZeroParentId)
        );
        assert_eq!(err(&TP[..54]), tp(T::Length));
        assert_eq!(err(&format!("{TP}-extra")), tp(T::Length));
        assert_eq!(err(&TP.replace('-', "_")), tp(T::Format));
        assert_eq!(err(&TP.replacen("4bf9", "4bg9", 1)), tp(T::NotLowerHex));
        // A later version may append fields after a `-`.
        let v1 = format!("01{}-what-comes-next", &TP[2..]);
        assert_eq!(
            RequestId::from_traceparent(&v1).unwrap().as_str(),
            &TP[3..35]
        );
        assert_eq!(err(&format!("01{}x", &TP[2..])), tp(T::Format));
    }

    #[test]
    fn headers_prefer_the_upstream_id_and_keep_the_trace() {
        let id = RequestId::from_headers(Some("req-1"), Some(TP));
        assert_eq!(id.as_str(), "req-1");
        assert_eq!(id.trace_parent().unwrap().to_string(), TP);
        let id = RequestId::from_headers(None, Some(TP));
        assert_eq!(id.as_str(), &TP[3..35]);
        let id = RequestId::from_headers(Some("bad\nid"), Some("garbage"));
        assert!(uuid::Uuid::parse_str(id.as_str()).is_ok());
        assert!(id.trace_parent().is_none());
    }
}
