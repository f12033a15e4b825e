//! JSON lines, python-json-logger compatible by default:
//! `{"asctime": "…", "levelname": "INFO", "name": "app", "message": "…",
//! "filename": "src/main.rs", "lineno": 42, "funcName": "main", …}` —
//! standard keys first, then static fields, then context fields (the
//! request id and, for a W3C trace, `trace_id` and `span_id` first), then
//! the event's fields.
//!
//! Other key names, punctuation and error keys make other schemas of the
//! same writer ([`Style`]): Elastic Common Schema is one.

mod escape;
mod line;
mod number;
pub(in crate::format) mod site;
mod style;

use super::common::{FormatterError, IdKey, StdKey};
use super::time::TimeFormat;
use crate::encode::{Decoder, Encoder};
use crate::value::Encode;
use site::SiteCache;

pub(crate) use escape::{escape_into, write_hex, write_str};
pub(crate) use number::write_value;
pub(crate) use style::{ErrorKeys, Style};

/// Configuration of the JSON formatter.
#[derive(Debug, Clone)]
pub struct JsonFormat {
    keys: Vec<(StdKey, String)>,
    /// The names of the request id, trace id and span id, as [`IdKey`]
    /// orders them.
    ids: [String; 3],
    style: Style,
    statics: Vec<(String, Vec<u8>)>,
    datefmt: Option<String>,
    errors: Vec<String>,
    rt: Option<Runtime>,
}

#[derive(Debug, Clone)]
struct Runtime {
    /// `"key": ` per standard key, escaped once.
    prefixes: Vec<Vec<u8>>,
    /// `"key": ` per context id, as [`IdKey`] orders them.
    ids: [Vec<u8>; 3],
    statics: Vec<u8>,
    /// Every key the line may hold besides the fields: a field with one of
    /// these names is prefixed.
    taken: Vec<String>,
    time: TimeFormat,
    sites: SiteCache,
}

impl Default for JsonFormat {
    fn default() -> Self {
        JsonFormat::new()
    }
}

impl JsonFormat {
    /// The default schema: `asctime`, `levelname`, `name`, `message`,
    /// `filename`, `lineno`, `funcName`.
    #[must_use]
    pub fn new() -> JsonFormat {
        let keys = [
            StdKey::Asctime,
            StdKey::Levelname,
            StdKey::Name,
            StdKey::Message,
            StdKey::Filename,
            StdKey::Lineno,
            StdKey::FuncName,
        ];
        JsonFormat {
            keys: keys.iter().map(|k| (*k, k.as_str().to_owned())).collect(),
            ids: IdKey::ALL.map(|k| k.as_str().to_owned()),
            style: Style::PYTHON,
            statics: Vec::new(),
            datefmt: None,
            errors: Vec::new(),
            rt: None,
        }
    }

    /// Chooses the standard keys and their order, python-json-logger `fmt`
    /// style: `"%(asctime)s %(levelname)s %(message)s"`, or the same names in
    /// braces (`"{asctime} {levelname}"`) or bare, separated by spaces or
    /// commas. Renames made before are kept for the keys that remain.
    ///
    /// The keys are Python's: `asctime`, `created`, `msecs`, `levelname`,
    /// `levelno`, `name`, `message`, `filename`, `pathname`, `module`,
    /// `lineno`, `colno`, `funcName`, `process`, and `thread` (the OS thread
    /// id), `threadName` (the thread's name; tokio names its workers) and
    /// `taskName` (the id of the tokio task that logged, `null` outside a
    /// task; recorded only when a format asks for it).
    #[must_use]
    pub fn keys(mut self, fmt: &str) -> JsonFormat {
        let mut keys = Vec::new();
        for name in key_names(fmt) {
            match StdKey::from_name(&name) {
                Some(k) => {
                    let out = self
                        .keys
                        .iter()
                        .find(|(old, _)| *old == k)
                        .map_or_else(|| k.as_str().to_owned(), |(_, n)| n.clone());
                    keys.push((k, out));
                }
                None => self.errors.push(format!(
                    "unknown standard key `{name}` in JSON keys; known keys: {}",
                    StdKey::ALL.map(StdKey::as_str).join(", ")
                )),
            }
        }
        self.keys = keys;
        self
    }

