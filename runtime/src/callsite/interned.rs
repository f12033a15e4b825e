//! Call sites whose metadata arrives at run time: records from the `log`
//! and `tracing` bridges, whose logger name, file, line and field names are
//! the emitting crate's, known only when the record arrives.
//!
//! Each distinct site gets a [`Callsite`] of its own, made once and kept for
//! the life of the process, so that a bridged record is like any other from
//! then on: its call site caches the filter's verdict, and the formatters
//! render its line template once. Finding the site of a record takes a look
//! in a small per-thread table (no lock, no allocation, no hashing of the
//! strings) and, on a miss, in a process-wide map.
//!
//! **Within a bound.** A `tracing` call site is a `static` of the program,
//! so their number is the program's. A `log` record only borrows its
//! strings, and a program can make targets at run time without end
//! (`log::info!(target: &format!("tenant-{i}"), …)`): [`site`] keeps at most
//! [`MAX_KEPT`] sites holding [`MAX_KEPT_BYTES`] of strings, and past that
//! makes the record a call site of its own ([`Site`]), which the record owns
//! and frees when it is dropped (after it is written, or dropped). Such a
//! record is written exactly as a kept one (same target, file, line and
//! fields); it only skips the caches: its filter verdict is asked per record
//! and its line template rendered per line, and a repeat of it is not
//! collapsed. A process logging from 1,000,000 targets peaked at 429 MB of
//! RSS when every site was kept, and at 11 MB within the bound (as at
//! 10,000 targets; `tests/tests/interning.rs`).
//!
//! **Under the storm guard** (`Config::sampling`) a kept site is a key of
//! its own, as any call site. Records past the bound share one key per
//! level (see `guard`): an own site is made sampled, and its record carries
//! the count of the records that key dropped since its line before.

#[cfg(feature = "log")]
use super::own::OWN_PIECES;
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

    /// Bytes of the strings a site of this key holds.
    fn string_bytes(&self) -> usize {
        self.target.len() + self.file().len() + self.fields.iter().map(|f| f.len()).sum::<usize>()
    }

    /// A call site with this metadata, every string copied. It is leaked:
    /// kept sites live as long as the process, and an own site is freed by
    /// [`super::own::release`]. An own site's pieces are [`OWN_PIECES`],
    /// which is how [`super::own::is_own`] tells it.
    fn leak(&self, level: Level, pieces: &'static [Piece], sampled: bool) -> &'static Callsite {
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
            pieces,
            fields: Box::leak(fields.into_boxed_slice()),
            message_values: 1,
        }));
        Box::leak(Box::new(if sampled {
            Callsite::new_sampled(meta)
        } else {
            Callsite::new(meta)
        }))
    }
}

/// The pieces of a kept site's message: its first value.
static KEPT_PIECES: [Piece; 1] = [Piece::Value(0)];

/// Most run-time call sites kept for the life of the process (about 400
/// bytes each with short strings, the table's share included).
pub(crate) const MAX_KEPT: usize = 4096;

/// Most bytes of strings (targets, files, field names) the kept sites hold.
pub(crate) const MAX_KEPT_BYTES: usize = 1 << 20;

/// The function name of a bridged record: none (`funcName` is empty,
/// never the bridge's own).
fn no_function() -> &'static str {
    ""
}

const SLOTS: usize = 64;

