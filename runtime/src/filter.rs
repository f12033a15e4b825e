//! Level filter directives in `env_logger` syntax: `info`,
//! `warn,my_app::db=debug`, `my_app=off`.
//!
//! The grammar is env_logger's, but the parser is pulselog's own: the
//! `env_filter` crate speaks `log::LevelFilter`, which has five levels and no
//! `CRITICAL`, so `my_app=critical` (and Python's `warning`) could not be
//! expressed through it. How the meaning differs from env_logger's and
//! tracing-subscriber's `EnvFilter` is tabled in
//! `docs/coming-from-tracing.md`; in short, on purpose:
//! - a bare module directive (`my_app`) enables everything in that module
//!   and leaves the others at the default level (`info`), where env_logger
//!   and `EnvFilter` turn every other module off;
//! - a module directive matches on whole path segments: `my_app::db` covers
//!   `my_app::db` and `my_app::db::pool`, not `my_app::dbx`;
//! - env_logger's `/regex` message filter is refused (messages are rendered
//!   on the writer thread, after the filter has run, so it could only be
//!   honoured by formatting on the caller), and so are `EnvFilter`'s span
//!   and field filters (`my_app[span]=debug`, `[{user_id}]=trace`): pulselog
//!   has no spans to match, and a directive that silently matched nothing
//!   would hide what was asked for.
//!
//! Two ways to read a bad directive: [`Filter::parse`] (code:
//! `Config::filter`, `set_filter`) refuses the whole string, so an invalid
//! string changes nothing; [`Filter::parse_lossy`] (the environment:
//! `PULSELOG_LEVEL`, `RUST_LOG`) skips each bad directive, applies the
//! others, and returns what it skipped for stderr, as env_logger and
//! `EnvFilter::from_default_env` do: a typo in a deployment's variable
//! must not silence everything else it asked for.
//!
//! `Directives` are what a string says before the built-in `info` fills
//! in what it leaves out: the configuration lays the environment's over the
//! code's defaults with them (`Config`'s precedence table).

use crate::level::{Level, LevelFilter};
use std::fmt;

/// The threshold meaning "nothing is enabled".
pub(crate) const OFF: u8 = u8::MAX;

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

