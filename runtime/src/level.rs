//! Severity levels, numbered as in Python's `logging`, and the thresholds
//! built on them.

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

/// The one table of level names: [`Level`]'s `FromStr`, [`LevelFilter`]'s
/// and the filter directives (`crate::filter`), which add [`OFF_NAMES`], and
/// `#[logged(level = "..")]` all read it, so they accept the same names and
/// their errors list the same ones.
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

/// The names of [`LevelFilter::Off`], in any case, after the level table's.
pub(crate) const OFF_NAMES: [&str; 2] = ["off", "none"];

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

/// A level name that is not one of pulselog's (for a [`LevelFilter`], nor
/// `off` or `none`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError {
    name: String,
    /// Whether `off` and `none` were accepted too, and so are listed.
    off: bool,
}

impl ParseLevelError {
    fn new(name: &str, off: bool) -> ParseLevelError {
        ParseLevelError {
            name: name.to_owned(),
            off,
        }
    }
}

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown level `{}`: expected one of {EXPECTED}",
            self.name
        )?;
        if self.off {
            for name in OFF_NAMES {
                write!(f, ", `{name}`")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ParseLevelError {}

impl FromStr for Level {
    type Err = ParseLevelError;

    /// A name of the level table, in any case, surrounding whitespace
    /// ignored: Python's names (`warning`, `critical`), the Rust ones
    /// (`warn`), and `fatal` for `critical`.
    fn from_str(s: &str) -> Result<Level, ParseLevelError> {
        Level::__from_name(s.trim()).ok_or_else(|| ParseLevelError::new(s, false))
    }
}

/// A threshold: the least severe [`Level`] that passes, or `Off` for
/// nothing. What [`Config::default_level`], [`Config::module_level`] and
/// [`Config::level`] take, and what a `-v`/`-q` flag turns into.
///
/// Ordered as thresholds, from the one that lets everything through to the
/// one that lets nothing through, as Python's numbers go: `Trace < Debug <
/// Info < Warning < Error < Critical < Off`. (`log::LevelFilter` orders the
/// other way, `Off` first: compare pulselog's filters with each other only.)
///
/// ```
/// use pulselog::{Level, LevelFilter};
///
/// let filter: LevelFilter = "warn".parse().unwrap();
/// assert_eq!(filter, LevelFilter::Warning);
/// assert_eq!(filter.to_string(), "WARNING");
/// assert!(filter.enables(Level::Error) && !filter.enables(Level::Info));
/// assert_eq!("none".parse(), Ok(LevelFilter::Off));
/// assert!(LevelFilter::Off > LevelFilter::Critical);
/// assert_eq!(LevelFilter::from(Level::Debug).level(), Some(Level::Debug));
/// ```
///
/// With the `log` feature, `log::LevelFilter` and `log::Level` convert into
/// it (`Warn` is `Warning`; `log` has no `Critical`), so the `-v`/`-q` count
/// that `clap-verbosity-flag` gives as a `log::LevelFilter` is one `.into()`
/// away (`docs/cli.md`).
///
/// [`Config::default_level`]: crate::Config::default_level
/// [`Config::module_level`]: crate::Config::module_level
/// [`Config::level`]: crate::Config::level
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LevelFilter {
    /// Everything.
    Trace,
    /// DEBUG and above.
    Debug,
    /// INFO and above.
    Info,
    /// WARNING and above.
    Warning,
    /// ERROR and CRITICAL.
    Error,
    /// CRITICAL only.
    Critical,
    /// Nothing.
    Off,
}

impl LevelFilter {
    /// All filters, in their order: `Trace` first, `Off` last.
    pub const ALL: [LevelFilter; 7] = [
        LevelFilter::Trace,
        LevelFilter::Debug,
        LevelFilter::Info,
        LevelFilter::Warning,
        LevelFilter::Error,
        LevelFilter::Critical,
        LevelFilter::Off,
    ];

    /// The least severe level that passes; `None` for `Off`.
    #[must_use]
    pub const fn level(self) -> Option<Level> {
        match self {
            LevelFilter::Trace => Some(Level::Trace),
            LevelFilter::Debug => Some(Level::Debug),
            LevelFilter::Info => Some(Level::Info),
            LevelFilter::Warning => Some(Level::Warning),
            LevelFilter::Error => Some(Level::Error),
            LevelFilter::Critical => Some(Level::Critical),
            LevelFilter::Off => None,
        }
    }

    /// Whether an event at `level` passes.
    #[must_use]
    pub const fn enables(self, level: Level) -> bool {
        match self.level() {
            Some(lowest) => level.number() >= lowest.number(),
            None => false,
        }
    }

    /// The level's name as output writes it, or `OFF`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self.level() {
            Some(level) => level.as_str(),
            None => "OFF",
        }
    }
}

impl From<Level> for LevelFilter {
    /// The filter that lets `level` and everything more severe through.
    fn from(level: Level) -> LevelFilter {
        match level {
            Level::Trace => LevelFilter::Trace,
            Level::Debug => LevelFilter::Debug,
            Level::Info => LevelFilter::Info,
            Level::Warning => LevelFilter::Warning,
            Level::Error => LevelFilter::Error,
            Level::Critical => LevelFilter::Critical,
        }
    }
}

impl fmt::Display for LevelFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for LevelFilter {
    type Err = ParseLevelError;

