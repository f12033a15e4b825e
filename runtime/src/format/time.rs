//! Rendering timestamps (ISO 8601 or a `datefmt`), with the date and time
//! of day formatted once per second. Reading the clock is [`crate::clock`]'s.

use std::io::Write as _;

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
    #[inline]
    pub(crate) fn write(&mut self, time_ns: u64, out: &mut Vec<u8>) {
        // Within the cached second, no division is needed.
        let nanos = time_ns.wrapping_sub(self.cached_start);
        if self.datefmt.is_some() || nanos >= 1_000_000_000 || self.cached.len() != 19 {
            self.write_other(time_ns, out);
            return;
        }
        out.extend_from_slice(&iso_line(&self.iso, nanos));
    }

    /// A new second, a year past 9999, or a `datefmt`: out of line, so
    /// that the ISO time within the cached second, the common case of the
    /// JSON and text formats, keeps a small frame.
    #[inline(never)]
    fn write_other(&mut self, time_ns: u64, out: &mut Vec<u8>) {
        let sec = time_ns / 1_000_000_000;
        match &self.datefmt {
            None => {
                if self.cached_sec != Some(sec) {
                    self.cached.clear();
                    let ts = timestamp(sec, 0);
                    let _ = write!(self.cached, "{}", ts.strftime("%Y-%m-%dT%H:%M:%S"));
                    self.cached_sec = Some(sec);
                    self.cached_start = sec * 1_000_000_000;
                    // Years 1970 to 9999: always 19 bytes.
                    if let Ok(iso) = <[u8; 19]>::try_from(&self.cached[..]) {
                        self.iso = iso;
                    }
                }
                let nanos = time_ns - self.cached_start;
                if self.cached.len() == 19 {
                    out.extend_from_slice(&iso_line(&self.iso, nanos));
                } else {
                    out.extend_from_slice(&self.cached);
                    out.extend_from_slice(&iso_line(&self.iso, nanos)[19..]);
                }
            }
            Some(f) => {
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

/// The ISO 8601 time: `iso`, the date and time to the second, then
/// `.uuuuuuZ` for `nanos` into that second, two digits at a time; built
/// whole and copied with one fixed-size move.
#[inline]
fn iso_line(iso: &[u8; 19], nanos: u64) -> [u8; 27] {
    let micros = (nanos / 1000) as usize;
    let mut line = [0; 27];
    line[..19].copy_from_slice(iso);
    line[19] = b'.';
    line[20..22].copy_from_slice(&DIGITS2[micros / 10_000]);
    line[22..24].copy_from_slice(&DIGITS2[micros / 100 % 100]);
    line[24..26].copy_from_slice(&DIGITS2[micros % 100]);
    line[26] = b'Z';
    line
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
        // Back and forth across the cached second, as clocks of two
        // threads' records may go.
        assert_eq!(
            render(&mut f, ns + 999_999_999),
            "2026-04-09T10:15:31.123456Z"
        );
        assert_eq!(
            render(&mut f, ns - 123_456_790),
            "2026-04-09T10:15:29.999999Z"
        );
        assert_eq!(
            render(&mut f, ns - 123_456_789),
            "2026-04-09T10:15:30.000000Z"
        );
        assert_eq!(
            render(&mut f, ns + 876_543_210),
            "2026-04-09T10:15:30.999999Z"
        );
        assert_eq!(render(&mut f, 999), "1970-01-01T00:00:00.000000Z");
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
