//! Code generation for `#[logged]`.
//!
//! The function keeps its signature; its body becomes:
//!
//! ```text
//! const LEVEL (/ ERR_LEVEL): Level = <the name, looked up at compile time>;
//! fn __pulselog_function() -> &'static str { .. }    // funcName of the events
//! static ENTER / EXIT (/ ERROR) call sites           // compile-time metadata
//! let ctx = <current context + request id + fields>; // only if any is bound
//! let entered = ENTER.enabled(level);                 // one relaxed load
//! if entered { <enter event with the recorded arguments> }
//! let exit = Exit::new(&EXIT, level, entered);        // logs `exit` on drop
//! <the user's body>
//! ```
//!
//! A sync body runs inside a context guard. An async body runs inside
//! `Context::wrap`, which installs the context on every poll, and the exit
//! guard lives in the future, so `exit` comes when the future completes (or
//! is dropped). `ret` / `err` need the returned value: the body then runs in
//! a closure (sync) or an inner async block, so that `return` and `?` still
//! leave only the body.

use super::ast::Shape;
use super::attr::{RequestIdOpt, Sigil};
use super::valid::{ErrLevelPlan, ErrPlan, LevelPlan, Plan, PlanBody};
use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{ReturnType, Type};

fn local(name: &str) -> syn::Ident {
    format_ident!("{}", name, span = Span::mixed_site())
}

/// Prefix of a recorded argument named like a standard key: the one the
/// runtime's formatters give any clashing key (`pulselog::CLASH_PREFIX`;
/// a test keeps the two equal).
const CLASH_PREFIX: &str = "extra.";

