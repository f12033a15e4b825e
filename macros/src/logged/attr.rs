//! Typed options of `#[logged(...)]`.

use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Path, Token};

mod kw {
    syn::custom_keyword!(level);
    syn::custom_keyword!(name);
    syn::custom_keyword!(request_id);
    syn::custom_keyword!(fields);
    syn::custom_keyword!(args);
    syn::custom_keyword!(skip);
    syn::custom_keyword!(ret);
    syn::custom_keyword!(err);
    syn::custom_keyword!(backtrace);
    syn::custom_keyword!(message);
}

/// Everything `#[logged(...)]` said; `None` / empty for an option not given.
#[derive(Default)]
pub struct Args {
    /// `level = "info"`.
    pub level: Option<LitStr>,
    /// `name = "charge"`.
    pub name: Option<LitStr>,
    pub request_id: Option<RequestIdOpt>,
    /// `fields(k = expr, ...)`.
    pub fields: Option<Vec<Field>>,
    pub args: Option<ArgsOpt>,
    /// `skip(a, b)`: the keyword's span and the names.
    pub skip: Option<(Span, Vec<Ident>)>,
    /// `ret`: the keyword's span.
    pub ret: Option<Span>,
    pub err: Option<ErrOpt>,
    /// `crate = path`.
    pub krate: Option<Path>,
}

pub enum RequestIdOpt {
    /// `request_id`: a new id unless the flow has one.
    New,
    /// `request_id = expr`.
    Expr(Expr),
}

use crate::field::Key;
pub use crate::field::{Field, Sigil};

pub struct ArgsOpt {
    /// `args(a, b)`; `None` for a bare `args` (every argument).
    pub list: Option<Vec<Ident>>,
}

pub struct ErrOpt {
    pub span: Span,
    /// `err(level = ...)`.
    pub level: Option<ErrLevel>,
    /// `err(message = "payment declined")`.
    pub message: Option<LitStr>,
    /// `err(backtrace)`: capture a backtrace with the error.
    pub backtrace: Option<Span>,
}

/// `err(level = ...)`.
pub enum ErrLevel {
    /// `level = "warning"`.
    Named(LitStr),
    /// `level = |e| ...` or `level = path::to::function`: the level from
    /// the error, `fn(&E) -> Level`.
    Of(Expr),
}

/// Parses the options. Options that do not parse are reported, and the
/// function is then checked as if it had none, so that what is wrong with
/// the function itself is still said, and nothing about options that were
/// only half read.
pub fn parse(cx: &Ctxt, tokens: TokenStream) -> Args {
    Parser::parse2(|input: ParseStream<'_>| parse_args(cx, input), tokens).unwrap_or_else(|err| {
        cx.syn_error(err);
        Args::default()
    })
}

