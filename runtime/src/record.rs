//! The record a log call builds on its own stack and hands to the queue.

use crate::callsite::Callsite;
use crate::context::Context;
use crate::level::Level;
use crate::value::tag;
use smallvec::SmallVec;
use std::fmt::{self, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Bytes of encoded values a record holds without allocating. Sized so that
/// a record with a handful of numbers and short strings stays inline (a
/// number takes 9 bytes, a string 5 plus its length), while the whole record
/// is two cache lines: records are copied into and out of the queue, and at
/// 8 M events/s every line copied counts.
pub(crate) const INLINE: usize = 88;

pub(crate) type Data = SmallVec<[u8; INLINE]>;

/// Placeholder written when a value's `Display`/`Debug` panics.
pub(crate) const PANICKED: &str = "<panicked while formatting>";

/// One event, as it travels from the call site to the writer thread.
#[derive(Debug)]
pub struct Record {
    pub(crate) callsite: &'static Callsite,
    pub(crate) level: Level,
    /// Raw time of the call (`format::time::stamp`); converted to wall time
    /// where the record is formatted.
    pub(crate) stamp: u64,
    pub(crate) context: Context,
    pub(crate) data: Data,
}

/// Encodes one event's values at the call site. Not public API: generated
/// code creates one per enabled event.
#[doc(hidden)]
#[derive(Debug)]
pub struct RecordBuilder {
    callsite: Option<&'static Callsite>,
    level: Level,
    data: Data,
}

impl RecordBuilder {
    #[doc(hidden)]
    #[inline]
    #[must_use]
    pub fn new(callsite: &'static Callsite, level: Level) -> RecordBuilder {
        RecordBuilder {
            callsite: Some(callsite),
            level,
            data: SmallVec::new(),
        }
    }

    /// A builder that only encodes values (for context fields).
    pub(crate) fn scratch() -> RecordBuilder {
        RecordBuilder {
            callsite: None,
            level: Level::Info,
            data: SmallVec::new(),
        }
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.data.into_vec()
    }

    /// Hands the event to the logger.
    #[doc(hidden)]
    #[inline]
    pub fn submit(self) {
        if let Some(callsite) = self.callsite {
            crate::logger::dispatch(Record {
                callsite,
                level: self.level,
                stamp: crate::format::time::stamp(),
                context: Context::current(),
                data: self.data,
            });
        }
    }

    #[inline]
    fn tagged(&mut self, t: u8, bytes: &[u8]) {
        self.data.push(t);
        self.data.extend_from_slice(bytes);
    }

    #[doc(hidden)]
    #[inline]
    pub fn push_i64(&mut self, v: i64) {
        self.tagged(tag::I64, &v.to_ne_bytes());
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_u64(&mut self, v: u64) {
        self.tagged(tag::U64, &v.to_ne_bytes());
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_i128(&mut self, v: i128) {
        self.tagged(tag::I128, &v.to_ne_bytes());
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_u128(&mut self, v: u128) {
        self.tagged(tag::U128, &v.to_ne_bytes());
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_f32(&mut self, v: f32) {
        self.tagged(tag::F32, &v.to_ne_bytes());
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_f64(&mut self, v: f64) {
        self.tagged(tag::F64, &v.to_ne_bytes());
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_bool(&mut self, v: bool) {
        self.tagged(tag::BOOL, &[u8::from(v)]);
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_char(&mut self, v: char) {
        self.tagged(tag::CHAR, &u32::from(v).to_ne_bytes());
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_null(&mut self) {
        self.data.push(tag::NULL);
    }
    #[doc(hidden)]
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        // A string longer than 4 GiB is cut at a char boundary; such a log
        // line would be useless anyway.
        let mut len = s.len().min(u32::MAX as usize);
        while !s.is_char_boundary(len) {
            len -= 1;
        }
        self.data.push(tag::STR);
        self.data.extend_from_slice(&(len as u32).to_ne_bytes());
        self.data.extend_from_slice(&s.as_bytes()[..len]);
    }

    /// Records `format_args!` output as a string (message arguments with a
    /// format spec). A panic inside the formatting leaves a placeholder.
    #[doc(hidden)]
    pub fn formatted(&mut self, args: fmt::Arguments<'_>) {
        if let Some(s) = args.as_str() {
            self.push_str(s);
            return;
        }
        self.write_str_value(|w| w.write_fmt(args));
    }

    /// Records a value through its `Display` impl.
    #[doc(hidden)]
    pub fn display<T: fmt::Display + ?Sized>(&mut self, v: &T) {
        self.write_str_value(|w| write!(w, "{v}"));
    }

    /// Records a value through its `Debug` impl.
    #[doc(hidden)]
    pub fn debug<T: fmt::Debug + ?Sized>(&mut self, v: &T) {
        self.write_str_value(|w| write!(w, "{v:?}"));
    }

    fn write_str_value(&mut self, f: impl FnOnce(&mut StrWriter<'_>) -> fmt::Result) {
        let start = self.data.len();
        self.data.push(tag::STR);
        self.data.extend_from_slice(&[0; 4]);
        let body = self.data.len();
        let ok = catch_unwind(AssertUnwindSafe(|| {
            f(&mut StrWriter(&mut self.data)).is_ok()
        }))
        .unwrap_or(false);
        if !ok {
            self.data.truncate(start);
            self.push_str(PANICKED);
            return;
        }
        let len = u32::try_from(self.data.len() - body).unwrap_or(u32::MAX);
        self.data[start + 1..body].copy_from_slice(&len.to_ne_bytes());
    }
}

struct StrWriter<'a>(&'a mut Data);

impl fmt::Write for StrWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}
