//! Implementation detail of pulselog: the procedural macros behind its log
//! macros and `#[logged]`. Use them through the `pulselog` crate; nothing here
//! is a stable interface on its own.

mod ctxt;
mod event;
mod field;
mod logged;
mod template;

use proc_macro::TokenStream;

/// Expands one log event. Called by pulselog's `macro_rules!` front ends
/// (through `pulselog::__private::event!`) as
/// `$crate <macro name> <level> <user tokens>`, with no commas between the
/// first three: `$crate info Info "msg", k = v` for a level macro, and
/// `$crate log (<level expr>) …` for `log!`; not public API.
#[doc(hidden)]
#[proc_macro]
pub fn __event(input: TokenStream) -> TokenStream {
    event::expand(input.into()).into()
}

/// `#[logged]`: `enter`/`exit` events and a request context around a
/// function. Documented in `pulselog` (`pulselog::logged`).
#[proc_macro_attribute]
pub fn logged(args: TokenStream, item: TokenStream) -> TokenStream {
    logged::expand(args.into(), item.into()).into()
}
