//! Call sites: the `static` each log macro expands to, and the cached answer
//! to "is this call site enabled?".
//!
//! Each call site caches the lowest level its module enables. The check a log
//! call makes is one relaxed load of that byte and a compare; the first call
//! (or the first after the filter changed) takes the cold path, which
//! registers the call site in a global list and asks the filter.

use crate::level::Level;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, Ordering};

/// One piece of a message template, resolved at compile time.
#[derive(Debug)]
pub enum Piece {
    /// Literal text.
    Lit(&'static str),
    /// The value in this slot of the record.
    Value(u16),
}

/// Everything known about a call site at compile time.
#[derive(Debug)]
pub struct Metadata {
    /// The level of the macro (`log!` records the run-time level per event).
    pub level: Level,
    /// `module_path!()`: the logger name.
    pub target: &'static str,
    /// `file!()`.
    pub file: &'static str,
    /// `line!()`.
    pub line: u32,
    /// `column!()`.
    pub column: u32,
    /// Returns the type name of an item nested in the enclosing function;
    /// [`Callsite::function`] turns it into the bare function name.
    pub function: fn() -> &'static str,
    /// The message literal as written.
    pub template: &'static str,
    /// The message, split into literal text and value slots.
    pub pieces: &'static [Piece],
    /// Names of the `key = value` fields; their values follow the message
    /// values in the record.
    pub fields: &'static [&'static str],
    /// How many values belong to the message alone.
    pub message_values: u16,
}

/// A call site: its metadata plus the cached filter verdict. Not public API.
#[derive(Debug)]
pub struct Callsite {
    meta: &'static Metadata,
    /// 0: not registered yet; otherwise the lowest enabled level number
    /// (`filter::OFF` for none).
    threshold: AtomicU8,
    registered: AtomicBool,
    next: AtomicPtr<Callsite>,
    function: std::sync::OnceLock<&'static str>,
}

static HEAD: AtomicPtr<Callsite> = AtomicPtr::new(ptr::null_mut());

impl Callsite {
    #[doc(hidden)]
    #[must_use]
    pub const fn new(meta: &'static Metadata) -> Callsite {
        Callsite {
            meta,
            threshold: AtomicU8::new(0),
            registered: AtomicBool::new(false),
            next: AtomicPtr::new(ptr::null_mut()),
            function: std::sync::OnceLock::new(),
        }
    }

    /// The call site's metadata.
    #[must_use]
    pub fn metadata(&self) -> &'static Metadata {
        self.meta
    }

    /// Whether an event at `level` from here is enabled.
    #[inline(always)]
    pub fn enabled(&'static self, level: Level) -> bool {
        let threshold = self.threshold.load(Ordering::Relaxed);
        if level.number() < threshold {
            return false;
        }
        if threshold == 0 {
            return self.register(level);
        }
        true
    }

    #[cold]
    #[inline(never)]
    fn register(&'static self, level: Level) -> bool {
        if self
            .registered
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let mut head = HEAD.load(Ordering::Acquire);
            loop {
                self.next.store(head, Ordering::Relaxed);
                match HEAD.compare_exchange_weak(
                    head,
                    ptr::from_ref(self).cast_mut(),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(h) => head = h,
                }
            }
        }
        let threshold = crate::logger::threshold_for(self.meta.target, |t| {
            self.threshold.store(t, Ordering::Relaxed);
        });
        level.number() >= threshold
    }

    /// The bare name of the function that holds this call site (`charge`,
    /// also from inside closures and async blocks), computed once.
    pub fn function(&self) -> &'static str {
        self.function
            .get_or_init(|| bare_function_name((self.meta.function)()))
    }
}

/// Forgets every call site's cached verdict so that the next call asks the
/// (new) filter again.
pub(crate) fn reset_all() {
    let mut cur = HEAD.load(Ordering::Acquire);
    while !cur.is_null() {
        // SAFETY: only `&'static Callsite`s are ever pushed onto the list, and
        // they are never removed.
        let site = unsafe { &*cur };
        site.threshold.store(0, Ordering::Relaxed);
        cur = site.next.load(Ordering::Acquire);
    }
}

/// `my_crate::handlers::charge::{{closure}}::__pulselog_function` → `charge`.
fn bare_function_name(path: &'static str) -> &'static str {
    let mut path = path.rsplit_once("::").map_or(path, |(head, _)| head);
    while let Some(head) = path.strip_suffix("::{{closure}}") {
        path = head;
    }
    let name = path.rsplit_once("::").map_or(path, |(_, last)| last);
    // Inside a generic impl the path ends in `method<T>` only for the impl's
    // own name; a function name never carries generics, but trim defensively.
    name.split('<').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::bare_function_name;

    #[test]
    fn function_names_are_bare() {
        assert_eq!(
            bare_function_name("a::b::charge::__pulselog_function"),
            "charge"
        );
        assert_eq!(
            bare_function_name("a::charge::{{closure}}::{{closure}}::__pulselog_function"),
            "charge"
        );
        assert_eq!(
            bare_function_name("a::<impl a::S>::method::__pulselog_function"),
            "method"
        );
        assert_eq!(bare_function_name("main::__pulselog_function"), "main");
    }
}
