// The exc_info expansion uses absolute paths only: it compiles without the
// prelude, with the prelude's names shadowed, and without warnings.
#![no_implicit_prelude]
#![deny(warnings)]
#![allow(dead_code, unused_imports)]

struct Option;
struct Result;
struct Box;
enum Shadow {
    Ok,
    Err,
    Some,
    None,
}
use Shadow::{Err, None, Ok, Some};

pub fn main() {
    let err = ::std::io::Error::other("boom");
    let boxed: ::std::boxed::Box<dyn ::std::error::Error + ::std::marker::Send + ::std::marker::Sync> =
        ::std::convert::From::from("boxed");
    ::pulselog::log_error!(err, "failed");
    ::pulselog::log_error!(&err, "failed {}", 1, exc_info, k = 2);
    ::pulselog::log_error!(boxed, "failed");
    ::pulselog::warning!("failed", exc_info = &err);
}