    /// Writes a standard key under another name, like python-json-logger's
    /// `rename_fields` (`levelname` → `level`). The context's ids can be
    /// renamed too: `request_id`, and `trace_id` and `span_id` (written when
    /// the request came with a W3C `traceparent`), e.g. to
    /// `dd.trace_id`/`dd.span_id`.
    #[must_use]
    pub fn rename(mut self, key: &str, to: &str) -> JsonFormat {
        if let Some(id) = IdKey::from_name(key) {
            self.ids[id as usize] = to.to_owned();
            return self;
        }
        match self.keys.iter_mut().find(|(k, _)| k.as_str() == key) {
            Some(slot) => slot.1 = to.to_owned(),
            None => self.errors.push(format!(
                "cannot rename `{key}`: it is not one of the chosen standard keys nor `request_id`, `trace_id`, `span_id`"
            )),
        }
        self
    }

    /// The same formatter in another style (see [`Style`]).
    pub(crate) fn style(mut self, style: Style) -> JsonFormat {
        self.style = style;
        self
    }

    /// Adds a field with the same value on every line (`service`, `env`, …),
    /// like python-json-logger's `static_fields`. Numbers stay numbers.
    #[must_use]
    pub fn static_field(mut self, key: &str, value: impl Encode) -> JsonFormat {
        let mut values = Encoder::new();
        value.encode(&mut values);
        let mut json = Vec::new();
        let data = values.into_data();
        if let Some(v) = Decoder::new(&data).next() {
            write_value(&mut json, v);
        }
        self.statics.push((key.to_owned(), json));
        self
    }

    /// Renders `asctime` with a strftime format (Python's `datefmt`) instead
    /// of ISO 8601: in UTC, with the directives of [`TextFormat::datefmt`](crate::TextFormat::datefmt).
    #[must_use]
    pub fn datefmt(mut self, fmt: &str) -> JsonFormat {
        self.datefmt = Some(fmt.to_owned());
        self
    }

    /// Whether lines have this standard key.
    pub(crate) fn has_key(&self, key: StdKey) -> bool {
        self.keys.iter().any(|(k, _)| *k == key)
    }

    /// Checks the configuration and precomputes what every line needs.
    pub(crate) fn build(mut self) -> Result<JsonFormat, FormatterError> {
        let time = TimeFormat::new(self.datefmt.clone());
        if let Err(e) = &time {
            self.errors.push(e.clone());
        }
        let (comma, colon) = (self.style.comma(), self.style.colon());
        let mut taken: Vec<String> = Vec::new();
        let own = self.style.error_keys().iter().copied();
        for name in self
            .keys
            .iter()
            .map(|k| k.1.as_str())
            .chain(self.statics.iter().map(|s| s.0.as_str()))
            .chain(self.ids.iter().map(String::as_str))
            .chain(own)
        {
            if taken.iter().any(|t| t == name) {
                self.errors
                    .push(format!("the JSON key `{name}` is used twice"));
            }
            taken.push(name.to_owned());
        }
        if !self.errors.is_empty() {
            return Err(FormatterError::new("JSON", self.errors));
        }
        let key = |name: &str| {
            let mut p = Vec::new();
            write_str(&mut p, name);
            p.extend_from_slice(colon);
            p
        };
        let prefixes = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, (_, name))| {
                let mut p = Vec::new();
                p.extend_from_slice(if i == 0 { b"{" } else { comma });
                p.extend_from_slice(&key(name));
                p
            })
            .collect();
        let mut statics = Vec::new();
        for (i, (k, v)) in self.statics.iter().enumerate() {
            statics.extend_from_slice(if i == 0 && self.keys.is_empty() {
                b"{"
            } else {
                comma
            });
            statics.extend_from_slice(&key(k));
            statics.extend_from_slice(v);
        }
        let ids = [0, 1, 2].map(|i| key(&self.ids[i]));
        self.rt = Some(Runtime {
            prefixes,
            ids,
            statics,
            taken,
            time: time.expect("checked above"),
            sites: SiteCache::default(),
        });
        Ok(self)
    }
}

/// Key names in a python-json-logger `fmt` string.
fn key_names(fmt: &str) -> Vec<String> {
    if fmt.contains("%(") {
        fmt.split("%(")
            .skip(1)
            .filter_map(|s| s.split_once(')').map(|(k, _)| k.to_owned()))
            .collect()
    } else {
        fmt.split(|c: char| c.is_whitespace() || c == ',' || c == '{' || c == '}')
            .map(|s| s.split(':').next().unwrap_or(s))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_accept_python_and_brace_styles() {
        assert_eq!(
            key_names("%(asctime)s %(levelname)-8s %(message)s"),
            ["asctime", "levelname", "message"]
        );
        assert_eq!(
            key_names("{asctime} {levelname:<8}, message"),
            ["asctime", "levelname", "message"]
        );
    }
}
