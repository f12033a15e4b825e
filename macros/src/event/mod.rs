//! The log macros (`info!`, `log!`, …): parse the call, check it, expand it.

mod expand;
mod parse;
mod valid;

pub(crate) use valid::RESERVED;

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;

pub fn expand(input: TokenStream) -> TokenStream {
    let call = match syn::parse2::<parse::EventCall>(input) {
        Ok(call) => call,
        Err(err) => return err.to_compile_error(),
    };
    let cx = Ctxt::new();
    let plan = valid::check(&cx, &call);
    match cx.check() {
        Ok(()) => expand::expand(&plan),
        Err(err) => err.to_compile_error(),
    }
}
