//! Checks `#[logged(...)]` against the function it is on, and decides what
//! gets recorded.

use super::ast::{Binding, Body, Function, Shape};
use super::attr::{Args, ErrLevel, Field, RequestIdOpt};
use crate::ctxt::Ctxt;
use crate::event::RESERVED;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::{Attribute, Ident, LitStr, Signature, Visibility};

/// Everything the expansion needs, decided here.
pub struct Plan<'a> {
    /// The runtime crate's path (`crate = ...`, else `::pulselog`).
    pub krate: TokenStream,
    pub attrs: &'a [Attribute],
    pub vis: &'a Visibility,
    pub sig: &'a Signature,
    pub body: PlanBody,
    pub shape: Shape<'a>,
    /// Level of `enter` and `exit`.
    pub level: LevelPlan<'a>,
    /// `name = "..."`: the function name the events carry.
    pub name: Option<&'a LitStr>,
    pub request_id: Option<&'a RequestIdOpt>,
    /// The arguments recorded in the `enter` event.
    pub recorded: Vec<&'a Binding>,
    pub fields: &'a [Field],
    /// `ret`: the keyword's span.
    pub ret: Option<Span>,
    pub err: Option<ErrPlan<'a>>,
}

/// A level of `#[logged]`'s events.
pub enum LevelPlan<'a> {
    /// Not given: this `Level` variant.
    Default(&'static str),
    /// `level = "name"`: resolved by the runtime's table of level names, in
    /// a `const` (see `expand`), so that the macro and the runtime cannot
    /// disagree on a name.
    Named(&'a LitStr),
}

/// The function's body, as written.
pub struct PlanBody {
    /// The braces' span.
    pub span: Span,
    /// `#![...]` at the top of the body, hoisted above the generated code.
    pub inner_attrs: TokenStream,
    pub stmts: TokenStream,
}

/// `err`: log the `Err` the function returns.
pub struct ErrPlan<'a> {
    /// The keyword's span.
    pub span: Span,
    /// Level of the `error` event: named, from the error through a
    /// function, or (`None`) the error type's `ErrorLevel`, else ERROR.
    pub level: Option<ErrLevelPlan<'a>>,
    /// The event's message: `err(message = ...)`, else `"<function> failed"`.
    pub message: String,
    pub backtrace: bool,
}

