//! The `log` facade's logger (feature `log`): records from crates that log
//! through `log` (hyper, reqwest, rustls, …) come out through pulselog.
//!
//! A record keeps its own target (as the logger name), file and line, its
//! level (`Warn` is WARNING), its message, and its key-values as typed
//! fields; it carries the current request context, like any event. It
//! passes the same filter as pulselog's own events, and the facade's
//! maximum level follows the filter, so a `log::debug!` that no directive
//! enables costs the facade's one comparison.

use crate::callsite::interned::{SiteKey, site};
use crate::callsite::{max_verbosity, on_filter_change};
use crate::encode::Encoder;
use crate::level::Level;
use crate::record::{IntoRecord, RecordBuilder};
use ::log::kv::{self, VisitSource};
use smallvec::SmallVec;

/// The logger the facade calls.
struct Bridge;

static BRIDGE: Bridge = Bridge;

/// A record's key-values, in order; a key given twice keeps its last
/// value (a line never has a duplicate key).
#[derive(Default)]
struct Pairs<'kvs>(SmallVec<[(kv::Key<'kvs>, kv::Value<'kvs>); 8]>);

impl<'kvs> VisitSource<'kvs> for Pairs<'kvs> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(pair) => pair.1 = value,
            None => self.0.push((key, value)),
        }
        Ok(())
    }
}

/// Encodes a value by its type: numbers and booleans stay what they are.
fn encode(rec: &mut Encoder, value: &kv::Value<'_>) {
    if let Some(b) = value.to_bool() {
        rec.push_bool(b);
    } else if let Some(n) = value.to_i64() {
        rec.push_i64(n);
    } else if let Some(n) = value.to_u64() {
        rec.push_u64(n);
    } else if let Some(n) = value.to_f64() {
        rec.push_f64(n);
    } else if let Some(s) = value.to_borrowed_str() {
        rec.push_str(s);
    } else {
        rec.display(value);
    }
}

impl ::log::Log for Bridge {
    fn enabled(&self, metadata: &::log::Metadata<'_>) -> bool {
        crate::callsite::filter_allows(metadata.target(), Level::from(metadata.level()))
    }

    fn log(&self, record: &::log::Record<'_>) {
        let level = Level::from(record.level());
        let mut pairs = Pairs::default();
        let _ = record.key_values().visit(&mut pairs);
        let names: SmallVec<[&str; 8]> = pairs.0.iter().map(|(k, _)| k.as_str()).collect();
        // Targets can be made at run time without end: the site is kept
        // within a bound, else the record's own (see `callsite::interned`).
        let Some((site, own)) = site(
            &SiteKey {
                target: record.target(),
                file: record.file(),
                line: record.line(),
                fields: &names,
            },
            level,
        ) else {
            return;
        };
        let mut rec = RecordBuilder::new(site, level);
        let values = rec.values();
        values.formatted(*record.args());
        for (_, value) in &pairs.0 {
            encode(values, value);
        }
        if own && site.is_sampled() {
            // Past the bound under the storm guard: the shared key's count.
            rec.suppressed(crate::callsite::guard::OVERFLOW.take(level));
        }
        if own {
            // A record that owns its site, made now so that whichever way
            // it goes (written, captured, dropped) frees the site with it.
            crate::logger::dispatch(IntoRecord::into_record(&mut rec));
        } else {
            crate::logger::submit(rec);
        }
    }

    fn flush(&self) {
        crate::logger::flush();
    }
}

/// The facade's maximum level, from the filter in force.
fn follow_filter() {
    ::log::set_max_level(match max_verbosity() {
        None => ::log::LevelFilter::Off,
        Some(Level::Trace) => ::log::LevelFilter::Trace,
        Some(Level::Debug) => ::log::LevelFilter::Debug,
        Some(Level::Info) => ::log::LevelFilter::Info,
        Some(Level::Warning) => ::log::LevelFilter::Warn,
        Some(Level::Error | Level::Critical) => ::log::LevelFilter::Error,
    });
}

/// Makes pulselog the facade's logger. Another logger set before stays,
/// and stderr says that `log` records do not reach pulselog.
pub(crate) fn install() {
    match ::log::set_logger(&BRIDGE) {
        Ok(()) => {
            follow_filter();
            on_filter_change(follow_filter);
        }
        Err(_) => crate::diag::say(format_args!(
            "another `log` logger is installed: records from the `log` facade do not reach pulselog"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::BRIDGE;
    use crate::callsite::interned::MAX_KEPT;
    use ::log::Log as _;

    #[test]
    fn past_the_bound_a_record_is_written_with_its_own_target_and_fields() {
        let n = MAX_KEPT + 3;
        let targets: Vec<String> = (0..n).map(|i| format!("bridge-tenant-{i}")).collect();
        let ((), events) = crate::testing::capture(|| {
            for (i, target) in targets.iter().enumerate() {
                let kvs = [("i", i)];
                BRIDGE.log(
                    &::log::Record::builder()
                        .args(format_args!("served"))
                        .level(::log::Level::Info)
                        .target(target)
                        .file(Some("src/tenant.rs"))
                        .line(Some(7))
                        .key_values(&kvs)
                        .build(),
                );
            }
        });
        let events = events.events();
        assert_eq!(events.len(), n);
        for (i, event) in events.iter().enumerate() {
            assert_eq!(event.target(), targets[i]);
            assert_eq!((event.file(), event.line()), ("src/tenant.rs", 7));
            assert_eq!(event.message(), "served");
            assert_eq!(event.fields().len(), 1);
            assert_eq!(event.fields()[0].0, "i");
        }
    }
}
