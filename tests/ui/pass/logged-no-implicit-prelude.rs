// The expansion uses absolute paths only: it compiles without the prelude
// and with `Option`, `Result`, `Ok`, `Err`, `Some`, `None`, `Box`, `Vec`
// and `concat` shadowed.
#![no_implicit_prelude]
#![deny(warnings)]
#![allow(dead_code, unused_macros)]

extern crate pulselog;
extern crate std;

use pulselog::logged;

struct Option;
struct Result;
struct Ok;
struct Err;
struct Some;
struct None;
struct Box;
struct Vec;
struct String;
macro_rules! concat {
    () => {};
}
macro_rules! format_args {
    () => {};
}

#[derive(Debug)]
struct Error;

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("e")
    }
}

#[logged(request_id, fields(k = 1, d = %"x", g = ?1), args, ret, err)]
fn sync(a: u32) -> std::result::Result<u32, Error> {
    std::result::Result::Ok(a)
}

#[logged(request_id = "r", args, ret, err)]
async fn asynchronous(a: u32) -> std::result::Result<u32, Error> {
    std::result::Result::Ok(a)
}

#[logged(err(level = |_e: &Error| ::pulselog::Level::Warning, message = "m", backtrace))]
fn classified(a: u32) -> std::result::Result<u32, Error> {
    std::result::Result::Err(Error).or(std::result::Result::Ok(a))
}

#[logged(fields(k = 1), ret)]
fn returns_future() -> impl std::future::Future<Output = u32> {
    async { 1 }
}

pub fn main() {
    let _ = sync(1);
    let _ = asynchronous(1);
    let _ = returns_future();
    let _ = classified(1);
}