/// `err(level = ...)`, as the expansion needs it.
pub enum ErrLevelPlan<'a> {
    Named(LevelPlan<'a>),
    Of(&'a syn::Expr),
}

/// Checks the function and its options; the plan of a function with errors
/// is still made, so every check runs, but it is never expanded.
pub fn check<'a>(
    cx: &Ctxt,
    func: &'a Function,
    args: &'a Args,
    bindings: &'a [Binding],
) -> Plan<'a> {
    if let Some(konst) = &func.sig.constness {
        cx.error(
            konst.span,
            "`#[logged]` cannot instrument a `const fn`: its events are logged at run time; remove `const` or the attribute",
        );
    }
    let body = match &func.body {
        Body::Present {
            brace,
            inner_attrs,
            stmts,
            ..
        } => PlanBody {
            span: brace.span(),
            inner_attrs: inner_attrs.clone(),
            stmts: stmts.clone(),
        },
        Body::Missing(semi) => {
            cx.error(
                semi.span,
                "`#[logged]` needs a function body; put it on the implementations of this method",
            );
            PlanBody {
                span: semi.span,
                inner_attrs: TokenStream::new(),
                stmts: TokenStream::new(),
            }
        }
    };

    let level = level_of(args.level.as_ref(), "Debug");
    let function_name = args
        .name
        .as_ref()
        .map_or_else(|| func.sig.ident.unraw().to_string(), LitStr::value);
    let err = args.err.as_ref().map(|err| ErrPlan {
        span: err.span,
        level: err.level.as_ref().map(|level| match level {
            ErrLevel::Named(lit) => ErrLevelPlan::Named(LevelPlan::Named(lit)),
            ErrLevel::Of(f) => ErrLevelPlan::Of(f),
        }),
        message: err
            .message
            .as_ref()
            .map_or_else(|| format!("{function_name} failed"), LitStr::value),
        backtrace: err.backtrace.is_some(),
    });
    if let Some(message) = args.err.as_ref().and_then(|e| e.message.as_ref())
        && message.value().trim().is_empty()
    {
        cx.error(
            message.span(),
            "`err(message = ...)` must say what failed, e.g. `message = \"payment declined\"`",
        );
    }

    if let Some(name) = &args.name {
        let value = name.value();
        if value.is_empty()
            || value.contains("::")
            || value.contains(['<', '>', '{', '}'])
            || value.chars().any(char::is_whitespace)
        {
            cx.error(
                name.span(),
                "`name` must be a bare function name such as `\"charge\"` (no spaces, `::`, `<` or braces)",
            );
        }
    }

    if let Some(err) = &args.err
        && matches!(func.sig.output, syn::ReturnType::Default)
    {
        cx.error(
            err.span,
            "`err` logs the `Err` a function returns, but this function returns `()`; remove `err` or return a `Result`",
        );
    }

    let find = |ident: &Ident| bindings.iter().find(|b| b.ident == *ident);

    // Which arguments go into the `enter` event.
    let mut recorded: Vec<&Binding> = Vec::new();
    if let Some(opt) = &args.args {
        match &opt.list {
            Some(list) => {
                for ident in list {
                    match find(ident) {
                        None => cx.syn_error(no_such_argument(ident, "args")),
                        Some(b) if recorded.iter().any(|r| r.ident == b.ident) => cx.error(
                            ident.span(),
                            format!("`{ident}` is listed twice in `args(...)`"),
                        ),
                        Some(b) => recorded.push(b),
                    }
                }
            }
            None => recorded.extend(bindings.iter().filter(|b| !b.is_self)),
        }
    }
    if let Some((_, skipped)) = &args.skip {
        for ident in skipped {
            if find(ident).is_none() {
                cx.syn_error(no_such_argument(ident, "skip"));
                continue;
            }
            match &args.args {
                None => cx.error(
                    ident.span(),
                    format!(
                        "`{ident}` is not recorded, so there is nothing to skip: arguments are recorded only with `args`; remove `skip({ident})`"
                    ),
                ),
                Some(opt) => match &opt.list {
                    Some(list) if list.iter().any(|i| i == ident) => cx.error(
                        ident.span(),
                        format!(
                            "`{ident}` is both in `args(...)` and in `skip(...)`; remove it from one of them"
                        ),
                    ),
                    Some(_) => cx.error(
                        ident.span(),
                        format!(
                            "`{ident}` is not recorded, so there is nothing to skip: `args(...)` records only the arguments it lists; remove `skip({ident})`"
                        ),
                    ),
                    None => recorded.retain(|b| b.ident != *ident),
                },
            }
        }
    }
    let fields: &[Field] = args.fields.as_deref().unwrap_or(&[]);
    for (i, field) in fields.iter().enumerate() {
        if RESERVED.contains(&field.key.as_str()) {
            let hint = if field.key == "request_id" {
                format!(
                    "; to set the request id write `request_id = {}`",
                    quote::ToTokens::to_token_stream(&field.value)
                )
            } else {
                format!("; rename it (e.g. `{}_value = ...`)", field.key)
            };
            cx.error_spanned_by(
                &field.key_tokens,
                format!(
                    "`{}` is a standard key of every log line and cannot be a field{hint}",
                    field.key
                ),
            );
        } else if fields[..i].iter().any(|f| f.key == field.key) {
            cx.error_spanned_by(
                &field.key_tokens,
                format!("duplicate field `{}`: each key may appear once", field.key),
            );
        }
    }
    Plan {
        krate: match &args.krate {
            Some(path) => path.to_token_stream(),
            None => quote!(::pulselog),
        },
        attrs: &func.attrs,
        vis: &func.vis,
        sig: &func.sig,
        body,
        shape: func.shape(),
        level,
        name: args.name.as_ref(),
        request_id: args.request_id.as_ref(),
        recorded,
        fields,
        ret: args.ret,
        err,
    }
}

fn no_such_argument(ident: &Ident, option: &str) -> syn::Error {
    syn::Error::new(
        ident.span(),
        format!("`{option}({ident})`: this function has no argument named `{ident}`"),
    )
}

fn level_of<'a>(lit: Option<&'a LitStr>, default: &'static str) -> LevelPlan<'a> {
    lit.map_or(LevelPlan::Default(default), LevelPlan::Named)
}
