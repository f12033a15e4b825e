//! Typed model of one log macro call.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Token};

/// The level of an event: fixed by the macro name, or chosen at run time.
pub enum LevelSpec {
    Fixed(Ident),
    Dynamic(Expr),
}

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

pub enum Item {
    Positional(Expr),
    Field(Field),
}

pub struct EventCall {
    /// The runtime crate's path (`$crate` from the front-end macro).
    pub krate: TokenStream,
    pub level: LevelSpec,
    pub message: LitStr,
    pub items: Vec<Item>,
}

impl Parse for EventCall {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate: TokenTree = input.parse()?;
        let macro_name: Ident = input.parse()?;
        let level = if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            LevelSpec::Dynamic(content.parse()?)
        } else {
            LevelSpec::Fixed(input.parse()?)
        };
        let message = parse_message(input, &macro_name)?;
        let mut items = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            items.push(input.parse()?);
        }
        Ok(EventCall {
            krate: krate.into(),
            level,
            message,
            items,
        })
    }
}

fn parse_message(input: ParseStream<'_>, macro_name: &Ident) -> syn::Result<LitStr> {
    if input.is_empty() {
        return Err(syn::Error::new(
            macro_name.span(),
            format!(
                "missing message: `{macro_name}!` takes a string literal first, e.g. `{macro_name}!(\"user {{id}} logged in\", id = 7)`"
            ),
        ));
    }
    let expr = unwrap_invisible(input.parse::<Expr>()?);
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Ok(lit),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "the message must be a string literal in `format!` syntax; to log a value as the message, write `{macro_name}!(\"{{}}\", value)`"
            ),
        )),
    }
}

/// A literal forwarded by a `macro_rules!` `$msg:expr` arrives wrapped in an
/// invisible group; look through it.
fn unwrap_invisible(expr: Expr) -> Expr {
    match expr {
        Expr::Group(group) => unwrap_invisible(*group.expr),
        other => other,
    }
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let fork = input.fork();
        if let Some(key) = parse_key(&fork) {
            use syn::parse::discouraged::Speculative;
            input.advance_to(&fork);
            input.parse::<Token![=]>()?;
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
                    &key.1,
                    format!(
                        "missing value for field `{}`: write `{} = value`",
                        key.0, key.0
                    ),
                ));
            }
            let value = input.parse()?;
            return Ok(Item::Field(Field {
                key: key.0,
                key_tokens: key.1,
                sigil,
                value,
            }));
        }
        Ok(Item::Positional(input.parse()?))
    }
}

/// `ident(.ident)*` followed by a single `=`; `None` if the input is not a
/// field (then it is parsed as a positional expression).
fn parse_key(input: ParseStream<'_>) -> Option<(String, TokenStream)> {
    let mut name = String::new();
    let mut tokens = TokenStream::new();
    loop {
        let ident = input.call(Ident::parse_any_ident).ok()?;
        name.push_str(ident.to_string().trim_start_matches("r#"));
        tokens.extend(std::iter::once(TokenTree::Ident(ident)));
        if input.peek(Token![.]) && !input.peek(Token![..]) {
            let dot: Token![.] = input.parse().ok()?;
            name.push('.');
            tokens.extend(quote::ToTokens::into_token_stream(dot));
        } else {
            break;
        }
    }
    (input.peek(Token![=]) && !input.peek(Token![==]) && !input.peek(Token![=>]))
        .then_some((name, tokens))
}

trait AnyIdent {
    fn parse_any_ident(input: ParseStream<'_>) -> syn::Result<Ident>;
}

impl AnyIdent for Ident {
    fn parse_any_ident(input: ParseStream<'_>) -> syn::Result<Ident> {
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
}
