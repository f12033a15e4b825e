//! Timestamps: a raw counter read at the call site, turned into wall-clock
//! time and rendered on the writer.
//!
//! The call site reads the CPU's invariant time-stamp counter through
//! `quanta` (one `rdtsc`: 9 ns a read on the benchmark machine, against
//! 34 ns for `SystemTime::now`; `quanta` falls back to the monotonic clock
//! where there is no usable counter, and calibrates once, in about 1 ms, when
//! the logger is installed). The thread that formats a record converts the
//! stamp with an anchor, a (stamp, wall time) pair read together, which it
//! renews every second so that the counter's calibration error cannot
//! accumulate.

use std::cell::Cell;
use std::io::Write as _;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

fn clock() -> &'static quanta::Clock {
    static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

/// Calibrates the counter now rather than in the first log call.
pub(crate) fn warm_up() {
    let _ = clock();
}

/// A raw timestamp for the record being built.
#[inline]
pub(crate) fn stamp() -> u64 {
    clock().raw()
}

/// Nanoseconds since the Unix epoch (0 for a clock set before 1970).
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// How long an anchor is trusted.
const ANCHOR_NS: u64 = 1_000_000_000;

thread_local! {
    /// `(stamp, wall ns)` read together, per converting thread.
    static ANCHOR: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
}

/// Converts a [`stamp`] to nanoseconds since the Unix epoch.
pub(crate) fn wall_ns(stamp: u64) -> u64 {
    let clock = clock();
    match ANCHOR.try_with(Cell::get).ok().flatten() {
        // The common case, with one conversion of the counter's delta.
        Some((at, wall)) if stamp >= at => {
            let delta = clock.delta_as_nanos(at, stamp);
            if delta < ANCHOR_NS {
                return wall.saturating_add(delta);
            }
        }
        Some((at, wall)) => return wall.saturating_sub(clock.delta_as_nanos(stamp, at)),
        None => {}
    }
    let (at, wall) = (clock.raw(), now_ns());
    let _ = ANCHOR.try_with(|a| a.set(Some((at, wall))));
    if stamp >= at {
        wall.saturating_add(clock.delta_as_nanos(at, stamp))
    } else {
        wall.saturating_sub(clock.delta_as_nanos(stamp, at))
    }
}

/// Renders timestamps, formatting the date and time of day once per second.
#[derive(Debug, Clone)]
pub(crate) struct TimeFormat {
    /// `None`: ISO 8601 in UTC with microseconds and `Z`.
    datefmt: Option<String>,
    /// Whether `datefmt` output depends only on the whole second.
    cacheable: bool,
    cached_sec: Option<u64>,
    /// `cached_sec` in nanoseconds.
    cached_start: u64,
    cached: Vec<u8>,
    /// `cached` as an array when it is 19 bytes (ISO 8601 up to the
    /// seconds), copied with one fixed-size move.
    iso: [u8; 19],
}

