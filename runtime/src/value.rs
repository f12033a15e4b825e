//! Values as a call site encodes them into a record, and as the writer thread
//! reads them back.
//!
//! Numbers, booleans, chars and strings are copied into the record as tagged
//! bytes (no formatting, no allocation while they fit the record's inline
//! buffer). Any other type is formatted once at the call site, through
//! `Display` or `Debug`, straight into the record. Which path a value takes is
//! decided at compile time by autoref specialization on [`Wrap`].

use crate::record::{Data, RecordBuilder};
use std::borrow::Cow;
use std::fmt;

/// A value decoded from a record. New kinds of value may be added.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A signed integer wider than 64 bits.
    I128(i128),
    /// An unsigned integer wider than 64 bits.
    U128(u128),
    /// A 32-bit float (kept apart so that it prints as `f32` does).
    F32(f32),
    /// A 64-bit float.
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// A character.
    Char(char),
    /// Text: a string, or any value rendered through `Display`/`Debug`.
    Str(&'a str),
    /// An absent value (`None`).
    Null,
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::I64(v) => fmt::Display::fmt(&v, f),
            Value::U64(v) => fmt::Display::fmt(&v, f),
            Value::I128(v) => fmt::Display::fmt(&v, f),
            Value::U128(v) => fmt::Display::fmt(&v, f),
            Value::F32(v) => fmt::Display::fmt(&v, f),
            Value::F64(v) => fmt::Display::fmt(&v, f),
            Value::Bool(v) => fmt::Display::fmt(&v, f),
            Value::Char(v) => fmt::Display::fmt(&v, f),
            Value::Str(v) => f.write_str(v),
            Value::Null => f.write_str("None"),
        }
    }
}

pub(crate) mod tag {
    pub(crate) const I64: u8 = 1;
    pub(crate) const U64: u8 = 2;
    pub(crate) const I128: u8 = 3;
    pub(crate) const U128: u8 = 4;
    pub(crate) const F32: u8 = 5;
    pub(crate) const F64: u8 = 6;
    pub(crate) const BOOL: u8 = 7;
    pub(crate) const CHAR: u8 = 8;
    pub(crate) const STR: u8 = 9;
    pub(crate) const NULL: u8 = 10;
}

/// Reads the values of a record back, in the order they were encoded.
///
/// Strings are not validated as UTF-8 again: a [`Data`] holds only what the
/// encoder wrote, which copies whole `&str`s into a record (the type's
/// invariant). Validating them on
/// the writer cost about 100 instructions per line, a sixth of decoding.
#[derive(Clone)]
pub(crate) struct Decoder<'a> {
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    /// A decoder over a record's (or a context frame's) encoded values.
    pub(crate) fn new(data: &'a Data) -> Self {
        Decoder { buf: data }
    }

    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (head, rest) = self.buf.split_at(N);
        self.buf = rest;
        head.try_into().expect("split_at returned N bytes")
    }
}

impl<'a> Iterator for Decoder<'a> {
    type Item = Value<'a>;

    #[inline]
    fn next(&mut self) -> Option<Value<'a>> {
        let (&t, rest) = self.buf.split_first()?;
        self.buf = rest;
        Some(match t {
            tag::I64 => Value::I64(i64::from_ne_bytes(self.take())),
            tag::U64 => Value::U64(u64::from_ne_bytes(self.take())),
            tag::I128 => Value::I128(i128::from_ne_bytes(self.take())),
            tag::U128 => Value::U128(u128::from_ne_bytes(self.take())),
            tag::F32 => Value::F32(f32::from_ne_bytes(self.take())),
            tag::F64 => Value::F64(f64::from_ne_bytes(self.take())),
            tag::BOOL => Value::Bool(self.take::<1>()[0] != 0),
            tag::CHAR => {
                Value::Char(char::from_u32(u32::from_ne_bytes(self.take())).unwrap_or('\u{FFFD}'))
            }
            tag::STR => {
                let len = u32::from_ne_bytes(self.take()) as usize;
                let (s, rest) = self.buf.split_at(len);
                self.buf = rest;
                debug_assert!(std::str::from_utf8(s).is_ok());
                // SAFETY: the bytes come from a `Data` (`new` takes nothing
                // else), which only `RecordBuilder` writes: its string
                // values (`push_str`, `write_str_value`) are a length and
                // then whole `&str`s copied byte for byte, cut only at a
                // char boundary.
                Value::Str(unsafe { std::str::from_utf8_unchecked(s) })
            }
            tag::NULL => Value::Null,
            _ => {
                self.buf = &[];
                return None;
            }
        })
    }
}

