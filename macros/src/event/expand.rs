//! Code generation for one log call.
//!
//! The expansion declares a `static` call site (all metadata known at compile
//! time), checks whether the event is enabled (one relaxed atomic load),
//! for a sampled call (`every: 100`) asks its sampler whether this call is
//! written, and only then evaluates the arguments and encodes them into a
//! record.

use super::parse::{LevelSpec, Sigil};
use super::valid::{Plan, PlanPiece, Sampling, Slot, Value};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

pub fn expand(plan: &Plan<'_>) -> TokenStream {
    let k = plan.krate;
    let p = quote!(#k::__private);
    let template = &plan.template;

    let pieces = plan.pieces.iter().map(|piece| match piece {
        PlanPiece::Lit(s) => quote!(#p::Piece::Lit(#s)),
        PlanPiece::Slot(i) => {
            let i = u16::try_from(*i).unwrap_or(u16::MAX);
            quote!(#p::Piece::Value(#i))
        }
    });
    let field_names = &plan.field_keys;
    let n_msg = u16::try_from(plan.message_values).unwrap_or(u16::MAX);

    let (level_meta, level_let, level_expr) = match plan.level {
        LevelSpec::Fixed(ident) => (
            quote!(#p::Level::#ident),
            TokenStream::new(),
            quote!(#p::Level::#ident),
        ),
        LevelSpec::Dynamic(expr) => {
            let lvl = format_ident!("__pulselog_level", span = Span::mixed_site());
            let expr_span = expr.span();
            (
                quote!(#p::Level::Trace),
                quote_spanned!(expr_span=> let #lvl: #p::Level = #expr;),
                quote!(#lvl),
            )
        }
    };

    // Bind every user expression once, in source order, only once the event is
    // known to be enabled.
    let bound = |i: usize| format_ident!("__pulselog_arg{}", i, span = Span::mixed_site());
    let binds = plan.binds.iter().enumerate().map(|(i, expr)| {
        let name = bound(i);
        quote_spanned!(expr.span()=> let #name = &(#expr);)
    });
    // A rendered value, with the span type errors about it are reported on.
    let value = |value: &Value| match value {
        Value::Bound(i) => (bound(*i).into_token_stream(), plan.binds[*i].span()),
        Value::Capture(ident) => (quote!(&#ident), ident.span()),
    };

    let rec = format_ident!("__pulselog_record", span = Span::mixed_site());
    let encode = plan.slots.iter().map(|slot| match slot {
        Slot::Arg(v) => {
            let (v, span) = value(v);
            quote_spanned!(span=> (&&#p::Wrap(#v)).__pulselog_arg(#rec.values());)
        }
        Slot::Formatted { value: v, spec } => {
            let fmt = format!("{{:{spec}}}");
            let (v, span) = value(v);
            quote_spanned!(span=> #rec.values().formatted(::core::format_args!(#fmt, #v));)
        }
        Slot::Field { bind, sigil } => {
            let name = bound(*bind);
            let span = plan.binds[*bind].span();
            match sigil {
                Sigil::Auto => {
                    quote_spanned!(span=> (&&&#p::Wrap(#name)).__pulselog_field(#rec.values());)
                }
                Sigil::Display => quote_spanned!(span=> #rec.values().display(#name);),
                Sigil::Debug => quote_spanned!(span=> #rec.values().debug(#name);),
            }
        }
    });

    // The error: by its type, an error with its chain, or a panic payload;
    // anything else fails on the tier-4 bound, which says what is accepted.
    let (exc_use, exc_encode) = match &plan.exc {
        Some(exc) => {
            let exc_name = bound(exc.bind);
            let span = plan.binds[exc.bind].span();
            let backtrace = exc.backtrace;
            // The receiver gets the operand's span, so that an unsupported
            // type is reported on the operand rather than on the whole call.
            let wrap = syn::Ident::new("__pulselog_exc_wrap", span);
            (
                quote! {
                    #[allow(unused_imports)]
                    use #p::{ExcInfoError as _, ExcInfoDeref as _, ExcInfoDeref2 as _, ExcInfoOther as _};
                },
                quote_spanned! {span=>
                    let #wrap = &&&&#p::ExcWrap(#exc_name);
                    #rec.attach(#wrap.__pulselog_exc_info(#backtrace));
                },
            )
        }
        None => (TokenStream::new(), TokenStream::new()),
    };

    let target = match plan.target {
        Some(target) => target.to_token_stream(),
        None => quote!(::core::module_path!()),
    };
    let meta = format_ident!("__PULSELOG_META", span = Span::mixed_site());
    let site = format_ident!("__PULSELOG_CALLSITE", span = Span::mixed_site());
    let func = format_ident!("__pulselog_function", span = Span::mixed_site());

    let skipped = format_ident!("__pulselog_suppressed", span = Span::mixed_site());
    let record_suppressed = plan.sampling.map(|_| quote!(#rec.suppressed(#skipped);));
    let mut body = quote! {
        #(#binds)*
        let mut #rec = #p::RecordBuilder::new(&#site, #level_expr);
        #(#encode)*
        #record_suppressed
        #exc_encode
        #p::submit(#rec);
    };
    // A sampled call asks its sampler after the level check and before any
    // argument is evaluated; the limit goes in as a constant.
    let (new_site, sampler) = match plan.sampling {
        None => (quote!(new), TokenStream::new()),
        Some(sampling) => {
            let state = format_ident!("__PULSELOG_SAMPLE", span = Span::mixed_site());
            let (kind, limit) = match sampling {
                Sampling::Every(n) => (quote!(Every), quote!(#n)),
                Sampling::First(n) => (quote!(First), quote!(#n)),
                Sampling::PerSec(n) => (quote!(PerSec), quote!(#n)),
            };
            body = quote! {
                if let ::core::option::Option::Some(#skipped) = #state.sample(#limit) {
                    #body
                }
            };
            (
                quote!(new_sampled),
                quote!(static #state: #p::sample::#kind = #p::sample::#kind::new();),
            )
        }
    };
    quote! {
        {
            #[allow(unused_imports)]
            use #p::{ArgKnown as _, ArgDisplay as _, FieldKnown as _, FieldDisplay as _, FieldDebug as _};
            #exc_use
            fn #func() -> &'static str {
                ::core::any::type_name_of_val(&#func)
            }
            static #meta: #p::Metadata = #p::Metadata {
                level: #level_meta,
                target: #target,
                file: ::core::file!(),
                line: ::core::line!(),
                column: ::core::column!(),
                function: #func,
                template: #template,
                pieces: &[#(#pieces),*],
                fields: &[#(#field_names),*],
                message_values: #n_msg,
            };
            static #site: #p::Callsite = #p::Callsite::#new_site(&#meta);
            #sampler
            #level_let
            if #site.enabled(#level_expr) {
                #body
            }
        }
    }
}
