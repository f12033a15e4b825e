//! The function under `#[logged]`, modelled without losing its tokens.
//!
//! The signature is parsed; the body is kept as the tokens the user wrote,
//! and parsed on the side only to recognise a body that returns an async
//! block. A body that does not parse is still instrumented, as raw tokens,
//! so that the compiler (and an IDE) report the user's own syntax error.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::visit::Visit;
use syn::{
    Attribute, Block, Expr, ExprAsync, ExprCall, FnArg, Ident, Signature, Stmt, Token, Visibility,
};

pub struct Function {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    pub body: Body,
}

pub enum Body {
    /// `fn f();` in a trait: nothing to instrument.
    Missing(Token![;]),
    Present {
        /// The braces, for spans.
        brace: Group,
        /// `#![...]` at the top of the body, hoisted above the generated code.
        inner_attrs: TokenStream,
        /// The statements, as written.
        stmts: TokenStream,
        /// The statements, parsed (`None` if they do not parse).
        parsed: Option<Vec<Stmt>>,
    },
}

/// What running the function means for the `enter`/`exit` events.
pub enum Shape<'a> {
    /// The body runs when called.
    Sync,
    /// `async fn`: the body runs when the future is polled.
    Async,
    /// A plain `fn` whose last expression is an async block (`-> impl
    /// Future`), possibly boxed (`Box::pin(async move { .. })`, which is
    /// also what `async-trait` makes of an `async fn`): the events follow
    /// the async block.
    ReturnsAsync {
        prefix: &'a [Stmt],
        boxed: Option<&'a ExprCall>,
        block: &'a ExprAsync,
    },
}

impl Parse for Function {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let body = if input.peek(Token![;]) {
            Body::Missing(input.parse()?)
        } else {
            let brace: Group = input.parse()?;
            if brace.delimiter() != Delimiter::Brace {
                return Err(syn::Error::new(brace.span(), "expected the function body"));
            }
            let (inner_attrs, stmts) = split_inner_attrs(brace.stream());
            let parsed = Block::parse_within.parse2(stmts.clone()).ok();
            Body::Present {
                brace,
                inner_attrs,
                stmts,
                parsed,
            }
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the function"));
        }
        Ok(Function {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// Splits `#![attr]`s off the start of a body.
fn split_inner_attrs(body: TokenStream) -> (TokenStream, TokenStream) {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut i = 0;
    while let [
        TokenTree::Punct(hash),
        TokenTree::Punct(bang),
        TokenTree::Group(g),
        ..,
    ] = &tokens[i..]
    {
        if hash.as_char() == '#' && bang.as_char() == '!' && g.delimiter() == Delimiter::Bracket {
            i += 3;
        } else {
            break;
        }
    }
    (
        tokens[..i].iter().cloned().collect(),
        tokens[i..].iter().cloned().collect(),
    )
}

impl Function {
    pub fn shape(&self) -> Shape<'_> {
        if self.sig.asyncness.is_some() {
            return Shape::Async;
        }
        let Body::Present {
            parsed: Some(stmts),
            ..
        } = &self.body
        else {
            return Shape::Sync;
        };
        let Some((Stmt::Expr(tail, None), prefix)) = stmts.split_last() else {
            return Shape::Sync;
        };
        match tail {
            Expr::Async(block) => Shape::ReturnsAsync {
                prefix,
                boxed: None,
                block,
            },
            Expr::Call(call) if is_box_pin(&call.func) && call.args.len() == 1 => {
                match call.args.first() {
                    Some(Expr::Async(block)) => Shape::ReturnsAsync {
                        prefix,
                        boxed: Some(call),
                        block,
                    },
                    _ => Shape::Sync,
                }
            }
            _ => Shape::Sync,
        }
    }

    /// Every name the parameters bind, in order: `self`, plain and `mut`
    /// bindings, and the bindings inside destructuring patterns.
    pub fn bindings(&self) -> Vec<Binding> {
        let mut out = Vec::new();
        for input in &self.sig.inputs {
            match input {
                FnArg::Receiver(r) => out.push(Binding {
                    ident: Ident::new("self", r.self_token.span),
                    is_self: true,
                }),
                FnArg::Typed(pat) => {
                    let mut v = PatBindings(Vec::new());
                    v.visit_pat(&pat.pat);
                    out.extend(v.0.into_iter().map(|ident| Binding {
                        is_self: ident == "self",
                        ident,
                    }));
                }
            }
        }
        out
    }

    /// The user's function as written, for the error path.
    pub fn to_tokens_unchanged(&self) -> TokenStream {
        let Function {
            attrs,
            vis,
            sig,
            body,
        } = self;
        let body = match body {
            Body::Missing(semi) => semi.to_token_stream(),
            Body::Present { brace, .. } => brace.to_token_stream(),
        };
        quote::quote!(#(#attrs)* #vis #sig #body)
    }
}

fn is_box_pin(func: &Expr) -> bool {
    let Expr::Path(path) = func else {
        return false;
    };
    let segs: Vec<_> = path.path.segments.iter().map(|s| &s.ident).collect();
    matches!(segs.as_slice(), [.., b, p] if *b == "Box" && *p == "pin")
}

pub struct Binding {
    /// The name, with the user's span.
    pub ident: Ident,
    pub is_self: bool,
}

impl Binding {
    /// The key the value is recorded under (`r#type` → `type`).
    pub fn key(&self) -> String {
        syn::ext::IdentExt::unraw(&self.ident).to_string()
    }
}

struct PatBindings(Vec<Ident>);

impl<'ast> Visit<'ast> for PatBindings {
    fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
        self.0.push(p.ident.clone());
        syn::visit::visit_pat_ident(self, p);
    }
}
