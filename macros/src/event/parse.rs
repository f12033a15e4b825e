//! Typed model of one log macro call.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Token};

/// The level of an event: fixed by the macro name, or chosen at run time.
pub enum LevelSpec {
    Fixed(Ident),
    Dynamic(Expr),
}

pub use crate::field::{Field, Sigil};
use crate::field::{Key, any_ident};

pub enum Item {
    Positional(Expr),
    Field(Field),
    /// The bare flag `exc_info` (`log_error!` only): add a backtrace.
    ExcFlag(Ident),
}

/// `key: value` before the message: `target: "audit"`, `every: 100`, …
pub struct PrefixKey {
    pub key: Ident,
    pub value: Expr,
}

pub struct EventCall {
    /// The runtime crate's path (`$crate` from the front-end macro).
    pub krate: TokenStream,
    /// The front-end macro's name (`info`, `log_error`, …).
    pub macro_name: Ident,
    pub level: LevelSpec,
    /// `key: value` before the message (`target: "audit"`, `every: 100`),
    /// in the order written; [`valid`](super::valid) decides what each
    /// means.
    pub prefix: Vec<PrefixKey>,
    /// `log_error!`'s first operand: the error to log.
    pub error: Option<Expr>,
    pub message: LitStr,
    pub items: Vec<Item>,
}

/// The front end whose first operand is an error.
pub const LOG_ERROR: &str = "log_error";

/// The reserved key (and bare flag) that attaches an error.
pub const EXC_INFO: &str = "exc_info";

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
        let mut prefix = parse_prefix(input, &macro_name)?;
        let error = if macro_name == LOG_ERROR {
            let error = parse_error_operand(input, &macro_name)?;
            // `log_error!(err, every: 100, "msg")`: right before the
            // message, as after `log!`'s level.
            prefix.extend(parse_prefix(input, &macro_name)?);
            Some(error)
        } else {
            None
        };
        let message = parse_message(input, &macro_name)?;
        let mut items = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            if let Some(key) = peek_prefix_key(input) {
                let fork = input.fork();
                let value = fork
                    .parse::<Ident>()
                    .and_then(|_| fork.parse::<Token![:]>())
                    .and_then(|_| fork.parse::<Expr>())
                    .map_or_else(|_| "…".to_owned(), |v| v.to_token_stream().to_string());
                return Err(syn::Error::new_spanned(
                    &key,
                    format!(
                        "`{key}: {value}` goes before the message: write `{macro_name}!({key}: {value}, \"message\", …)`"
                    ),
                ));
            }
            items.push(input.parse()?);
        }
        Ok(EventCall {
            krate: krate.into(),
            macro_name,
            level,
            prefix,
            error,
            message,
            items,
        })
    }
}

/// `target: "audit", every: 100,` before the message (and before
/// `log_error!`'s error), as `log` and `tracing` write `target:`: any
/// `name: value` there, each followed by a comma. What the names and
/// values may be is checked later, so that an unknown name gets a
/// suggestion rather than a parse error.
fn parse_prefix(input: ParseStream<'_>, macro_name: &Ident) -> syn::Result<Vec<PrefixKey>> {
    let mut keys = Vec::new();
    while let Some(key) = peek_prefix_key(input) {
        input.parse::<Ident>()?;
        input.parse::<Token![:]>()?;
        let value = unwrap_invisible(input.parse::<Expr>()?);
        if input.is_empty() {
            let msg = if key == "target" {
                "missing message after the target: write `target: \"audit\", \"message\"`"
                    .to_owned()
            } else {
                let value = value.to_token_stream();
                format!(
                    "missing message after `{key}: {value}`: write `{macro_name}!({key}: {value}, \"message\")`"
                )
            };
            return Err(syn::Error::new_spanned(value, msg));
        }
        input.parse::<Token![,]>()?;
        keys.push(PrefixKey { key, value });
    }
    Ok(keys)
}

/// The name of a `name: value` next in `input` (`a::b` is a path, not one).
fn peek_prefix_key(input: ParseStream<'_>) -> Option<Ident> {
    if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
        input.fork().parse().ok()
    } else {
        None
    }
}

/// `log_error!(err, "message", …)`: the error, then a comma.
fn parse_error_operand(input: ParseStream<'_>, macro_name: &Ident) -> syn::Result<Expr> {
    let example = format!("`{macro_name}!(err, \"config load failed\")`");
    if input.is_empty() {
        return Err(syn::Error::new(
            macro_name.span(),
            format!(
                "missing error: `{macro_name}!` takes the error first, then the message: {example}"
            ),
        ));
    }
    let expr: Expr = input.parse()?;
    if !input.peek(Token![,]) {
        let is_literal = matches!(
            unwrap_invisible(expr.clone()),
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(_),
                ..
            })
        );
        let msg = if is_literal {
            format!(
                "`{macro_name}!` takes the error first, then the message: {example}; to log a message alone, use `error!`"
            )
        } else {
            format!("missing message after the error: {example}")
        };
        return Err(syn::Error::new_spanned(expr, msg));
    }
    input.parse::<Token![,]>()?;
    Ok(expr)
}