/// Access by slot to a record's values, decoding as it goes: cheap when
/// the slots are read in order (as a message template and then the fields
/// read them), and correct in any order (a template may use a value twice,
/// or out of order).
#[derive(Clone)]
pub(crate) struct Cursor<'a> {
    all: Decoder<'a>,
    rest: Decoder<'a>,
    /// Slot of the value `rest` decodes next.
    at: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(values: Decoder<'a>) -> Self {
        Cursor {
            rest: values.clone(),
            all: values,
            at: 0,
        }
    }

    /// The value in slot `i`.
    #[inline]
    pub(crate) fn get(&mut self, i: usize) -> Option<Value<'a>> {
        if i < self.at {
            self.rest = self.all.clone();
            self.at = 0;
        }
        let v = self.rest.nth(i - self.at);
        self.at = i + 1;
        v
    }
}

/// Types recorded natively, without going through `Display`.
///
/// Implemented for the integer and float types, `bool`, `char`, the string
/// types, paths and OS strings (lossily converted to UTF-8), references to
/// these and `Option` of these (`None` becomes `null`).
///
/// The trait is sealed: the encoding is the record's wire format, which
/// only pulselog writes. A type of your own is recorded through its
/// `Display` (or, failing that, its `Debug`) impl: a field `key = value`
/// picks the native encoding when there is one and falls back by itself,
/// and `key = %value` / `key = ?value` choose explicitly.
pub trait Encode: sealed::Sealed {
    /// Appends the value to a record.
    #[doc(hidden)]
    fn encode(&self, rec: &mut RecordBuilder);
}

mod sealed {
    /// The supertrait that keeps [`Encode`](super::Encode) closed: public
    /// in a private module, so nothing outside pulselog can name it.
    #[allow(unreachable_pub)]
    pub trait Sealed {}
}

macro_rules! encode_as {
    ($method:ident as $as:ty: $($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Encode for $t {
            #[inline]
            fn encode(&self, rec: &mut RecordBuilder) {
                rec.$method(*self as $as);
            }
        }
    )*};
    ($method:ident: $t:ty) => {
        impl sealed::Sealed for $t {}
        impl Encode for $t {
            #[inline]
            fn encode(&self, rec: &mut RecordBuilder) {
                rec.$method(*self);
            }
        }
    };
}
encode_as!(push_i64 as i64: i8, i16, i32, i64, isize);
encode_as!(push_u64 as u64: u8, u16, u32, u64, usize);
encode_as!(push_i128 as i128: i128);
encode_as!(push_u128 as u128: u128);
encode_as!(push_f32 as f32: f32);
encode_as!(push_f64 as f64: f64);
encode_as!(push_bool: bool);
encode_as!(push_char: char);

