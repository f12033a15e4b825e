//! Level filter directives in `env_logger` syntax: `info`,
//! `warn,my_app::db=debug`, `my_app=off`.
//!
//! The grammar is env_logger's, but the parser is pulselog's own: the
//! `env_filter` crate speaks `log::LevelFilter`, which has five levels and no
//! `CRITICAL`, so `my_app=critical` (and Python's `warning`) could not be
//! expressed through it. Differences from env_logger, on purpose:
//! - a module directive matches on whole path segments: `my_app::db` covers
//!   `my_app::db` and `my_app::db::pool`, not `my_app::dbx`;
//! - env_logger's `/regex` message filter is refused (messages are rendered
//!   on the writer thread, after the filter has run, so it could only be
//!   honoured by formatting on the caller).

use crate::level::Level;
use std::fmt;

/// The threshold meaning "nothing is enabled".
pub(crate) const OFF: u8 = u8::MAX;

/// The names of [`OFF`] in a directive, in any case. Every other level name
/// is one of the level table (`crate::level`), shared with `Level::from_str`
/// and `#[logged(level = "..")]`.
const OFF_NAMES: [&str; 2] = ["off", "none"];

/// A parsed set of directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    default: u8,
    /// Module prefix → threshold, longest prefix first.
    modules: Vec<(String, u8)>,
}

/// A directive string that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    directive: String,
    reason: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid level directive `{}`: {}",
            self.directive, self.reason
        )
    }
}

impl std::error::Error for FilterError {}

impl Default for Filter {
    /// `info` for everything.
    fn default() -> Self {
        Filter::from_level(Some(Level::Info))
    }
}

impl Filter {
    /// One threshold for every module; `None` turns everything off.
    #[must_use]
    pub fn from_level(level: Option<Level>) -> Filter {
        Filter {
            default: level.map_or(OFF, Level::number),
            modules: Vec::new(),
        }
    }

    /// Parses `env_logger`-style directives: comma-separated `level`,
    /// `path`, or `path=level`; level names are case-insensitive: those
    /// [`Level`]'s `FromStr` takes (Python's `warning` and `critical`, `warn`,
    /// `fatal`), and `off` (or `none`) for nothing. A bare `path` enables
    /// everything in it. With several bare levels, the last one wins.
    pub fn parse(spec: &str) -> Result<Filter, FilterError> {
        let mut filter = Filter {
            default: Level::Info.number(),
            modules: Vec::new(),
        };
        let err = |d: &str, r: &str| FilterError {
            directive: d.trim().to_owned(),
            reason: r.to_owned(),
        };
        for directive in spec.split(',') {
            let d = directive.trim();
            if d.is_empty() {
                continue;
            }
            if d.contains('/') {
                return Err(err(
                    d,
                    "message filters (`/regex`) are not supported; filter by module and level",
                ));
            }
            match d.split_once('=') {
                Some((path, level)) => {
                    let path = path.trim();
                    if !is_module_path(path) {
                        return Err(err(
                            d,
                            "expected a module path such as `my_app::db` before `=`",
                        ));
                    }
                    let level = parse_threshold(level).map_err(|r| err(d, &r))?;
                    filter.set_module(path, level);
                }
                None => match parse_threshold(d) {
                    Ok(level) => filter.default = level,
                    Err(reason) if !is_module_path(d) => return Err(err(d, &reason)),
                    Err(_) => filter.set_module(d, Level::Trace.number()),
                },
            }
        }
        filter
            .modules
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(filter)
    }

    fn set_module(&mut self, path: &str, level: u8) {
        match self.modules.iter_mut().find(|(p, _)| p == path) {
            Some(slot) => slot.1 = level,
            None => self.modules.push((path.to_owned(), level)),
        }
    }

    /// The lowest level number enabled for a module path (`OFF` for none).
    pub(crate) fn threshold(&self, target: &str) -> u8 {
        self.modules
            .iter()
            .find(|(prefix, _)| {
                target.starts_with(prefix.as_str())
                    && (target.len() == prefix.len() || target[prefix.len()..].starts_with("::"))
            })
            .map_or(self.default, |&(_, level)| level)
    }

    /// Whether an event at `level` from module `target` passes.
    #[must_use]
    pub fn enabled(&self, target: &str, level: Level) -> bool {
        level.number() >= self.threshold(target)
    }

