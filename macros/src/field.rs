//! `key = value` fields, as the log macros and `#[logged(fields(...))]`
//! both take them.

use proc_macro2::TokenStream;
use syn::parse::ParseStream;
use syn::{Expr, Token};

/// How a field's value is recorded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sigil {
    /// By type: numbers and booleans stay numbers, strings stay strings,
    /// anything else through `Display`, else `Debug`.
    Auto,
    /// `key = %value`: always through `Display`.
    Display,
    /// `key = ?value`: always through `Debug`.
    Debug,
}

pub struct Field {
    /// The key as written, dots included (`http.method`).
    pub key: String,
    /// Tokens of the key, for error spans.
    pub key_tokens: TokenStream,
    pub sigil: Sigil,
    pub value: Expr,
}

impl Field {
    /// Parses what follows `key =`: an optional `%` or `?`, then the value.
    /// A missing value is blamed on the key.
    pub fn parse_value(
        input: ParseStream<'_>,
        key: String,
        key_tokens: TokenStream,
    ) -> syn::Result<Field> {
        let sigil = if input.peek(Token![%]) {
            input.parse::<Token![%]>()?;
            Sigil::Display
        } else if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            Sigil::Debug
        } else {
            Sigil::Auto
        };
        if input.is_empty() || input.peek(Token![,]) {
            return Err(syn::Error::new_spanned(
                &key_tokens,
                format!("missing value for field `{key}`: write `{key} = value`"),
            ));
        }
        Ok(Field {
            key,
            key_tokens,
            sigil,
            value: input.parse()?,
        })
    }
}
