//! How a value of the user's type is recorded: the sealed [`Encode`] trait
//! for the types encoded natively, the autoref tiers that pick `Encode`,
//! `Display` or `Debug` by type at compile time, and [`Redacted`].
//!
//! Numbers, booleans, chars and strings are copied into the record as tagged
//! bytes (no formatting, no allocation while they fit the record's inline
//! buffer). Any other type is formatted once at the call site, through
//! `Display` or `Debug`, straight into the record. Which path a value takes is
//! decided at compile time by autoref specialization on [`Wrap`].

use crate::encode::Encoder;
use std::borrow::Cow;
use std::fmt;

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
    /// Appends the value to an event's (or a context's) values.
    #[doc(hidden)]
    fn encode(&self, rec: &mut Encoder);
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
            fn encode(&self, rec: &mut Encoder) {
                rec.$method(*self as $as);
            }
        }
    )*};
    ($method:ident: $t:ty) => {
        impl sealed::Sealed for $t {}
        impl Encode for $t {
            #[inline]
            fn encode(&self, rec: &mut Encoder) {
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
            fn encode(&self, rec: &mut Encoder) {
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
    fn encode(&self, rec: &mut Encoder) {
        (**self).encode(rec);
    }
}
impl<T: Encode + ?Sized> sealed::Sealed for &mut T {}
impl<T: Encode + ?Sized> Encode for &mut T {
    #[inline]
    fn encode(&self, rec: &mut Encoder) {
        (**self).encode(rec);
    }
}
impl<T: Encode> sealed::Sealed for Option<T> {}
impl<T: Encode> Encode for Option<T> {
    #[inline]
    fn encode(&self, rec: &mut Encoder) {
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
            fn $method(&self, rec: &mut Encoder);
        }
        impl<T: $bound + ?Sized> $trait for $wrap {
            #[inline]
            fn $method(&self, $rec: &mut Encoder) {
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
/// OTLP export) and `testing` capture show `[REDACTED]`
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
    fn encode(&self, rec: &mut Encoder) {
        rec.push_str(REDACTED);
    }
}

#[cfg(feature = "secrecy")]
impl<S: secrecy::zeroize::Zeroize + ?Sized> sealed::Sealed for secrecy::SecretBox<S> {}
#[cfg(feature = "secrecy")]
impl<S: secrecy::zeroize::Zeroize + ?Sized> Encode for secrecy::SecretBox<S> {
    #[inline]
    fn encode(&self, rec: &mut Encoder) {
        rec.push_str(REDACTED);
    }
}