    /// The lowest level any module enables, `None` if all are off.
    #[must_use]
    pub fn max_verbosity(&self) -> Option<Level> {
        let min = self
            .modules
            .iter()
            .map(|m| m.1)
            .chain([self.default])
            .min()
            .unwrap_or(OFF);
        (min != OFF).then(|| Level::from_number(min))
    }
}

fn parse_threshold(s: &str) -> Result<u8, String> {
    let s = s.trim();
    if OFF_NAMES.iter().any(|off| off.eq_ignore_ascii_case(s)) {
        return Ok(OFF);
    }
    Level::__from_name(s).map(Level::number).ok_or_else(|| {
        format!(
            "unknown level `{s}`: expected one of {}, `{}`",
            crate::level::EXPECTED,
            OFF_NAMES.join("`, `")
        )
    })
}

fn is_module_path(s: &str) -> bool {
    !s.is_empty()
        && s.split("::").all(|seg| {
            let mut c = seg.chars();
            c.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                && c.all(|c| c == '_' || c == '-' || c.is_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(f: &Filter, target: &str) -> Vec<&'static str> {
        Level::ALL
            .iter()
            .filter(|l| f.enabled(target, **l))
            .map(|l| l.as_str())
            .collect()
    }

    #[test]
    fn default_is_info() {
        let f = Filter::default();
        assert_eq!(on(&f, "any"), ["INFO", "WARNING", "ERROR", "CRITICAL"]);
        assert_eq!(Filter::parse("").unwrap(), f);
    }

    #[test]
    fn each_level_name_sets_the_threshold() {
        for (name, first) in [
            ("trace", "TRACE"),
            ("DEBUG", "DEBUG"),
            ("Info", "INFO"),
            ("warn", "WARNING"),
            ("warning", "WARNING"),
            ("error", "ERROR"),
            ("critical", "CRITICAL"),
        ] {
            let f = Filter::parse(name).unwrap();
            assert_eq!(on(&f, "m")[0], first, "{name}");
        }
        assert!(on(&Filter::parse("off").unwrap(), "m").is_empty());
    }

    #[test]
    fn every_level_name_is_a_directive_and_errors_list_them_all() {
        for &(name, level) in crate::level::NAMES {
            for spelling in [name.to_owned(), name.to_uppercase()] {
                let f = Filter::parse(&format!("m={spelling}")).unwrap();
                assert_eq!(f.threshold("m"), level.number(), "{spelling}");
            }
        }
        for off in OFF_NAMES {
            assert_eq!(Filter::parse(off).unwrap().max_verbosity(), None, "{off}");
        }
        let e = Filter::parse("m=loud").unwrap_err().to_string();
        let listed: Vec<&str> = e
            .split("expected one of ")
            .nth(1)
            .unwrap()
            .split(", ")
            .map(|n| n.trim_matches('`'))
            .collect();
        let accepted: Vec<&str> = crate::level::NAMES
            .iter()
            .map(|(n, _)| *n)
            .chain(OFF_NAMES)
            .collect();
        assert_eq!(listed, accepted, "{e}");
    }

    #[test]
    fn module_directives_match_whole_segments_longest_first() {
        let f = Filter::parse("warn,my_app::db=debug,my_app=error,noisy=off").unwrap();
        assert_eq!(on(&f, "other")[0], "WARNING");
        assert_eq!(on(&f, "my_app")[0], "ERROR");
        assert_eq!(on(&f, "my_app::web")[0], "ERROR");
        assert_eq!(on(&f, "my_app::db")[0], "DEBUG");
        assert_eq!(on(&f, "my_app::db::pool")[0], "DEBUG");
        assert_eq!(on(&f, "my_app::dbx")[0], "ERROR");
        assert!(on(&f, "noisy::x").is_empty());
        assert_eq!(f.max_verbosity(), Some(Level::Debug));
    }

    #[test]
    fn bare_module_enables_everything_in_it() {
        let f = Filter::parse("error,chatty").unwrap();
        assert_eq!(on(&f, "chatty::x")[0], "TRACE");
        assert_eq!(on(&f, "quiet")[0], "ERROR");
    }

    #[test]
    fn bad_directives_say_what_is_wrong() {
        let e = Filter::parse("info,my_app=loud").unwrap_err().to_string();
        assert!(
            e.contains("my_app=loud") && e.contains("unknown level `loud`"),
            "{e}"
        );
        let e = Filter::parse("info/foo").unwrap_err().to_string();
        assert!(e.contains("not supported"), "{e}");
        let e = Filter::parse("a b=info").unwrap_err().to_string();
        assert!(e.contains("module path"), "{e}");
    }
}
