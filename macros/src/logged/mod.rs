//! `#[logged]`: parse the options and the function, check them, expand.

mod ast;
mod attr;
mod expand;
mod valid;

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let func = match syn::parse2::<ast::Function>(item.clone()) {
        Ok(func) => func,
        Err(err) => {
            let msg = syn::Error::new(err.span(), format!("`#[logged]` goes on a function: {err}"));
            return fallback(&msg, item);
        }
    };
    let cx = Ctxt::new();
    let args = attr::parse(&cx, args);
    let bindings = func.bindings();
    let plan = valid::check(&cx, &func, &args, &bindings);
    match cx.check() {
        Ok(()) => expand::expand(&plan),
        Err(err) => fallback(&err, func.to_tokens_unchanged()),
    }
}

/// The errors, plus the function as the user wrote it, so that one mistake
/// in the attribute does not turn into a cascade of "cannot find function".
fn fallback(err: &syn::Error, item: TokenStream) -> TokenStream {
    let mut out = err.to_compile_error();
    out.extend(item);
    out
}