fn parse_message(input: ParseStream<'_>, macro_name: &Ident) -> syn::Result<LitStr> {
    if input.is_empty() {
        let msg = if macro_name == LOG_ERROR {
            format!(
                "missing message: `{macro_name}!` takes a string literal after the error, e.g. `{macro_name}!(err, \"config load failed\")`"
            )
        } else {
            format!(
                "missing message: `{macro_name}!` takes a string literal first, e.g. `{macro_name}!(\"user {{id}} logged in\", id = 7)`"
            )
        };
        return Err(syn::Error::new(macro_name.span(), msg));
    }
    if let Some(err) = message_after_fields(input, macro_name) {
        return Err(err);
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

/// `info!(user_id, "msg")`, `info!(?user, amount = 5, "msg")`: fields
/// before the message, as `tracing` spells it. The error is on the fields
/// and shows the call in pulselog's order (`?x` / `%x` become
/// `x = ?x` / `x = %x`).
fn message_after_fields(input: ParseStream<'_>, macro_name: &Ident) -> Option<syn::Error> {
    let segments = split_commas(input.fork().parse::<TokenStream>().ok()?);
    let is_message = |seg: &TokenStream| {
        let tokens: Vec<TokenTree> = seg.clone().into_iter().collect();
        match tokens.as_slice() {
            [TokenTree::Literal(_)] => syn::parse2::<LitStr>(seg.clone()).is_ok(),
            [TokenTree::Group(g)] if g.delimiter() == proc_macro2::Delimiter::None => {
                syn::parse2::<LitStr>(g.stream()).is_ok()
            }
            _ => false,
        }
    };
    if segments.first().is_none_or(is_message) {
        return None;
    }
    if let Some(e) = sampling_with_equals(&segments[0], macro_name) {
        return Some(e);
    }
    let at = segments.iter().position(is_message)?;
    let fields: Vec<String> = segments[..at].iter().map(pulselog_spelling).collect();
    let rest: Vec<String> = segments[at + 1..]
        .iter()
        .filter(|s| !s.is_empty())
        .map(ToString::to_string)
        .collect();
    // The message's own arguments stay right after it, so that its `{}`
    // still take them.
    let call = std::iter::once(segments[at].to_string())
        .chain(rest)
        .chain(fields)
        .collect::<Vec<_>>()
        .join(", ");
    let before: TokenStream = segments[..at].iter().flat_map(|s| s.clone()).collect();
    Some(syn::Error::new_spanned(
        before,
        format!(
            "the message comes first in pulselog, then the fields: write `{macro_name}!({call})`"
        ),
    ))
}

/// `info!(every = 10, "msg")`: a sampling key written as a field, which
/// the message-first rule would otherwise take for one.
fn sampling_with_equals(seg: &TokenStream, macro_name: &Ident) -> Option<syn::Error> {
    let tokens: Vec<TokenTree> = seg.clone().into_iter().collect();
    match tokens.as_slice() {
        [
            TokenTree::Ident(key),
            TokenTree::Punct(eq),
            TokenTree::Literal(n),
        ] if eq.as_char() == '='
            && ["every", "first", "per_sec"].contains(&key.to_string().as_str()) =>
        {
            Some(syn::Error::new_spanned(
                seg.clone(),
                format!(
                    "sampling takes `:`, not `=`: write `{macro_name}!({key}: {n}, \"message\", …)`"
                ),
            ))
        }
        _ => None,
    }
}

/// A field as pulselog writes it: `?x` is `x = ?x`, `%x` is `x = %x`.
fn pulselog_spelling(seg: &TokenStream) -> String {
    let mut tokens = seg.clone().into_iter();
    match (tokens.next(), tokens.clone().next(), tokens.nth(1)) {
        (Some(TokenTree::Punct(p)), Some(TokenTree::Ident(name)), None)
            if p.as_char() == '?' || p.as_char() == '%' =>
        {
            format!("{name} = {}{name}", p.as_char())
        }
        _ => seg.to_string(),
    }
}

/// The token trees of a call, split at its top-level commas.
fn split_commas(tokens: TokenStream) -> Vec<TokenStream> {
    let mut segments = vec![TokenStream::new()];
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => segments.push(TokenStream::new()),
            _ => segments.last_mut().expect("never empty").extend([tt]),
        }
    }
    segments
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
        use syn::parse::discouraged::Speculative;
        let fork = input.fork();
        if let Ok(ident) = fork.call(any_ident)
            && ident == EXC_INFO
            && (fork.is_empty() || fork.peek(Token![,]))
        {
            input.advance_to(&fork);
            return Ok(Item::ExcFlag(ident));
        }
        // A key followed by a single `=` is a field; anything else
        // (`a == b`, `x.len()`) is a positional expression.
        let fork = input.fork();
        if let Ok(key) = Key::parse(&fork)
            && fork.peek(Token![=])
            && !fork.peek(Token![==])
            && !fork.peek(Token![=>])
        {
            input.advance_to(&fork);
            input.parse::<Token![=]>()?;
            return Field::parse_value(input, key).map(Item::Field);
        }
        Ok(Item::Positional(input.parse()?))
    }
}