pub fn expand(plan: &Plan<'_>) -> TokenStream {
    let krate = &plan.krate;
    let p = quote!(#krate::__private);
    let level = local("__PULSELOG_LEVEL");
    let err_level = local("__PULSELOG_ERR_LEVEL");

    let function = local("__pulselog_function");
    let enter_meta = local("__PULSELOG_ENTER_META");
    let enter_site = local("__PULSELOG_ENTER");
    let exit_meta = local("__PULSELOG_EXIT_META");
    let exit_site = local("__PULSELOG_EXIT");
    let error_meta = local("__PULSELOG_ERROR_META");
    let error_site = local("__PULSELOG_ERROR");
    let rec = local("__pulselog_rec");
    let exit = local("__pulselog_exit");
    let ret = local("__pulselog_ret");
    let ctx = local("__pulselog_ctx");
    let ctx_guard = local("__pulselog_ctx_guard");
    let scope = local("__pulselog_scope");
    let ok_value = local("__pulselog_ok");
    let err_value = local("__pulselog_err");

    // Call-site metadata, located at the function's name.
    let name_span = plan.sig.ident.span();
    let location = quote_spanned! {name_span=>
        ::core::module_path!(), ::core::file!(), ::core::line!(), ::core::column!()
    };
    let function_name = match plan.name {
        Some(name) => name.to_token_stream(),
        None => quote!(::core::any::type_name_of_val(&#function)),
    };
    // An argument named like a standard key (`name`, `message`, …) is
    // recorded under the prefix the formatters give clashing keys, so that
    // `args` works on any signature and no line has a duplicate key.
    let arg_keys = plan.recorded.iter().map(|b| {
        let key = b.key();
        if crate::event::RESERVED.contains(&key.as_str()) {
            format!("{CLASH_PREFIX}{key}")
        } else {
            key
        }
    });
    let exit_keys: &[&str] = if plan.ret.is_some() {
        &["elapsed_ms", "return"]
    } else {
        &["elapsed_ms"]
    };
    let error_statics = plan.err.as_ref().map(|err| {
        let err_level_value = match &err.level {
            Some(ErrLevelPlan::Named(level)) => level_value(&p, level),
            _ => quote!(#p::Level::Error),
        };
        let message = &err.message;
        quote! {
            const #err_level: #p::Level = #err_level_value;
            static #error_meta: #p::Metadata = #p::Metadata::logged(
                #p::LoggedEvent::Error(#message, &[#p::Piece::Lit(#message)]),
                #err_level, #location, #function, &[],
            );
            static #error_site: #p::Callsite = #p::Callsite::new(&#error_meta);
        }
    });
    let level_value = level_value(&p, &plan.level);
    let statics = quote! {
        const #level: #p::Level = #level_value;
        fn #function() -> &'static str {
            #function_name
        }
        static #enter_meta: #p::Metadata = #p::Metadata::logged(
            #p::LoggedEvent::Enter, #level, #location, #function, &[#(#arg_keys),*],
        );
        static #enter_site: #p::Callsite = #p::Callsite::new(&#enter_meta);
        static #exit_meta: #p::Metadata = #p::Metadata::logged(
            #p::LoggedEvent::Exit, #level, #location, #function, &[#(#exit_keys),*],
        );
        static #exit_site: #p::Callsite = #p::Callsite::new(&#exit_meta);
        #error_statics
    };

    // The context of the call, if it binds anything.
    let binds = plan.request_id.is_some() || !plan.fields.is_empty();
    let ctx_init = binds.then(|| {
        let keys = plan.fields.iter().map(|f| f.key.as_str());
        let id = match plan.request_id {
            None => None,
            Some(RequestIdOpt::New) => Some(quote!(#scope.ensure_request_id();)),
            Some(RequestIdOpt::Expr(e)) => Some(quote_spanned! {e.span()=>
                #scope.request_id((&&#p::Wrap(&(#e))).__pulselog_request_id());
            }),
        };
        let values = plan.fields.iter().map(|f| {
            let v = &f.value;
            match f.sigil {
                Sigil::Auto => quote_spanned! {v.span()=>
                    (&&&#p::Wrap(&(#v))).__pulselog_field(#scope.values());
                },
                Sigil::Display => quote_spanned!(v.span()=> #scope.values().display(&(#v));),
                Sigil::Debug => quote_spanned!(v.span()=> #scope.values().debug(&(#v));),
            }
        });
        quote! {
            let #ctx = {
                #[allow(unused_imports)]
                use #p::{FieldDebug as _, FieldDisplay as _, FieldKnown as _, IdDisplay as _, IdKnown as _};
                let mut #scope = #p::Scope::new(&[#(#keys),*]);
                #id
                #(#values)*
                #scope.build()
            };
        }
    });

    let entered = local("__pulselog_entered");
    let enter = if plan.recorded.is_empty() {
        quote! {
            if #entered {
                #p::submit(#p::RecordBuilder::new(&#enter_site, #level));
            }
        }
    } else {
        let encode = plan.recorded.iter().map(|b| {
            let ident = &b.ident;
            quote_spanned!(ident.span()=> (&&&#p::Wrap(&#ident)).__pulselog_field(#rec.values());)
        });
        quote! {
            if #entered {
                #[allow(unused_imports)]
                use #p::{FieldDebug as _, FieldDisplay as _, FieldKnown as _};
                let mut #rec = #p::RecordBuilder::new(&#enter_site, #level);
                #(#encode)*
                #p::submit(#rec);
            }
        }
    };
    let exit_mut = plan.ret.map(|_| quote!(mut));
    let start = quote! {
        let #entered = #enter_site.enabled(#level);
        #enter
        let #exit_mut #exit = #p::Exit::new(&#exit_site, #level, #entered);
    };

    // What happens to the returned value (`ret`, `err`).
    // The error with its source chain (a type that is only `Display` or
    // `Debug`: its message), as `log_error!` records it; spanned at `err`,
    // so that a return type it cannot handle is reported there.
    let error_event = |err: &ErrPlan<'_>| {
        let backtrace = err.backtrace;
        // The level: named (a constant), from the error through the user's
        // function, or the error type's `ErrorLevel` (else ERROR).
        let level_of_err = match &err.level {
            Some(ErrLevelPlan::Named(_)) => quote!(#err_level),
            Some(ErrLevelPlan::Of(f)) => {
                quote_spanned!(f.span()=> #p::error_level_with(#err_value, #f))
            }
            None => quote! {{
                #[allow(unused_imports)]
                use #p::{ErrorLevelKnown as _, ErrorLevelDefault as _};
                (&&#p::Wrap(#err_value)).__pulselog_error_level()
            }},
        };
        let level_local = local("__pulselog_err_level");
        let event = relocate(
            quote! {
                if #error_site.enabled(#level_local) {
                    #[allow(unused_imports)]
                    use #p::{
                        ErrDebug as _, ErrDeref as _, ErrDeref2 as _, ErrDisplay as _, ErrError as _,
                        ErrPanic as _,
                    };
                    let mut #rec = #p::RecordBuilder::new(&#error_site, #level_local);
                    #rec.attach((&&&&&&#p::ExcWrap(#err_value)).__pulselog_err(#backtrace));
                    #p::submit(#rec);
                }
            },
            err.span,
        );
        quote! {
            let #level_local: #p::Level = #level_of_err;
            #event
        }
    };
    let split =
        |err: &ErrPlan<'_>| relocate(quote!(#p::LoggedResult::__pulselog_split(&#ret)), err.span);
    // Spanned at `ret`, so that a return type that is not `Debug` is
    // reported there.
    let record_return = |ret_span: Span, value: TokenStream| {
        relocate(
            quote!(#exit.exit_with(|#rec| #rec.debug(#value));),
            ret_span,
        )
    };
    let on_return = match (plan.ret, &plan.err) {
        (None, None) => None,
        (Some(ret_span), None) => Some(record_return(ret_span, quote!(&#ret))),
        (None, Some(err)) => {
            let split = split(err);
            let error_event = error_event(err);
            // The error event relocates its own tokens, except the user's
            // `level = ...`, whose errors belong to the user's tokens.
            let err_pat = relocate(quote!(::core::result::Result::Err(#err_value)), err.span);
            Some(quote! {
                if let #err_pat = #split {
                    #error_event
                }
            })
        }
        (Some(ret_span), Some(err)) => {
            let split = split(err);
            let record = record_return(ret_span, quote!(#ok_value));
            let error_event = error_event(err);
            let ok = relocate(quote!(::core::result::Result::Ok(#ok_value)), err.span);
            let err = relocate(quote!(::core::result::Result::Err(#err_value)), err.span);
            Some(quote! {
                match #split {
                    #ok => { #record }
                    #err => { #error_event }
                }
            })
        }
    };

    let PlanBody {
        span: brace_span,
        inner_attrs,
        stmts,
    } = &plan.body;
    let mut user_block = Group::new(Delimiter::Brace, stmts.clone());
    user_block.set_span(*brace_span);
    let edge = return_type_edge(&plan.sig.output);

    let body = match &plan.shape {
        Shape::Sync => {
            let run = match &on_return {
                None => user_block.to_token_stream(),
                Some(on_return) => {
                    let output = match &plan.sig.output {
                        ReturnType::Default => None,
                        ReturnType::Type(arrow, ty) => {
                            let ty = infer_impl_trait(ty);
                            Some(quote!(#arrow #ty))
                        }
                    };
                    quote! {
                        #[allow(clippy::redundant_closure_call)]
                        let #ret = (move || #output #user_block)();
                        #on_return
                        #ret
                    }
                }
            };
            let enter_ctx = binds.then(|| quote!(#ctx_init let #ctx_guard = #ctx.enter();));
            quote! {
                #enter_ctx
                #start
                #run
            }
        }
        Shape::Async => {
            let run = match &on_return {
                None => user_block.to_token_stream(),
                Some(on_return) => quote! {
                    let #ret = async move { #edge #stmts }.await;
                    #on_return
                    #ret
                },
            };
            if binds {
                let edge = on_return.is_none().then_some(&edge);
                quote! {
                    #ctx_init
                    #p::Context::wrap(#ctx, async move {
                        #edge
                        #start
                        #run
                    }).await
                }
            } else {
                quote! {
                    #start
                    #run
                }
            }
        }
        Shape::ReturnsAsync {
            prefix,
            boxed,
            block,
        } => {
            let run = match &on_return {
                None => quote!(#block.await),
                Some(on_return) => quote! {
                    let #ret = #block.await;
                    #on_return
                    #ret
                },
            };
            let future = quote! {
                async move {
                    #start
                    #run
                }
            };
            let future = if binds {
                quote!(#p::Context::wrap(#ctx, #future))
            } else {
                future
            };
            let future = match boxed {
                Some(call) => {
                    let f = &call.func;
                    let mut args = Group::new(Delimiter::Parenthesis, future);
                    args.set_span(call.paren_token.span.join());
                    quote!(#f #args)
                }
                None => future,
            };
            let enter_ctx = binds.then(|| quote!(#ctx_init let #ctx_guard = #ctx.enter();));
            quote! {
                #enter_ctx
                #(#prefix)*
                #future
            }
        }
    };

    let Plan {
        attrs, vis, sig, ..
    } = plan;
    let mut outer = Group::new(
        Delimiter::Brace,
        quote! {
            #inner_attrs
            #statics
            #body
        },
    );
    outer.set_span(*brace_span);
    quote!(#(#attrs)* #vis #sig #outer)
}

/// The value of a level, for a `const`. A name is looked up in the runtime's
/// one table of level names (`Level::__from_name`) at compile time rather
/// than here, as the macro crate cannot depend on the runtime; the lookup is
/// spanned at the user's literal, so an unknown name is reported there, with
/// the runtime's list of the names it accepts.
fn level_value(p: &TokenStream, level: &LevelPlan<'_>) -> TokenStream {
    match level {
        LevelPlan::Default(variant) => {
            let variant = syn::Ident::new(variant, Span::call_site());
            quote!(#p::Level::#variant)
        }
        LevelPlan::Named(lit) => {
            let known = local("__pulselog_level");
            let lookup = quote! {
                match #p::Level::__from_name(#lit) {
                    ::core::option::Option::Some(#known) => #known,
                    ::core::option::Option::None => ::core::panic!("{}", #p::Level::__UNKNOWN_NAME),
                }
            };
            relocate(lookup, lit.span())
        }
    }
}

/// Moves tokens to `span`'s location, keeping their hygiene, so that an
/// error in generated code is reported on the option that asked for it.
fn relocate(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut inner = Group::new(g.delimiter(), relocate(g.stream(), span));
                inner.set_span(g.span().located_at(span));
                tt = inner.into();
            } else {
                tt.set_span(tt.span().located_at(span));
            }
            tt
        })
        .collect()
}

/// `if let Some(r) = None::<R> { return r; }`: pins the return type of the
/// async block holding the body to the function's, so that `?` and
/// `return` in the body type-check as they did in the function, with the
/// user's spans.
fn return_type_edge(output: &ReturnType) -> TokenStream {
    let ReturnType::Type(_, ty) = output else {
        return TokenStream::new();
    };
    let ty = infer_impl_trait(ty);
    let never = local("__pulselog_never");
    quote! {
        #[allow(unreachable_code)]
        if let ::core::option::Option::Some(#never) = ::core::option::Option::None::<#ty> {
            return #never;
        }
    }
}

/// `Result<impl Iterator, E>` → `Result<_, E>`: a closure or a turbofish
/// cannot name an opaque type, and the compiler infers it from the body.
fn infer_impl_trait(ty: &Type) -> Type {
    struct Infer;
    impl VisitMut for Infer {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(it) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    attrs: Vec::new(),
                    underscore_token: syn::Token![_](it.impl_token.span),
                });
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    Infer.visit_type_mut(&mut ty);
    ty
}
