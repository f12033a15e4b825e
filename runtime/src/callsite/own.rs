//! Call sites a record owns: a `log` record's call site made past the
//! bound of kept run-time sites (see `interned`), freed with its record.
//! Its address may be another site's afterwards, so nothing may remember
//! it by address (the formatters' template caches and the repeat detection
//! ask [`is_own`]).

use super::{Callsite, Piece};

/// The pieces of an own site's message: its first value, as a kept run-time
/// site's; a `static` has an address of its own, which marks such a site.
pub(crate) static OWN_PIECES: [Piece; 1] = [Piece::Value(0)];

/// Whether `site` is one a record owns.
#[inline]
pub(crate) fn is_own(site: &Callsite) -> bool {
    std::ptr::eq(site.metadata().pieces.as_ptr(), OWN_PIECES.as_ptr())
}

/// Frees `site` if it is one a record owns; any other site is left alone.
/// The check is inlined where a record is dropped (the writer drops every
/// record it writes); the freeing is not.
///
/// # Safety
///
/// For an own site: the caller is its owner (the record made on it), and
/// nothing reads the site, its metadata or its strings afterwards.
#[cfg(any(feature = "log", feature = "tracing"))]
#[inline]
pub(crate) unsafe fn release(site: &'static Callsite) {
    if is_own(site) {
        // SAFETY: the caller's promise, passed on.
        unsafe { free(site) }
    }
}

/// See [`release`].
///
/// # Safety
///
/// As [`release`], for an own site.
#[cfg(any(feature = "log", feature = "tracing"))]
#[cold]
#[inline(never)]
unsafe fn free(site: &'static Callsite) {
    let meta = site.metadata();
    // SAFETY: an own site and its metadata were leaked from boxes by
    // `interned::SiteKey::leak`, and its strings and field list too; the
    // caller owns them all and nothing reads them after this.
    unsafe {
        drop(Box::from_raw(std::ptr::from_ref(site).cast_mut()));
        for s in meta.fields.iter().chain([&meta.target, &meta.file]) {
            drop(Box::from_raw(std::ptr::from_ref::<str>(s).cast_mut()));
        }
        drop(Box::from_raw(std::ptr::from_ref(meta.fields).cast_mut()));
        drop(Box::from_raw(std::ptr::from_ref(meta).cast_mut()));
    }
}