thread_local! {
    static RECENT: RefCell<[Option<&'static Callsite>; SLOTS]> = const { RefCell::new([None; SLOTS]) };
}

/// The kept run-time call sites.
#[derive(Default)]
struct Kept {
    /// By the hash of their key.
    by_hash: HashMap<u64, Vec<&'static Callsite>>,
    sites: usize,
    bytes: usize,
}

static ALL: Mutex<Option<Kept>> = Mutex::new(None);

/// The kept call site for `key`, made on first use, whatever the bound (for
/// `tracing`'s call sites, which are the program's). The message is its
/// first value; `level` is only the level the site's metadata names (a
/// record carries its own).
#[cfg(any(feature = "tracing", test))]
pub(crate) fn intern(key: &SiteKey<'_>, level: Level) -> &'static Callsite {
    lookup(key, level, true).unwrap_or_else(|| key.leak(level, &KEPT_PIECES, false))
}

/// The call site of a `log` record, `None` when its level is not enabled
/// there (or the storm guard drops it): a kept one while the bound allows
/// (`false`), else one of its own (`true`), which the caller owns and frees
/// with [`super::own::release`]. Under the guard an own site is sampled:
/// its record ends with the count of [`super::guard::OVERFLOW`].
#[cfg(feature = "log")]
pub(crate) fn site(key: &SiteKey<'_>, level: Level) -> Option<(&'static Callsite, bool)> {
    if let Some(site) = lookup(key, level, false) {
        return site.enabled(level).then_some((site, false));
    }
    // The filter's verdict, as a kept site would cache it (an override sees
    // every level); the site is made only for a record that is written.
    if !crate::settings::overriding() && !super::filter_allows(key.target, level) {
        return None;
    }
    let guard = crate::settings::sampling();
    if guard.is_some_and(|limits| !super::guard::OVERFLOW.admit(level, limits)) {
        return None;
    }
    let own = key.leak(level, &OWN_PIECES, guard.is_some());
    // Its verdicts cached as a registered site's are, without registering
    // it: the pipeline filters an own record like any other.
    own.ask_filter();
    Some((own, true))
}

/// The kept site for `key`; a new one is kept if `always`, or while the
/// bound allows.
fn lookup(key: &SiteKey<'_>, level: Level, always: bool) -> Option<&'static Callsite> {
    let slot = key.slot() % SLOTS;
    let recent = RECENT
        .try_with(|r| r.borrow()[slot])
        .ok()
        .flatten()
        .filter(|site| key.matches(site.metadata()));
    if let Some(site) = recent {
        return Some(site);
    }
    let site = lookup_slow(key, level, always)?;
    let _ = RECENT.try_with(|r| r.borrow_mut()[slot] = Some(site));
    Some(site)
}

#[cold]
#[inline(never)]
fn lookup_slow(key: &SiteKey<'_>, level: Level, always: bool) -> Option<&'static Callsite> {
    let hash = key.hash();
    let mut all = ALL.lock().unwrap_or_else(PoisonError::into_inner);
    let kept = all.get_or_insert_with(Kept::default);
    if let Some(site) = kept
        .by_hash
        .get(&hash)
        .and_then(|b| b.iter().find(|s| key.matches(s.metadata())))
    {
        return Some(site);
    }
    let bytes = key.string_bytes();
    if !always && (kept.sites >= MAX_KEPT || kept.bytes + bytes > MAX_KEPT_BYTES) {
        return None;
    }
    let site = key.leak(level, &KEPT_PIECES, false);
    kept.by_hash.entry(hash).or_default().push(site);
    kept.sites += 1;
    kept.bytes += bytes;
    Some(site)
}

#[cfg(test)]
mod tests {
    use super::super::own::{OWN_PIECES, is_own, release};
    use super::{MAX_KEPT, SiteKey, intern, lookup};
    use crate::level::Level;

    #[test]
    fn the_table_keeps_sites_up_to_its_bound_and_an_own_site_is_told_apart() {
        fn key(target: &str) -> SiteKey<'_> {
            SiteKey {
                target,
                file: Some("src/tenant.rs"),
                line: Some(7),
                fields: &["i"],
            }
        }
        let targets: Vec<String> = (0..=MAX_KEPT)
            .map(|i| format!("table-tenant-{i}"))
            .collect();
        let kept: Vec<bool> = targets
            .iter()
            .map(|t| lookup(&key(t), Level::Info, false).is_some())
            .collect();
        // Other tests keep sites too: the bound is reached at the latest
        // after `MAX_KEPT` new ones, and nothing is kept past it...
        let first_refused = kept.iter().position(|k| !k).expect("the bound is reached");
        assert!(kept[first_refused..].iter().all(|k| !k));
        // ...but what is kept stays found, and `intern` keeps anyway.
        let site = lookup(&key(&targets[0]), Level::Info, false).expect("kept");
        assert!(!is_own(site));
        assert!(std::ptr::eq(site, intern(&key(&targets[0]), Level::Info)));
        let last = intern(&key(&targets[MAX_KEPT]), Level::Info);
        assert!(!is_own(last));
        // An own site has the key's metadata and is told apart.
        let own = key("table-own").leak(Level::Info, &OWN_PIECES, false);
        assert!(is_own(own));
        assert_eq!(
            (
                own.metadata().target,
                own.metadata().file,
                own.metadata().fields
            ),
            ("table-own", "src/tenant.rs", &["i"][..])
        );
        // SAFETY: made above for this test alone, not read after.
        unsafe { release(own) }
    }

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