impl From<LevelFilter> for Filter {
    /// One threshold for every module (`Off`: nothing).
    fn from(level: LevelFilter) -> Filter {
        Filter::from_level(level.level())
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
    /// `fatal`), and `off` (or `none`) for nothing. A bare `path` (or
    /// `path=`) enables everything in it. With several bare levels, the last
    /// one wins.
    ///
    /// # Errors
    ///
    /// The first directive that does not parse; nothing of the string is
    /// applied then.
    pub fn parse(spec: &str) -> Result<Filter, FilterError> {
        let (filter, errors) = Filter::parse_lossy(spec);
        match errors.into_iter().next() {
            None => Ok(filter),
            Some(first) => Err(first),
        }
    }

    /// Like [`Filter::parse`], but a directive that does not parse is
    /// skipped: the filter holds every other one, and the errors say what
    /// was skipped, in order.
    #[must_use]
    pub fn parse_lossy(spec: &str) -> (Filter, Vec<FilterError>) {
        let (directives, errors) = Directives::parse_lossy(spec);
        (directives.into_filter(), errors)
    }

    /// The lowest level number enabled for a module path (`OFF` for none).
    pub(crate) fn threshold(&self, target: &str) -> u8 {
        self.modules
            .iter()
            .find(|(prefix, _)| covers(prefix, target))
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

/// Directives as a string or the code gave them, before the built-in
/// `info` fills in the default they leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Directives {
    /// The bare level's threshold, if one was given (the last one).
    default: Option<u8>,
    /// Module path → threshold, one entry per path, the last given.
    modules: Vec<(String, u8)>,
}

impl Directives {
    /// The directives of `spec` that parse, and an error for each that
    /// does not (see [`Filter::parse_lossy`]).
    pub(crate) fn parse_lossy(spec: &str) -> (Directives, Vec<FilterError>) {
        let mut directives = Directives::default();
        let mut errors = Vec::new();
        let err = |d: &str, r: String| FilterError {
            directive: d.trim().to_owned(),
            reason: r,
        };
        // env_logger's grammar: `directives/regex`, the regex applying to
        // every message. A `/` inside brackets belongs to a span filter.
        let (spec, message_filter) = match outside_brackets(spec, '/').next() {
            Some(at) => (&spec[..at], Some(&spec[at..])),
            None => (spec, None),
        };
        for directive in split_outside_brackets(spec) {
            let d = directive.trim();
            if d.is_empty() {
                continue;
            }
            match parse_directive(d) {
                Ok((None, level)) => directives.default = Some(level),
                Ok((Some(path), level)) => directives.set(path, level),
                Err(reason) => errors.push(err(d, reason)),
            }
        }
        if let Some(regex) = message_filter {
            errors.push(err(
                regex,
                "message filters (`/regex`) are not supported; filter by module and level".into(),
            ));
        }
        (directives, errors)
    }

    /// The level of every module no module directive names.
    pub(crate) fn set_default(&mut self, level: LevelFilter) {
        self.default = Some(threshold(level));
    }

    /// The level of `path` and its submodules.
    ///
    /// # Errors
    ///
    /// When `path` is not a module path (`my_app`, `my_app::db`); nothing
    /// changes then.
    pub(crate) fn set_module(&mut self, path: &str, level: LevelFilter) -> Result<(), FilterError> {
        if !is_module_path(path) {
            return Err(FilterError {
                directive: format!("{path}={level}"),
                reason: "expected a module path such as `my_app::db`".into(),
            });
        }
        self.set(path, threshold(level));
        Ok(())
    }

    fn set(&mut self, path: &str, level: u8) {
        match self.modules.iter_mut().find(|(p, _)| p == path) {
            Some(slot) => slot.1 = level,
            None => self.modules.push((path.to_owned(), level)),
        }
    }

    /// `over` laid over these: each directive of `over` replaces every one
    /// of these that it covers. A bare level covers every module, so it
    /// replaces the default and every module directive; `path=level`
    /// covers `path` and its submodules (`my_app` covers `my_app::db`, not
    /// `my_app_extra`).
    pub(crate) fn overlaid(mut self, over: &Directives) -> Directives {
        if over.default.is_some() {
            self.default = over.default;
            self.modules.clear();
        }
        // Only these give way, never `over`'s among themselves:
        // `my_app=error,my_app::db=info` laid over keeps both.
        self.modules
            .retain(|(p, _)| !over.modules.iter().any(|(o, _)| covers(o, p)));
        self.modules.extend(over.modules.iter().cloned());
        self
    }

    /// The filter: `info` where no directive speaks.
    pub(crate) fn into_filter(self) -> Filter {
        let mut modules = self.modules;
        modules.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Filter {
            default: self.default.unwrap_or(Level::Info.number()),
            modules,
        }
    }
}

/// Whether the module directive `prefix` covers the module path `target`:
/// the same path, or one of its submodules (whole path segments).
fn covers(prefix: &str, target: &str) -> bool {
    target
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

fn threshold(level: LevelFilter) -> u8 {
    level.level().map_or(OFF, Level::number)
}

/// One directive: a module path (`None` for the default) and its
/// threshold.
fn parse_directive(d: &str) -> Result<(Option<&str>, u8), String> {
    if d.contains(['[', ']', '{', '}']) {
        return Err(span_filter_refusal(d));
    }
    match d.split_once('=') {
        Some((path, level)) => {
            let path = path.trim();
            if !is_module_path(path) {
                return Err("expected a module path such as `my_app::db` before `=`".into());
            }
            // `my_app=` is `my_app`, as in env_logger and `EnvFilter`.
            if level.trim().is_empty() {
                return Ok((Some(path), Level::Trace.number()));
            }
            Ok((Some(path), parse_threshold(level)?))
        }
        None => match parse_threshold(d) {
            Ok(level) => Ok((None, level)),
            Err(reason) if !is_module_path(d) => Err(reason),
            Err(_) => Ok((Some(d), Level::Trace.number())),
        },
    }
}

/// Why `EnvFilter`'s span and field syntax is refused, and the module
/// directive to write instead (`my_app[span]=debug` → `my_app=debug`).
fn span_filter_refusal(d: &str) -> String {
    let target = d[..d.find('[').unwrap_or(d.len())].trim();
    let level = d
        .rsplit_once(']')
        .and_then(|(_, rest)| rest.trim().strip_prefix('='))
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let instead = match (is_module_path(target), level) {
        (true, Some(level)) => format!("`{target}={level}`"),
        (true, None) => format!("`{target}`"),
        (false, Some(level)) => format!("a module path and the level, e.g. `my_app={level}`"),
        (false, None) => "a module path, e.g. `my_app=debug`".to_owned(),
    };
    format!(
        "span filters (`target[span]`, `[{{field}}]`) are not supported: pulselog filters by module and level; write {instead} instead"
    )
}

/// Byte offsets of `c` outside `[…]` (span filters hold commas and
/// slashes of their own).
fn outside_brackets(s: &str, c: char) -> impl Iterator<Item = usize> + '_ {
    let mut depth = 0u32;
    s.char_indices().filter_map(move |(i, ch)| {
        match ch {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if ch == c && depth == 0 => return Some(i),
            _ => {}
        }
        None
    })
}

/// The directives of a string: split on the commas outside `[…]`.
fn split_outside_brackets(s: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let mut cuts = outside_brackets(s, ',').chain([s.len()]);
    std::iter::from_fn(move || {
        let end = cuts.next()?;
        let piece = &s[start..end];
        start = end + 1;
        Some(piece)
    })
}

/// A level name of a directive: one [`LevelFilter`]'s `FromStr` takes.
fn parse_threshold(s: &str) -> Result<u8, String> {
    s.trim()
        .parse::<LevelFilter>()
        .map(threshold)
        .map_err(|e| e.to_string())
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
    use crate::level::OFF_NAMES;

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
    fn lossy_parsing_skips_each_bad_directive_and_keeps_the_rest() {
        let (f, errors) = Filter::parse_lossy("warn,my_app=loud,my_app::db=debug,a b=info");
        assert_eq!(f, Filter::parse("warn,my_app::db=debug").unwrap());
        let skipped: Vec<&str> = errors.iter().map(|e| e.directive.as_str()).collect();
        assert_eq!(skipped, ["my_app=loud", "a b=info"]);
        // The strict reading refuses the same string, with the first error.
        assert_eq!(
            Filter::parse("warn,my_app=loud,my_app::db=debug,a b=info"),
            Err(errors[0].clone())
        );
    }

    #[test]
    fn span_filters_are_refused_with_the_module_directive_to_write() {
        for (spec, instead) in [
            ("my_app[request]=debug", "write `my_app=debug` instead"),
            ("my_app::db[query{id}]", "write `my_app::db` instead"),
            ("[{user_id}]=trace", "e.g. `my_app=trace`"),
            ("[span]", "a module path, e.g. `my_app=debug`"),
        ] {
            let e = Filter::parse(spec).unwrap_err().to_string();
            assert!(
                e.contains("span filters") && e.contains("not supported") && e.contains(instead),
                "{spec}: {e}"
            );
        }
        // A span filter's commas and slashes are its own: one directive,
        // one error, and the rest applies.
        let (f, errors) = Filter::parse_lossy("error,my_app[req{path=/a,b}]=debug,db=trace");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].directive, "my_app[req{path=/a,b}]=debug");
        assert_eq!(f, Filter::parse("error,db=trace").unwrap());
    }