    /// What [`Level`]'s `FromStr` takes, or `off` (or `none`), in any case,
    /// surrounding whitespace ignored: the level names of filter
    /// directives.
    fn from_str(s: &str) -> Result<LevelFilter, ParseLevelError> {
        let name = s.trim();
        if OFF_NAMES.iter().any(|off| off.eq_ignore_ascii_case(name)) {
            return Ok(LevelFilter::Off);
        }
        Level::__from_name(name)
            .map(LevelFilter::from)
            .ok_or_else(|| ParseLevelError::new(s, true))
    }
}

#[cfg(feature = "log")]
impl From<::log::Level> for Level {
    /// `Warn` is WARNING; the others keep their names.
    fn from(level: ::log::Level) -> Level {
        match level {
            ::log::Level::Error => Level::Error,
            ::log::Level::Warn => Level::Warning,
            ::log::Level::Info => Level::Info,
            ::log::Level::Debug => Level::Debug,
            ::log::Level::Trace => Level::Trace,
        }
    }
}

#[cfg(feature = "log")]
impl From<::log::Level> for LevelFilter {
    /// The filter that lets `level` (`Warn` is WARNING) and everything more
    /// severe through.
    fn from(level: ::log::Level) -> LevelFilter {
        Level::from(level).into()
    }
}

#[cfg(feature = "log")]
impl From<::log::LevelFilter> for LevelFilter {
    /// The same threshold: `Off` is `Off`, `Warn` is `Warning`; `log` has no
    /// `Critical`, so no `log::LevelFilter` becomes `Critical`.
    fn from(filter: ::log::LevelFilter) -> LevelFilter {
        filter
            .to_level()
            .map_or(LevelFilter::Off, LevelFilter::from)
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
        assert_eq!(
            "off".parse::<Level>(),
            Err(ParseLevelError::new("off", false))
        );
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
    fn every_filter_parses_from_its_names_and_displays_as_output_writes_it() {
        for f in LevelFilter::ALL {
            for name in [f.as_str().to_owned(), f.as_str().to_lowercase()] {
                assert_eq!(name.parse::<LevelFilter>(), Ok(f), "{name}");
            }
            assert_eq!(f.to_string(), f.as_str());
        }
        for &(name, level) in NAMES {
            assert_eq!(name.parse(), Ok(LevelFilter::from(level)), "{name}");
        }
        for name in ["off", "OFF", " None\t", "nOnE"] {
            assert_eq!(name.parse(), Ok(LevelFilter::Off), "{name}");
        }
        assert_eq!(format!("{:<8}|", LevelFilter::Off), "OFF     |");
    }

    #[test]
    fn filter_errors_list_exactly_the_names_that_parse() {
        let err = "verbose".parse::<LevelFilter>().unwrap_err().to_string();
        assert!(err.starts_with("unknown level `verbose`: "), "{err}");
        let names: Vec<&str> = NAMES.iter().map(|(n, _)| *n).chain(OFF_NAMES).collect();
        assert_eq!(listed(&err), names);
        for name in listed(&err) {
            assert!(name.parse::<LevelFilter>().is_ok(), "{name}");
        }
        // `off` is a filter, not a level: `Level`'s error does not list it.
        let err = "off".parse::<Level>().unwrap_err().to_string();
        assert!(!listed(&err).contains(&"off"), "{err}");
    }

    #[test]
    fn filters_are_ordered_as_thresholds_and_enable_what_their_order_says() {
        assert!(LevelFilter::ALL.windows(2).all(|w| w[0] < w[1]));
        for f in LevelFilter::ALL {
            for level in Level::ALL {
                assert_eq!(
                    f.enables(level),
                    LevelFilter::from(level) >= f,
                    "{f} {level}"
                );
            }
        }
        assert!(Level::ALL.iter().all(|&l| LevelFilter::Trace.enables(l)));
        assert!(Level::ALL.iter().all(|&l| !LevelFilter::Off.enables(l)));
        assert_eq!(LevelFilter::Off.level(), None);
        for level in Level::ALL {
            assert_eq!(LevelFilter::from(level).level(), Some(level));
            assert_eq!(LevelFilter::from(level).as_str(), level.as_str());
        }
    }

    #[cfg(feature = "log")]
    #[test]
    fn log_levels_and_filters_convert_to_the_same_thresholds() {
        let pairs: Vec<_> = ::log::LevelFilter::iter()
            .map(|f| (f, LevelFilter::from(f)))
            .collect();
        assert_eq!(
            pairs,
            [
                (::log::LevelFilter::Off, LevelFilter::Off),
                (::log::LevelFilter::Error, LevelFilter::Error),
                (::log::LevelFilter::Warn, LevelFilter::Warning),
                (::log::LevelFilter::Info, LevelFilter::Info),
                (::log::LevelFilter::Debug, LevelFilter::Debug),
                (::log::LevelFilter::Trace, LevelFilter::Trace),
            ]
        );
        for log_filter in ::log::LevelFilter::iter() {
            for log_level in ::log::Level::iter() {
                // `log`'s own verdict, in its reversed order, is ours.
                assert_eq!(
                    LevelFilter::from(log_filter).enables(Level::from(log_level)),
                    log_level <= log_filter,
                    "{log_filter} {log_level}"
                );
            }
        }
        assert_eq!(Level::from(::log::Level::Warn), Level::Warning);
        assert_eq!(LevelFilter::from(::log::Level::Warn), LevelFilter::Warning);
        for log_level in ::log::Level::iter() {
            assert_eq!(
                LevelFilter::from(log_level),
                LevelFilter::from(log_level.to_level_filter())
            );
        }
    }

    #[test]
    fn names_resolve_at_compile_time() {
        const FATAL: Option<Level> = Level::__from_name("FaTaL");
        assert_eq!(FATAL, Some(Level::Critical));
    }
}
