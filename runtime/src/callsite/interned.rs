//! Call sites whose metadata arrives at run time: records from the `log`
//! and `tracing` bridges, whose logger name, file, line and field names are
//! the emitting crate's, known only when the record arrives.
//!
//! Each distinct site gets a [`Callsite`] of its own, made once and kept for
//! the life of the process (a program has a bounded number of call sites),
//! so that a bridged record is like any other from then on: its call site
//! caches the filter's verdict, and the formatters render its line template
//! once. Finding the site of a record takes a look in a small per-thread
//! table (no lock, no allocation, no hashing of the strings) and, on a miss,
//! in a process-wide map.

use super::{Callsite, Metadata, Piece};
use crate::level::Level;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, PoisonError};

/// What identifies a run-time call site.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SiteKey<'a> {
    /// The logger name (`log`'s and `tracing`'s target).
    pub(crate) target: &'a str,
    pub(crate) file: Option<&'a str>,
    pub(crate) line: Option<u32>,
    /// Names of the record's fields, in the order their values follow the
    /// message.
    pub(crate) fields: &'a [&'a str],
}

/// A dependency's source path as `file!()` gives it, absolute into cargo's
/// registry (`/home/u/.cargo/registry/src/index.crates.io-…/tower-http-0.6.11/src/trace/on_request.rs`),
/// shortened to the crate's own (`tower-http-0.6.11/src/trace/on_request.rs`).
fn short_file(file: &str) -> &str {
    const REGISTRY: &str = "/registry/src/";
    match file.find(REGISTRY) {
        Some(at) => {
            let index_and_rest = &file[at + REGISTRY.len()..];
            index_and_rest
                .split_once('/')
                .map_or(file, |(_, crate_path)| crate_path)
        }
        None => file,
    }
}

impl SiteKey<'_> {
    fn file(&self) -> &str {
        self.file.map_or("", short_file)
    }

    fn matches(&self, meta: &Metadata) -> bool {
        meta.line == self.line.unwrap_or(0)
            && meta.target == self.target
            && meta.file == self.file()
            && meta.fields == self.fields
    }

    /// A cheap slot for the per-thread table, from the lengths and the line
    /// (no string is read).
    fn slot(&self) -> usize {
        let mix = u64::from(self.line.unwrap_or(0))
            ^ (self.target.len() as u64) << 20
            ^ (self.file.map_or(0, str::len) as u64) << 36
            ^ (self.fields.len() as u64) << 52;
        (mix.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
    }

    fn hash(&self) -> u64 {
        let mut h = DefaultHasher::new();
        (self.target, self.file, self.line, self.fields).hash(&mut h);
        h.finish()
    }

    /// A call site with this metadata, every string copied and kept.
    fn leak(&self, level: Level) -> &'static Callsite {
        fn keep(s: &str) -> &'static str {
            Box::leak(Box::from(s))
        }
        let fields: Vec<&'static str> = self.fields.iter().map(|f| keep(f)).collect();
        let meta = Box::leak(Box::new(Metadata {
            level,
            target: keep(self.target),
            file: keep(self.file()),
            line: self.line.unwrap_or(0),
            column: 0,
            function: no_function,
            template: "{message}",
            pieces: &[Piece::Value(0)],
            fields: Box::leak(fields.into_boxed_slice()),
            message_values: 1,
        }));
        Box::leak(Box::new(Callsite::new(meta)))
    }
}

/// The function name of a bridged record: none (`funcName` is empty,
/// never the bridge's own).
fn no_function() -> &'static str {
    ""
}

const SLOTS: usize = 64;

thread_local! {
    static RECENT: RefCell<[Option<&'static Callsite>; SLOTS]> = const { RefCell::new([None; SLOTS]) };
}

/// Every run-time call site, by the hash of its key.
static ALL: Mutex<Option<HashMap<u64, Vec<&'static Callsite>>>> = Mutex::new(None);

/// The call site for `key`, made on first use. The message is its first
/// value; `level` is only the level the site's metadata names (a record
/// carries its own).
pub(crate) fn intern(key: &SiteKey<'_>, level: Level) -> &'static Callsite {
    let slot = key.slot() % SLOTS;
    let recent = RECENT
        .try_with(|r| r.borrow()[slot])
        .ok()
        .flatten()
        .filter(|site| key.matches(site.metadata()));
    if let Some(site) = recent {
        return site;
    }
    let site = intern_slow(key, level);
    let _ = RECENT.try_with(|r| r.borrow_mut()[slot] = Some(site));
    site
}

#[cold]
#[inline(never)]
fn intern_slow(key: &SiteKey<'_>, level: Level) -> &'static Callsite {
    let hash = key.hash();
    let mut all = ALL.lock().unwrap_or_else(PoisonError::into_inner);
    let bucket = all
        .get_or_insert_with(HashMap::new)
        .entry(hash)
        .or_default();
    if let Some(site) = bucket.iter().find(|s| key.matches(s.metadata())) {
        return site;
    }
    let site = key.leak(level);
    bucket.push(site);
    site
}

#[cfg(test)]
mod tests {
    use super::{SiteKey, intern};
    use crate::level::Level;

    #[test]
    fn one_site_per_distinct_key_whatever_thread_asks() {
        let key = SiteKey {
            target: "hyper::proto::h1",
            file: Some("src/proto/h1/conn.rs"),
            line: Some(42),
            fields: &["k", "peer"],
        };
        let a = intern(&key, Level::Warning);
        assert!(std::ptr::eq(a, intern(&key, Level::Info)));
        let other_thread =
            std::thread::spawn(move || std::ptr::from_ref(intern(&key, Level::Warning)) as usize)
                .join()
                .unwrap();
        assert_eq!(std::ptr::from_ref(a) as usize, other_thread);
        let meta = a.metadata();
        assert_eq!(
            (meta.target, meta.file, meta.line, meta.fields),
            (
                "hyper::proto::h1",
                "src/proto/h1/conn.rs",
                42,
                &["k", "peer"][..]
            )
        );
        assert_eq!(a.function(), "");
        // Any difference is another site; a missing file or line is empty.
        let fewer = SiteKey {
            fields: &["k"],
            ..key
        };
        assert!(!std::ptr::eq(a, intern(&fewer, Level::Warning)));
        let bare = intern(
            &SiteKey {
                file: None,
                line: None,
                ..fewer
            },
            Level::Warning,
        );
        assert_eq!((bare.metadata().file, bare.metadata().line), ("", 0));
    }

    #[test]
    fn a_dependency_s_path_is_its_crate_s() {
        let key = SiteKey {
            target: "tower_http::trace::on_request",
            file: Some(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tower-http-0.6.11/src/trace/on_request.rs",
            ),
            line: Some(80),
            fields: &[],
        };
        let site = intern(&key, Level::Debug);
        assert_eq!(
            site.metadata().file,
            "tower-http-0.6.11/src/trace/on_request.rs"
        );
        assert!(std::ptr::eq(site, intern(&key, Level::Debug)));
        assert_eq!(super::short_file("src/main.rs"), "src/main.rs");
    }
}
