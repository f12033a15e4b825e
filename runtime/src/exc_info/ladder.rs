//! What the macros call: pick how to record a value by its type (autoref
//! specialization, as in `value.rs`).
//!
//! Two ladders, one trait per tier, tried from the most specific (the most
//! `&`s) down. `exc_info = e` and `log_error!(e, …)` call
//! `rec.attach((&&&&ExcWrap(&e)).__pulselog_exc_info(backtrace))` with the four
//! `ExcInfo*` traits in scope; the error of a `Result` (`#[logged(err)]`)
//! calls `rec.attach((&&&&&&ExcWrap(&e)).__pulselog_err(backtrace))` with the
//! six `Err*` traits in scope. Both start with the same three error tiers
//! (`error_tiers!`); `exc_info` then takes a panic payload, `#[logged(err)]`
//! a panic payload, any `Display`, then any `Debug` (message only).

use super::{ExcInfo, capture_error, capture_message, capture_panic, type_name_of};
use std::any::Any;
use std::error::Error;
use std::fmt;
use std::ops::Deref;

/// Wraps the operand of `exc_info = …`, `log_error!(err, …)` or
/// `#[logged(err)]`. Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct ExcWrap<'a, T: ?Sized>(pub &'a T);

/// Anything that is a `dyn Error`: sized errors and the error trait objects.
#[doc(hidden)]
pub trait AsDynError {
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_);
}
impl<T: Error> AsDynError for T {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}
impl AsDynError for dyn Error + '_ {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}
impl AsDynError for dyn Error + Send + '_ {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}
impl AsDynError for dyn Error + Sync + '_ {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}
impl AsDynError for dyn Error + Send + Sync + '_ {
    #[inline]
    fn __pulselog_as_dyn_error(&self) -> &(dyn Error + '_) {
        self
    }
}

/// A panic payload, as `catch_unwind` returns it or the panic hook sees it.
/// For `exc_info`, this is also where an unsupported type is reported.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be logged as exc_info: it is not an error",
    label = "not an error or a panic payload",
    note = "exc_info takes a `std::error::Error` (by value or by reference, `&dyn Error` included), a type that derefs to one (`Box<dyn Error + Send + Sync>`, `anyhow::Error`), or a panic payload (`Box<dyn Any + Send>` from `catch_unwind`)",
    note = "to log any other value, record it as a field: `key = value`, `key = %value` or `key = ?value`"
)]
pub trait PanicPayload {
    #[doc(hidden)]
    fn __pulselog_payload(&self) -> &(dyn Any + Send);
}
#[diagnostic::do_not_recommend]
impl PanicPayload for dyn Any + Send {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        self
    }
}
#[diagnostic::do_not_recommend]
impl PanicPayload for dyn Any + Send + Sync {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        self
    }
}
#[diagnostic::do_not_recommend]
impl PanicPayload for Box<dyn Any + Send> {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        &**self
    }
}
#[diagnostic::do_not_recommend]
impl PanicPayload for Box<dyn Any + Send + Sync> {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        &**self
    }
}
#[diagnostic::do_not_recommend]
impl<T: PanicPayload + ?Sized> PanicPayload for &T {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        (**self).__pulselog_payload()
    }
}
#[diagnostic::do_not_recommend]
impl<T: PanicPayload + ?Sized> PanicPayload for &mut T {
    fn __pulselog_payload(&self) -> &(dyn Any + Send) {
        (**self).__pulselog_payload()
    }
}

/// The three tiers both ladders start with, from the most specific: an
/// error; a type that derefs to one (`Box<dyn Error>`, `anyhow::Error`); a
/// reference to such a type (`&Box<dyn Error>`, `&anyhow::Error`). Each is
/// recorded with its chain. The caller names the traits, their method and the
/// autoref depth (`Self` type) of each tier.
macro_rules! error_tiers {
    (
        $ladder:literal, fn $method:ident;
        $error:ident for $error_ty:ty,
        $deref:ident for $deref_ty:ty,
        $deref2:ident for $deref2_ty:ty $(,)?
    ) => {
        error_tiers! {
            @tier concat!($ladder, " tier 1: an error. Not public API."),
            $error for $error_ty, fn $method, [],
            where T: AsDynError + ?Sized,
        }
        error_tiers! {
            @tier concat!(
                $ladder,
                " tier 2: derefs to an error (`Box<dyn Error>`, `anyhow::Error`). ",
                "Not public API.",
            ),
            $deref for $deref_ty, fn $method, [*],
            where T: Deref + ?Sized, T::Target: AsDynError,
        }
        error_tiers! {
            @tier concat!(
                $ladder,
                " tier 3: a reference to something that derefs to an error ",
                "(`&Box<dyn Error>`, `&anyhow::Error`). Not public API.",
            ),
            $deref2 for $deref2_ty, fn $method, [**],
            where T: Deref + ?Sized, T::Target: Deref, <T::Target as Deref>::Target: AsDynError,
        }
    };
    // One tier: `$($deref)* *self.0` is the error itself.
    (
        @tier $doc:expr, $tier:ident for $self_ty:ty, fn $method:ident, [$($deref:tt)*],
        where $($bounds:tt)*
    ) => {
        #[doc = $doc]
        #[doc(hidden)]
        pub trait $tier {
            fn $method(&self, backtrace: bool) -> Box<ExcInfo>;
        }
        impl<T> $tier for $self_ty
        where
            $($bounds)*
        {
            #[inline]
            fn $method(&self, backtrace: bool) -> Box<ExcInfo> {
                capture_error(
                    type_name_of::<T>(),
                    ($($deref)* *self.0).__pulselog_as_dyn_error(),
                    backtrace,
                )
            }
        }
    };
}

