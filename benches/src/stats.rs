//! What one child process measures, and how the driver reads it back.

use crate::clock::Clock;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Per-call latencies in raw ticks (clock overhead not yet subtracted).
#[derive(Debug, Clone)]
pub struct Latencies {
    hist: Histogram<u64>,
    sum: u128,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies::new()
    }
}

impl Latencies {
    /// An empty histogram covering 1 tick to about 6 minutes at 3 GHz, with
    /// three significant digits.
    #[must_use]
    pub fn new() -> Latencies {
        Latencies {
            hist: Histogram::new_with_bounds(1, 1 << 40, 3).expect("valid histogram bounds"),
            sum: 0,
        }
    }

    /// Records one sample.
    #[inline]
    pub fn record(&mut self, ticks: u64) {
        self.hist.saturating_record(ticks.max(1));
        self.sum += u128::from(ticks);
    }

    /// Adds another thread's samples.
    pub fn merge(&mut self, other: &Latencies) {
        self.hist.add(&other.hist).expect("same histogram bounds");
        self.sum += other.sum;
    }

    /// Number of samples.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// Summary in nanoseconds, clock overhead subtracted.
    #[must_use]
    pub fn summary(&self, clock: &Clock) -> BTreeMap<&'static str, f64> {
        let net = |t: u64| clock.ns(t.saturating_sub(clock.overhead) as f64);
        let mut m = BTreeMap::new();
        if self.is_empty() {
            return m;
        }
        let mean = self.sum as f64 / self.len() as f64 - clock.overhead as f64;
        m.insert("mean_ns", clock.ns(mean.max(0.0)));
        m.insert("p50_ns", net(self.hist.value_at_quantile(0.5)));
        m.insert("p99_ns", net(self.hist.value_at_quantile(0.99)));
        m.insert("p999_ns", net(self.hist.value_at_quantile(0.999)));
        m.insert("max_ns", net(self.hist.max()));
        m
    }
}

/// Peak resident set size of this process in KiB (`VmHWM`), if the platform
/// reports it.
#[must_use]
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Prefix of the one line a child prints with its figures.
pub const RESULT_PREFIX: &str = "RESULT";

/// Renders figures as the child's result line: `RESULT key=value …`.
#[must_use]
pub fn result_line(figures: &BTreeMap<&'static str, f64>) -> String {
    let mut s = String::from(RESULT_PREFIX);
    for (k, v) in figures {
        let _ = write!(s, " {k}={v}");
    }
    s
}

/// Parses a child's output; `None` if it printed no result line.
#[must_use]
pub fn parse_result(stdout: &str) -> Option<BTreeMap<String, f64>> {
    let line = stdout.lines().find_map(|l| l.strip_prefix(RESULT_PREFIX))?;
    let mut m = BTreeMap::new();
    for kv in line.split_whitespace() {
        let (k, v) = kv.split_once('=')?;
        m.insert(k.to_owned(), v.parse().ok()?);
    }
    Some(m)
}

/// Median and range of a set of runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Median (mean of the two middle values for an even count).
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Spread {
    /// `None` for an empty set.
    #[must_use]
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[mid]
        } else {
            f64::midpoint(v[mid - 1], v[mid])
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[v.len() - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_range() {
        let s = Spread::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 5.0));
        let s = Spread::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn result_line_round_trips() {
        let mut m = BTreeMap::new();
        m.insert("mean_ns", 12.5);
        m.insert("lines", 1000.0);
        let out = format!("noise\n{}\n", result_line(&m));
        let back = parse_result(&out).unwrap();
        assert_eq!(back["mean_ns"], 12.5);
        assert_eq!(back["lines"], 1000.0);
        assert_eq!(parse_result("nothing here"), None);
    }

    #[test]
    fn summary_subtracts_clock_overhead() {
        let clock = Clock {
            ticks_per_ns: 2.0,
            overhead: 10,
        };
        let mut l = Latencies::new();
        for t in [30, 30, 30, 50] {
            l.record(t);
        }
        let s = l.summary(&clock);
        assert_eq!(s["p50_ns"], 10.0);
        assert_eq!(s["max_ns"], 20.0);
        assert_eq!(s["mean_ns"], 12.5);
    }
}