    #[test]
    fn a_message_filter_is_refused_and_the_directives_before_it_apply() {
        let (f, errors) = Filter::parse_lossy("info,my_app=debug/timeout");
        assert_eq!(f, Filter::parse("info,my_app=debug").unwrap());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].directive, "/timeout");
        assert!(errors[0].to_string().contains("`/regex`"), "{}", errors[0]);
    }

    #[test]
    fn an_empty_level_is_a_bare_module() {
        assert_eq!(Filter::parse("warn,my_app="), Filter::parse("warn,my_app"));
        assert_eq!(on(&Filter::parse("my_app=").unwrap(), "my_app")[0], "TRACE");
    }

    /// The code's defaults: `warning`, `my_app=debug`, `my_app::db=trace`.
    fn code_defaults() -> Directives {
        let mut d = Directives::default();
        d.set_default(LevelFilter::Warning);
        d.set_module("my_app", LevelFilter::Debug).unwrap();
        d.set_module("my_app::db", LevelFilter::Trace).unwrap();
        d
    }

    fn overlaid(env: &str) -> Filter {
        let (env, errors) = Directives::parse_lossy(env);
        assert!(errors.is_empty(), "{errors:?}");
        code_defaults().overlaid(&env).into_filter()
    }

    #[test]
    fn code_defaults_apply_where_nothing_is_laid_over_them() {
        let f = overlaid("");
        assert_eq!(
            f,
            Filter::parse("warning,my_app=debug,my_app::db=trace").unwrap()
        );
        assert_eq!(Directives::default().into_filter(), Filter::default());
        // Only a module: the others at the built-in `info`.
        let mut d = Directives::default();
        d.set_module("my_app", LevelFilter::Off).unwrap();
        assert_eq!(d.into_filter(), Filter::parse("info,my_app=off").unwrap());
    }

    #[test]
    fn a_bare_level_laid_over_replaces_every_code_default() {
        for (env, all) in [("trace", "TRACE"), ("error", "ERROR")] {
            let f = overlaid(env);
            for target in ["my_app", "my_app::db", "hyper"] {
                assert_eq!(on(&f, target)[0], all, "{env} {target}");
            }
        }
        assert_eq!(overlaid("off").max_verbosity(), None);
        // Module directives after the bare level are kept.
        assert_eq!(
            overlaid("error,hyper=debug"),
            Filter::parse("error,hyper=debug").unwrap()
        );
    }

    #[test]
    fn a_module_directive_laid_over_replaces_the_code_defaults_it_covers() {
        // `hyper` covers nothing of the code's: they all stay.
        assert_eq!(
            overlaid("hyper=debug"),
            Filter::parse("warning,my_app=debug,my_app::db=trace,hyper=debug").unwrap()
        );
        // `my_app` covers `my_app::db` too.
        assert_eq!(
            overlaid("my_app=error"),
            Filter::parse("warning,my_app=error").unwrap()
        );
        // The directives laid over keep each other, whatever their order.
        for env in [
            "my_app::db=info,my_app=error",
            "my_app=error,my_app::db=info",
        ] {
            assert_eq!(
                overlaid(env),
                Filter::parse("warning,my_app=error,my_app::db=info").unwrap(),
                "{env}"
            );
        }
        // `my_app::db` covers neither `my_app` nor a module that only shares
        // its prefix.
        let mut d = code_defaults();
        d.set_module("my_app::dbx", LevelFilter::Error).unwrap();
        let (env, _) = Directives::parse_lossy("my_app::db=info");
        assert_eq!(
            d.overlaid(&env).into_filter(),
            Filter::parse("warning,my_app=debug,my_app::db=info,my_app::dbx=error").unwrap()
        );
    }

    #[test]
    fn a_module_level_set_in_code_must_be_a_module_path() {
        let mut d = Directives::default();
        for path in ["", "a b", "my_app::", "my_app=debug"] {
            let e = d.set_module(path, LevelFilter::Debug).unwrap_err();
            assert!(e.to_string().contains("module path"), "{path}: {e}");
        }
        assert_eq!(d, Directives::default());
        assert_eq!(
            Filter::from(LevelFilter::Off),
            Filter::parse("off").unwrap()
        );
        assert_eq!(
            Filter::from(LevelFilter::Critical),
            Filter::parse("critical").unwrap()
        );
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