/// Types encoded as a string: `$text` turns `self` into a `&str` (or a
/// `Cow<str>`, for OS strings and paths that may not be UTF-8).
macro_rules! encode_str {
    ($t:ty => |$v:ident| $text:expr) => {
        impl sealed::Sealed for $t {}
        impl Encode for $t {
            #[inline]
            fn encode(&self, rec: &mut RecordBuilder) {
                let $v = self;
                rec.push_str(&$text);
            }
        }
    };
}
encode_str!(str => |s| s);
encode_str!(String => |s| s);
encode_str!(Cow<'_, str> => |s| s);
encode_str!(Box<str> => |s| s);
encode_str!(std::sync::Arc<str> => |s| s);
encode_str!(std::ffi::OsStr => |s| s.to_string_lossy());
encode_str!(std::ffi::OsString => |s| s.to_string_lossy());
encode_str!(std::path::Path => |s| s.to_string_lossy());
encode_str!(std::path::PathBuf => |s| s.to_string_lossy());

impl<T: Encode + ?Sized> sealed::Sealed for &T {}
impl<T: Encode + ?Sized> Encode for &T {
    #[inline]
    fn encode(&self, rec: &mut RecordBuilder) {
        (**self).encode(rec);
    }
}
impl<T: Encode + ?Sized> sealed::Sealed for &mut T {}
impl<T: Encode + ?Sized> Encode for &mut T {
    #[inline]
    fn encode(&self, rec: &mut RecordBuilder) {
        (**self).encode(rec);
    }
}
impl<T: Encode> sealed::Sealed for Option<T> {}
impl<T: Encode> Encode for Option<T> {
    #[inline]
    fn encode(&self, rec: &mut RecordBuilder) {
        match self {
            Some(v) => v.encode(rec),
            None => rec.push_null(),
        }
    }
}

/// Wraps a value so that the log macros can pick how to record it by its type
/// (autoref specialization). Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

/// One tier of an autoref ladder: a trait with the one method the
/// expansion calls, implemented for `Wrap` behind as many `&` as the tier's
/// rank (more `&`s are tried first).
macro_rules! tier {
    ($(#[$doc:meta])* $trait:ident::$method:ident for $wrap:ty where T: $bound:path => |$v:ident, $rec:ident| $body:expr) => {
        $(#[$doc])*
        #[doc(hidden)]
        pub trait $trait {
            fn $method(&self, rec: &mut RecordBuilder);
        }
        impl<T: $bound + ?Sized> $trait for $wrap {
            #[inline]
            fn $method(&self, $rec: &mut RecordBuilder) {
                let $v = self.0;
                $body;
            }
        }
    };
}

tier! {
    /// Field tier 1: natively encoded types. Not public API.
    FieldKnown::__pulselog_field for &&Wrap<'_, T> where T: Encode => |v, rec| v.encode(rec)
}
tier! {
    /// Field tier 2: anything `Display`. Not public API.
    FieldDisplay::__pulselog_field for &Wrap<'_, T> where T: fmt::Display => |v, rec| rec.display(v)
}
tier! {
    /// Field tier 3: anything `Debug`. Not public API.
    FieldDebug::__pulselog_field for Wrap<'_, T> where T: fmt::Debug => |v, rec| rec.debug(v)
}
tier! {
    /// Message argument tier 1: natively encoded types. Not public API.
    ArgKnown::__pulselog_arg for &Wrap<'_, T> where T: Encode => |v, rec| v.encode(rec)
}
tier! {
    /// Message argument tier 2: anything `Display`, as `format!("{}")`
    /// requires. Not public API.
    ArgDisplay::__pulselog_arg for Wrap<'_, T> where T: fmt::Display => |v, rec| rec.display(v)
}

/// What every format writes in place of a redacted value.
pub const REDACTED: &str = "[REDACTED]";

/// A value that is never written: every format (JSON, text, ECS, OTel, the
/// OTLP export) and the `pulselog::testing` capture show `[REDACTED]`
/// in its place, as a field, a message argument, a context field, an
/// argument `#[logged(args)]` records or a `Debug` struct's member.
///
/// Its `Display` and `Debug` write `[REDACTED]` too, so a secret inside a
/// struct or an error stays out of whatever formats that struct or error:
///
/// ```
/// use pulselog::Redacted;
/// use pulselog::prelude::*;
/// use pulselog::testing::Owned;
///
/// #[derive(Debug)]
/// struct Login {
///     user: String,
///     password: Redacted<String>,
/// }
///
/// let login = Login { user: "ada".into(), password: Redacted("hunter2".into()) };
/// let (_, events) = pulselog::testing::capture(|| {
///     info!("login", token = Redacted("tok-123"), login = ?login);
/// });
/// let e = events.only();
/// assert_eq!(e.field("token"), Some(Owned::Str("[REDACTED]".into())));
/// assert_eq!(
///     e.field("login"),
///     Some(Owned::Str(r#"Login { user: "ada", password: [REDACTED] }"#.into()))
/// );
/// assert_eq!(login.password.0, "hunter2"); // the program still reads it
/// ```
///
/// It has no `Deref`, so no autoref or deref step of the macros reaches the
/// value inside (the field `.0` is how the program does). With the feature `secrecy`, the `secrecy` crate's `SecretBox` (and so
/// `SecretString`) is written as `[REDACTED]` as well.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Redacted<T>(pub T);

impl<T> Redacted<T> {
    /// The value itself.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(value: T) -> Self {
        Redacted(value)
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> sealed::Sealed for Redacted<T> {}
impl<T> Encode for Redacted<T> {
    #[inline]
    fn encode(&self, rec: &mut RecordBuilder) {
        rec.push_str(REDACTED);
    }
}

#[cfg(feature = "secrecy")]
impl<S: secrecy::zeroize::Zeroize + ?Sized> sealed::Sealed for secrecy::SecretBox<S> {}
#[cfg(feature = "secrecy")]
impl<S: secrecy::zeroize::Zeroize + ?Sized> Encode for secrecy::SecretBox<S> {
    #[inline]
    fn encode(&self, rec: &mut RecordBuilder) {
        rec.push_str(REDACTED);
    }
}
