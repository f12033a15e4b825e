// The log macros expand to absolute paths only: they compile without the
// prelude, with the prelude's names and `concat!`/`format_args!` shadowed,
// and without warnings.
#![no_implicit_prelude]
#![deny(warnings)]
#![allow(dead_code, unused_imports, unused_macros)]

struct Option;
struct Result;
struct Box;
struct String;
enum Shadow {
    Ok,
    Err,
    Some,
    None,
}
use Shadow::{Err, None, Ok, Some};

macro_rules! concat {
    ($($t:tt)*) => {
        compile_error!("the user's concat! was called")
    };
}
macro_rules! format_args {
    ($($t:tt)*) => {
        compile_error!("the user's format_args! was called")
    };
}

pub fn main() {
    let x = 1;
    let name = "n";
    ::pulselog::trace!("t {x}");
    ::pulselog::debug!("d {} {name:?}", x);
    ::pulselog::info!("i {0:>4}", x, key = 1, other = "s", dotted.key = true);
    ::pulselog::warning!("w", shown = %x, debugged = ?name);
    ::pulselog::warn!("w",);
    ::pulselog::error!("e {k}", k = 2);
    ::pulselog::critical!("c");
    ::pulselog::log!(::pulselog::Level::Info, "l {}", x);
    ::pulselog::info!(every: 100, "sampled {x}", key = 1);
    ::pulselog::warning!(target: "audit", first: 10, "sampled", x);
    ::pulselog::log!(::pulselog::Level::Info, per_sec: 5, "sampled");
}
