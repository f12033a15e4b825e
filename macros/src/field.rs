//! `key = value` fields, as the log macros and `#[logged(fields(...))]`
//! both take them.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::ParseStream;
use syn::{Expr, Ident, Token};

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

/// A field's key: `ident(.ident)*`. Keywords are keys like any other
/// name (`type = 1`), and a raw identifier is its name (`r#type` is `type`),
/// so `info!(.., r#type = 1)` and `#[logged(fields(r#type = 1))]` both
/// record `type`.
pub struct Key {
    /// The name, dots included (`http.method`).
    pub name: String,
    /// Tokens of the key, for error spans.
    pub tokens: TokenStream,
}

impl Key {
    pub fn parse(input: ParseStream<'_>) -> syn::Result<Key> {
        let mut name = String::new();
        let mut tokens = TokenStream::new();
        loop {
            let ident = input.call(any_ident)?;
            name.push_str(ident.to_string().trim_start_matches("r#"));
            tokens.extend([TokenTree::Ident(ident)]);
            if !input.peek(Token![.]) || input.peek(Token![..]) {
                return Ok(Key { name, tokens });
            }
            let dot: Token![.] = input.parse()?;
            name.push('.');
            dot.to_tokens(&mut tokens);
        }
    }
}

/// Any identifier, keywords included, also when a `macro_rules!` front end
/// forwarded it as `$key:ident` (then it arrives in an invisible group).
pub fn any_ident(input: ParseStream<'_>) -> syn::Result<Ident> {
    input.step(|cursor| {
        if let Some((TokenTree::Group(g), rest)) = cursor.token_tree()
            && g.delimiter() == Delimiter::None
        {
            let mut inner = g.stream().into_iter();
            if let (Some(TokenTree::Ident(i)), None) = (inner.next(), inner.next()) {
                return Ok((i, rest));
            }
        }
        match cursor.ident() {
            Some((ident, rest)) => Ok((ident, rest)),
            None => Err(cursor.error("expected a field name")),
        }
    })
}

impl Field {
    /// Parses what follows `key =`: an optional `%` or `?`, then the value.
    /// A missing value is blamed on the key.
    pub fn parse_value(input: ParseStream<'_>, key: Key) -> syn::Result<Field> {
        let Key {
            name: key,
            tokens: key_tokens,
        } = key;
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

#[cfg(test)]
mod tests {
    use super::Key;
    use syn::parse::Parser;

    fn key(tokens: proc_macro2::TokenStream) -> String {
        Key::parse.parse2(tokens).unwrap().name
    }

    #[test]
    fn raw_identifiers_and_keywords_are_their_names() {
        assert_eq!(key(quote::quote!(r#type)), "type");
        assert_eq!(key(quote::quote!(type)), "type");
        assert_eq!(key(quote::quote!(user_id)), "user_id");
    }

    #[test]
    fn dotted_keys_keep_their_dots() {
        assert_eq!(key(quote::quote!(http.method)), "http.method");
        assert_eq!(key(quote::quote!(r#type.r#use.x)), "type.use.x");
    }

    #[test]
    fn a_range_is_not_a_dotted_key() {
        let key_then_rest = |input: syn::parse::ParseStream<'_>| {
            let k = Key::parse(input)?;
            Ok((
                k.name,
                input.parse::<proc_macro2::TokenStream>()?.to_string(),
            ))
        };
        let (name, rest) = key_then_rest.parse2(quote::quote!(a..b)).unwrap();
        assert_eq!((name.as_str(), rest.as_str()), ("a", ".. b"));
    }
}