/// `00` to `99`.
static DIGITS2: [[u8; 2]; 100] = {
    let mut t = [[0; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

impl TimeFormat {
    /// Checks a strftime format (as Python's `datefmt`).
    pub(crate) fn new(datefmt: Option<String>) -> Result<TimeFormat, String> {
        if let Some(f) = &datefmt {
            jiff::fmt::strtime::format(f, jiff::Timestamp::UNIX_EPOCH)
                .map_err(|e| format!("invalid datefmt `{f}`: {e}"))?;
        }
        let cacheable = datefmt.as_deref().is_none_or(|f| !f.contains('f'));
        Ok(TimeFormat {
            datefmt,
            cacheable,
            cached_sec: None,
            cached_start: 0,
            cached: Vec::new(),
            iso: [0; 19],
        })
    }

    /// Appends the rendered timestamp (no quotes, no escaping needed: the
    /// output of a valid strftime format is checked to be plain text).
    pub(crate) fn write(&mut self, time_ns: u64, out: &mut Vec<u8>) {
        match &self.datefmt {
            None => {
                // Within the cached second, no division is needed.
                let mut nanos = time_ns.wrapping_sub(self.cached_start);
                if nanos >= 1_000_000_000 || self.cached_sec.is_none() {
                    let sec = time_ns / 1_000_000_000;
                    self.cached.clear();
                    let ts = timestamp(sec, 0);
                    let _ = write!(self.cached, "{}", ts.strftime("%Y-%m-%dT%H:%M:%S"));
                    self.cached_sec = Some(sec);
                    self.cached_start = sec * 1_000_000_000;
                    nanos = time_ns - self.cached_start;
                    // Years 1970 to 9999: always 19 bytes.
                    if let Ok(iso) = <[u8; 19]>::try_from(&self.cached[..]) {
                        self.iso = iso;
                    }
                }
                if self.cached.len() == 19 {
                    out.extend_from_slice(&self.iso);
                } else {
                    out.extend_from_slice(&self.cached);
                }
                // `.uuuuuuZ` in one copy, two digits at a time.
                let micros = (nanos / 1000) as usize;
                let mut tail = [b'.', 0, 0, 0, 0, 0, 0, b'Z'];
                tail[1..3].copy_from_slice(&DIGITS2[micros / 10_000]);
                tail[3..5].copy_from_slice(&DIGITS2[micros / 100 % 100]);
                tail[5..7].copy_from_slice(&DIGITS2[micros % 100]);
                out.extend_from_slice(&tail);
            }
            Some(f) => {
                let sec = time_ns / 1_000_000_000;
                let nanos = (time_ns % 1_000_000_000) as u32;
                if !self.cacheable || self.cached_sec != Some(sec) {
                    self.cached.clear();
                    let ts = timestamp(sec, nanos);
                    let _ = write!(self.cached, "{}", ts.strftime(f));
                    self.cached_sec = Some(sec);
                }
                out.extend_from_slice(&self.cached);
            }
        }
    }
}

fn timestamp(sec: u64, nanos: u32) -> jiff::Timestamp {
    let sec = i64::try_from(sec).unwrap_or(i64::MAX);
    jiff::Timestamp::new(sec, i32::try_from(nanos).unwrap_or(0))
        .or_else(|_| jiff::Timestamp::new(sec, 0))
        .unwrap_or(jiff::Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_convert_to_the_wall_clock() {
        let before = now_ns();
        let s = stamp();
        let after = now_ns();
        let wall = wall_ns(s);
        // The conversion error is the counter's calibration error over at
        // most a second plus the anchor's read skew: far below 5 ms.
        assert!(wall + 5_000_000 >= before && wall <= after + 5_000_000);
        // Later stamps convert to later times, earlier ones to earlier.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let later = wall_ns(stamp());
        assert!(later >= wall + 15_000_000, "{later} vs {wall}");
        assert_eq!(wall_ns(s), wall);
    }

    fn render(f: &mut TimeFormat, ns: u64) -> String {
        let mut out = Vec::new();
        f.write(ns, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn iso_with_micros_in_utc() {
        let mut f = TimeFormat::new(None).unwrap();
        // 2026-04-09T10:15:30.123456789Z
        let ns = 1_775_729_730_123_456_789;
        assert_eq!(render(&mut f, ns), "2026-04-09T10:15:30.123456Z");
        assert_eq!(render(&mut f, ns + 1_000), "2026-04-09T10:15:30.123457Z");
        assert_eq!(
            render(&mut f, ns + 1_000_000_000),
            "2026-04-09T10:15:31.123456Z"
        );
        assert_eq!(render(&mut f, 0), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn strftime_datefmt() {
        let mut f = TimeFormat::new(Some("%d/%m/%Y %H:%M:%S".into())).unwrap();
        assert_eq!(
            render(&mut f, 1_775_729_730_123_456_789),
            "09/04/2026 10:15:30"
        );
        let mut f = TimeFormat::new(Some("%H:%M:%S%.3f".into())).unwrap();
        assert_eq!(render(&mut f, 1_775_729_730_123_456_789), "10:15:30.123");
        assert_eq!(render(&mut f, 1_775_729_730_987_456_789), "10:15:30.987");
        assert!(
            TimeFormat::new(Some("%Y %".into()))
                .unwrap_err()
                .contains("invalid datefmt")
        );
    }
}