error_tiers! {
    "`exc_info`", fn __pulselog_exc_info;
    ExcInfoError for &&&ExcWrap<'_, T>,
    ExcInfoDeref for &&ExcWrap<'_, T>,
    ExcInfoDeref2 for &ExcWrap<'_, T>,
}

/// `exc_info` tier 4: a panic payload; for any other type, the method's
/// bound reports what `exc_info` accepts (a bound on the method, not the
/// impl, so that the message is `PanicPayload`'s, not "method not found").
/// Written out, not generated, so that the note points at plain code. Not
/// public API.
#[doc(hidden)]
pub trait ExcInfoOther {
    type Inner: ?Sized;
    fn __pulselog_exc_info(&self, backtrace: bool) -> Box<ExcInfo>
    where
        Self::Inner: PanicPayload;
}
impl<T: ?Sized> ExcInfoOther for ExcWrap<'_, T> {
    type Inner = T;
    #[inline]
    fn __pulselog_exc_info(&self, backtrace: bool) -> Box<ExcInfo>
    where
        T: PanicPayload,
    {
        capture_panic(self.0.__pulselog_payload(), None, backtrace)
    }
}

error_tiers! {
    "`#[logged(err)]`", fn __pulselog_err;
    ErrError for &&&&&ExcWrap<'_, T>,
    ErrDeref for &&&&ExcWrap<'_, T>,
    ErrDeref2 for &&&ExcWrap<'_, T>,
}

/// `#[logged(err)]` tier 4: a panic payload. Not public API.
#[doc(hidden)]
pub trait ErrPanic {
    fn __pulselog_err(&self, backtrace: bool) -> Box<ExcInfo>;
}
impl<T: PanicPayload + ?Sized> ErrPanic for &&ExcWrap<'_, T> {
    #[inline]
    fn __pulselog_err(&self, backtrace: bool) -> Box<ExcInfo> {
        capture_panic(self.0.__pulselog_payload(), None, backtrace)
    }
}

/// `#[logged(err)]` tier 5: anything `Display` (message only). Not public
/// API.
#[doc(hidden)]
pub trait ErrDisplay {
    fn __pulselog_err(&self, backtrace: bool) -> Box<ExcInfo>;
}
impl<T: fmt::Display + ?Sized> ErrDisplay for &ExcWrap<'_, T> {
    #[inline]
    fn __pulselog_err(&self, backtrace: bool) -> Box<ExcInfo> {
        let v = self.0;
        capture_message(type_name_of::<T>(), &|s| write!(s, "{v}"), backtrace)
    }
}

/// The error type of a function with `#[logged(err)]`, when it is not an
/// error: its `Debug` is the message. Not public API.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`#[logged(err)]` cannot log an `Err` of type `{Self}`",
    label = "implements neither `Error`, `Display` nor `Debug`",
    note = "the error type must implement `std::error::Error` (logged with its source chain), `Display` or `Debug` (logged as its message)"
)]
pub trait LoggableErr {
    #[doc(hidden)]
    fn __pulselog_debug(&self, s: &mut dyn fmt::Write) -> fmt::Result;
}
impl<T: fmt::Debug + ?Sized> LoggableErr for T {
    fn __pulselog_debug(&self, s: &mut dyn fmt::Write) -> fmt::Result {
        write!(s, "{self:?}")
    }
}

/// `#[logged(err)]` tier 6: anything `Debug` (message only); for any other
/// type, the method's bound says what is needed (written out like
/// `ExcInfoOther`). Not public API.
#[doc(hidden)]
pub trait ErrDebug {
    type Inner: ?Sized;
    fn __pulselog_err(&self, backtrace: bool) -> Box<ExcInfo>
    where
        Self::Inner: LoggableErr;
}
impl<T: ?Sized> ErrDebug for ExcWrap<'_, T> {
    type Inner = T;
    #[inline]
    fn __pulselog_err(&self, backtrace: bool) -> Box<ExcInfo>
    where
        T: LoggableErr,
    {
        let v = self.0;
        capture_message(type_name_of::<T>(), &|s| v.__pulselog_debug(s), backtrace)
    }
}
