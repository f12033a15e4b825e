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

/// The one table of level names: [`Level`]'s `FromStr`, the filter
/// directives (`crate::filter`, which adds `off`) and `#[logged(level =
/// "..")]` all read it, so they accept the same names and their errors list
/// the same ones.
///
/// The macro crate cannot depend on this crate (this crate depends on it),
/// so `#[logged]` does not check the name itself: it expands to a `const`
/// that evaluates `Level::__from_name` on the user's literal, spanned at
/// that literal, and a name not in this table is a compile error there,
/// with `Level::__UNKNOWN_NAME` as its message.
///
/// `fatal` is accepted for `critical` everywhere (as other loggers spell
/// it); names are matched case-insensitively.
macro_rules! names {
    ($first:literal => $first_level:ident $(, $name:literal => $level:ident)* $(,)?) => {
        pub(crate) const NAMES: &[(&str, Level)] = &[
            ($first, Level::$first_level) $(, ($name, Level::$level))*
        ];
        /// The names of `NAMES`, as error messages list them.
        pub(crate) const EXPECTED: &str = concat!("`", $first, "`" $(, ", `", $name, "`")*);

        impl Level {
            /// What `#[logged(level = "..")]` reports for a name that
            /// `Level::__from_name` does not know. Not public API.
            #[doc(hidden)]
            pub const __UNKNOWN_NAME: &str = concat!(
                "unknown level: expected one of `", $first, "`" $(, ", `", $name, "`")*,
                " (in any case)"
            );
        }
    };
}

names! {
    "trace" => Trace,
    "debug" => Debug,
    "info" => Info,
    "warn" => Warning,
    "warning" => Warning,
    "error" => Error,
    "critical" => Critical,
    "fatal" => Critical,
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

    /// The level a name of the level table stands for, in any case; `None` for
    /// any other name. Not public API: `#[logged(level = "..")]` evaluates it
    /// in a `const`.
    #[doc(hidden)]
    #[must_use]
    pub const fn __from_name(name: &str) -> Option<Level> {
        let mut i = 0;
        while i < NAMES.len() {
            let (known, level) = NAMES[i];
            if known.as_bytes().eq_ignore_ascii_case(name.as_bytes()) {
                return Some(level);
            }
            i += 1;
        }
        None
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
        write!(f, "unknown level `{}`: expected one of {EXPECTED}", self.0)
    }
}

impl std::error::Error for ParseLevelError {}

impl FromStr for Level {
    type Err = ParseLevelError;

    /// A name of the level table, in any case, surrounding whitespace
    /// ignored: Python's names (`warning`, `critical`), the Rust ones
    /// (`warn`), and `fatal` for `critical`.
    fn from_str(s: &str) -> Result<Level, ParseLevelError> {
        Level::__from_name(s.trim()).ok_or_else(|| ParseLevelError(s.to_owned()))
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

    /// The names an error lists, from its message.
    fn listed(message: &str) -> Vec<&str> {
        let list = message.split("expected one of ").nth(1).unwrap();
        let list = list.split(" (").next().unwrap();
        list.split(", ").map(|n| n.trim_matches('`')).collect()
    }

    #[test]
    fn every_name_of_the_table_parses_in_any_case() {
        for &(name, level) in NAMES {
            assert_eq!(name.parse::<Level>(), Ok(level), "{name}");
            assert_eq!(name.to_uppercase().parse::<Level>(), Ok(level), "{name}");
            assert_eq!(format!(" {name}\t").parse::<Level>(), Ok(level), "{name}");
            assert_eq!(Level::__from_name(name), Some(level), "{name}");
        }
        assert_eq!("fatal".parse::<Level>(), Ok(Level::Critical));
        assert_eq!("off".parse::<Level>(), Err(ParseLevelError("off".into())));
        assert_eq!(Level::__from_name(" info"), None);
    }

    #[test]
    fn errors_list_exactly_the_names_that_parse() {
        let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).collect();
        let err = "verbose".parse::<Level>().unwrap_err().to_string();
        assert!(err.starts_with("unknown level `verbose`: "), "{err}");
        assert_eq!(listed(&err), names);
        assert_eq!(listed(Level::__UNKNOWN_NAME), names);
        for name in listed(&err) {
            assert!(name.parse::<Level>().is_ok(), "{name}");
        }
    }

    #[test]
    fn names_resolve_at_compile_time() {
        const FATAL: Option<Level> = Level::__from_name("FaTaL");
        assert_eq!(FATAL, Some(Level::Critical));
    }
}
