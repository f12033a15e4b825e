//! Severity levels, numbered as in Python's `logging`.

use std::fmt;
use std::str::FromStr;

/// The severity of an event. The numbers are Python's, so that dashboards and
/// alert rules written for Python services keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Very fine-grained tracing (5).
    Trace = 5,
    /// Diagnostic detail (10).
    Debug = 10,
    /// Normal operation (20).
    Info = 20,
    /// Something unexpected that the program handled (30).
    Warning = 30,
    /// An operation failed (40).
    Error = 40,
    /// The program may not be able to go on (50).
    Critical = 50,
}

impl Level {
    /// All levels, lowest first.
    pub const ALL: [Level; 6] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warning,
        Level::Error,
        Level::Critical,
    ];

    /// The name written in output: `TRACE`, `DEBUG`, `INFO`, `WARNING`,
    /// `ERROR`, `CRITICAL`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Critical => "CRITICAL",
        }
    }

    /// Python's number for the level (`levelno`).
    #[must_use]
    pub const fn number(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_number(n: u8) -> Level {
        match n {
            0..=5 => Level::Trace,
            6..=10 => Level::Debug,
            11..=20 => Level::Info,
            21..=30 => Level::Warning,
            31..=40 => Level::Error,
            _ => Level::Critical,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A level name that is not one of pulselog's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError(pub(crate) String);

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown level `{}`: expected one of trace, debug, info, warn, warning, error, critical, off",
            self.0
        )
    }
}

impl std::error::Error for ParseLevelError {}

impl FromStr for Level {
    type Err = ParseLevelError;

    /// Case-insensitive; accepts Python's names (`warning`, `critical`) and
    /// the Rust ones (`warn`), plus `fatal` for `critical`.
    fn from_str(s: &str) -> Result<Level, ParseLevelError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trace" => Ok(Level::Trace),
            "debug" => Ok(Level::Debug),
            "info" => Ok(Level::Info),
            "warn" | "warning" => Ok(Level::Warning),
            "error" => Ok(Level::Error),
            "critical" | "fatal" => Ok(Level::Critical),
            _ => Err(ParseLevelError(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_are_pythons() {
        let pairs: Vec<_> = Level::ALL
            .iter()
            .map(|l| (l.as_str(), l.number()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("TRACE", 5),
                ("DEBUG", 10),
                ("INFO", 20),
                ("WARNING", 30),
                ("ERROR", 40),
                ("CRITICAL", 50)
            ]
        );
        for l in Level::ALL {
            assert_eq!(Level::from_number(l.number()), l);
            assert_eq!(l.as_str().parse::<Level>(), Ok(l));
            assert_eq!(l.as_str().to_lowercase().parse::<Level>(), Ok(l));
        }
        assert_eq!("WaRn".parse::<Level>(), Ok(Level::Warning));
        assert!(
            "verbose"
                .parse::<Level>()
                .unwrap_err()
                .to_string()
                .contains("verbose")
        );
        assert_eq!(format!("{:<8}|", Level::Info), "INFO    |");
    }
}