fn parse_args(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Args> {
    let mut args = Args::default();
    comma_separated(input, |input| {
        let la = input.lookahead1();
        if la.peek(kw::level) {
            parse_level(cx, input, &mut args.level)?;
        } else if la.peek(kw::name) {
            parse_string::<kw::name>(cx, input, &mut args.name, "name")?;
        } else if la.peek(kw::request_id) {
            let k: kw::request_id = input.parse()?;
            let v = if input.peek(Token![=]) {
                RequestIdOpt::Expr(parse_value(input)?)
            } else {
                RequestIdOpt::New
            };
            set(cx, &mut args.request_id, v, k.span, "request_id");
        } else if la.peek(kw::fields) {
            let k: kw::fields = input.parse()?;
            let content;
            syn::parenthesized!(content in input);
            let list =
                Punctuated::<Field, Token![,]>::parse_terminated_with(&content, parse_field)?;
            set(
                cx,
                &mut args.fields,
                list.into_iter().collect(),
                k.span,
                "fields",
            );
        } else if la.peek(kw::args) {
            let k: kw::args = input.parse()?;
            let list = if input.peek(syn::token::Paren) {
                Some(parse_names(input)?)
            } else {
                None
            };
            set(cx, &mut args.args, ArgsOpt { list }, k.span, "args");
        } else if la.peek(kw::skip) {
            let k: kw::skip = input.parse()?;
            let names = parse_names(input)?;
            set(cx, &mut args.skip, (k.span, names), k.span, "skip");
        } else if la.peek(kw::ret) {
            let k: kw::ret = input.parse()?;
            set(cx, &mut args.ret, k.span, k.span, "ret");
        } else if la.peek(kw::err) {
            let k: kw::err = input.parse()?;
            let v = parse_err(cx, input, k.span)?;
            set(cx, &mut args.err, v, k.span, "err");
        } else if la.peek(Token![crate]) {
            let k: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            let path = input.call(Path::parse_mod_style)?;
            set(cx, &mut args.krate, path, k.span, "crate");
        } else {
            return Err(la.error());
        }
        Ok(())
    })?;
    Ok(args)
}

/// `one, two, three`, a trailing comma allowed; `one` parses one item.
fn comma_separated(
    input: ParseStream<'_>,
    mut one: impl FnMut(ParseStream<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    while !input.is_empty() {
        one(input)?;
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

/// Fills an option's slot, or reports the option as given twice.
fn set<T>(cx: &Ctxt, slot: &mut Option<T>, value: T, span: Span, option: &str) {
    if slot.is_some() {
        cx.error(span, format!("duplicate option `{option}`: give it once"));
    } else {
        *slot = Some(value);
    }
}

/// `level = "name"`, of the function's events or of `err`'s. The name is
/// checked against the runtime's table of level names by the expansion.
fn parse_level(cx: &Ctxt, input: ParseStream<'_>, slot: &mut Option<LitStr>) -> syn::Result<()> {
    let k: kw::level = input.parse()?;
    let v = parse_value::<LitStr>(input)?;
    set(cx, slot, v, k.span, "level");
    Ok(())
}

fn parse_value<T: Parse>(input: ParseStream<'_>) -> syn::Result<T> {
    input.parse::<Token![=]>()?;
    input.parse()
}

/// `option = "text"`, once.
fn parse_string<K: Parse + Spanned>(
    cx: &Ctxt,
    input: ParseStream<'_>,
    slot: &mut Option<LitStr>,
    option: &str,
) -> syn::Result<()> {
    let k: K = input.parse()?;
    let v = parse_value::<LitStr>(input)?;
    set(cx, slot, v, k.span(), option);
    Ok(())
}

/// `(a, b, self)`.
fn parse_names(input: ParseStream<'_>) -> syn::Result<Vec<Ident>> {
    let content;
    syn::parenthesized!(content in input);
    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
    Ok(names.into_iter().collect())
}

/// `err`, `err(level = ..., message = "...", backtrace)`, in any order.
fn parse_err(cx: &Ctxt, input: ParseStream<'_>, span: Span) -> syn::Result<ErrOpt> {
    let mut opt = ErrOpt {
        span,
        level: None,
        message: None,
        backtrace: None,
    };
    if !input.peek(syn::token::Paren) {
        return Ok(opt);
    }
    let content;
    syn::parenthesized!(content in input);
    comma_separated(&content, |input| {
        let la = input.lookahead1();
        if la.peek(kw::level) {
            let k: kw::level = input.parse()?;
            input.parse::<Token![=]>()?;
            let level = if input.peek(LitStr) {
                ErrLevel::Named(input.parse()?)
            } else {
                match input.parse::<Expr>()? {
                    e @ (Expr::Closure(_) | Expr::Path(_)) => ErrLevel::Of(e),
                    other => {
                        return Err(syn::Error::new_spanned(
                            other,
                            "expected a level name (`level = \"warning\"`), a closure (`level = |e| ...`) or a function `fn(&E) -> Level` (`level = my_app::level_of`)",
                        ));
                    }
                }
            };
            set(cx, &mut opt.level, level, k.span, "level");
        } else if la.peek(kw::message) {
            parse_string::<kw::message>(cx, input, &mut opt.message, "message")?;
        } else if la.peek(kw::backtrace) {
            let k: kw::backtrace = input.parse()?;
            set(cx, &mut opt.backtrace, k.span, k.span, "backtrace");
        } else {
            return Err(la.error());
        }
        Ok(())
    })?;
    Ok(opt)
}

/// One `key = value` of `fields(...)`.
fn parse_field(input: ParseStream<'_>) -> syn::Result<Field> {
    let key = Key::parse(input)?;
    if input.parse::<Token![=]>().is_err() {
        return Err(syn::Error::new_spanned(
            &key.tokens,
            format!("expected `{} = value` in `fields(...)`", key.name),
        ));
    }
    Field::parse_value(input, key)
}
