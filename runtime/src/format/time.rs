//! Timestamps: read as nanoseconds at the call site, rendered on the writer.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch (0 for a clock set before 1970).
#[inline]
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Renders timestamps, formatting the date and time of day once per second.
#[derive(Debug, Clone)]
pub(crate) struct TimeFormat {
    /// `None`: ISO 8601 in UTC with microseconds and `Z`.
    datefmt: Option<String>,
    /// Whether `datefmt` output depends only on the whole second.
    cacheable: bool,
    cached_sec: Option<u64>,
    cached: Vec<u8>,
}

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
            cached: Vec::new(),
        })
    }

    /// Appends the rendered timestamp (no quotes, no escaping needed: the
    /// output of a valid strftime format is checked to be plain text).
    pub(crate) fn write(&mut self, time_ns: u64, out: &mut Vec<u8>) {
        let sec = time_ns / 1_000_000_000;
        let nanos = (time_ns % 1_000_000_000) as u32;
        match &self.datefmt {
            None => {
                if self.cached_sec != Some(sec) {
                    self.cached.clear();
                    let ts = timestamp(sec, 0);
                    let _ = write!(self.cached, "{}", ts.strftime("%Y-%m-%dT%H:%M:%S"));
                    self.cached_sec = Some(sec);
                }
                out.extend_from_slice(&self.cached);
                let micros = nanos / 1000;
                let mut digits = [b'0'; 6];
                let mut n = micros;
                for d in digits.iter_mut().rev() {
                    *d = b'0' + (n % 10) as u8;
                    n /= 10;
                }
                out.push(b'.');
                out.extend_from_slice(&digits);
                out.push(b'Z');
            }
            Some(f) => {
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
