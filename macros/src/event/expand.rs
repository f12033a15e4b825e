//! Code generation for one log call.
//!
//! The expansion declares a `static` call site (all metadata known at compile
//! time), checks whether the event is enabled (one relaxed atomic load), and
//! only then evaluates the arguments and encodes them into a record.

use super::parse::{EXC_INFO, EventCall, Item, LevelSpec, Sigil};
use super::valid::{Plan, PlanPiece, Slot, SlotValue};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

pub fn expand(call: &EventCall, plan: &Plan<'_>) -> TokenStream {
    let k = &call.krate;
    let p = quote!(#k::__private);
    let template = call.message.value();

    let pieces = plan.pieces.iter().map(|piece| match piece {
        PlanPiece::Lit(s) => quote!(#p::Piece::Lit(#s)),
        PlanPiece::Slot(i) => {
            let i = u16::try_from(*i).unwrap_or(u16::MAX);
            quote!(#p::Piece::Value(#i))
        }
        PlanPiece::Field(_) => unreachable!("resolved by valid::check"),
    });
    let field_names = plan.fields.iter().map(|f| f.key.as_str());
    let n_msg = plan.slots.len() - plan.fields.len();
    let n_msg = u16::try_from(n_msg).unwrap_or(u16::MAX);

    let (level_meta, level_let, level_expr) = match &call.level {
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
    let pos_name = |i: usize| format_ident!("__pulselog_arg{}", i, span = Span::mixed_site());
    let field_name = |i: usize| format_ident!("__pulselog_field{}", i, span = Span::mixed_site());
    let exc_name = format_ident!("__pulselog_exc", span = Span::mixed_site());
    let mut binds = Vec::new();
    if let Some(err) = &call.error {
        binds.push(quote_spanned!(err.span()=> let #exc_name = &(#err);));
    }
    let (mut pi, mut fi) = (0, 0);
    for item in &call.items {
        match item {
            Item::Positional(expr) => {
                let name = pos_name(pi);
                pi += 1;
                binds.push(quote_spanned!(expr.span()=> let #name = &(#expr);));
            }
            Item::ExcFlag(_) => {}
            Item::Field(field) if field.key == EXC_INFO => {
                let expr = &field.value;
                binds.push(quote_spanned!(expr.span()=> let #exc_name = &(#expr);));
            }
            Item::Field(field) => {
                let name = field_name(fi);
                fi += 1;
                let expr = &field.value;
                binds.push(quote_spanned!(expr.span()=> let #name = &(#expr);));
            }
        }
    }

    let rec = format_ident!("__pulselog_record", span = Span::mixed_site());
    let encode = plan.slots.iter().map(|slot| match slot {
        Slot::Positional(i) => {
            let name = pos_name(*i);
            let span = plan.positional[*i].span();
            quote_spanned!(span=> (&&#p::Wrap(#name)).__pulselog_arg(&mut #rec);)
        }
        Slot::Capture(ident) => {
            quote_spanned!(ident.span()=> (&&#p::Wrap(&#ident)).__pulselog_arg(&mut #rec);)
        }
        Slot::Formatted { value, spec } => {
            let fmt = format!("{{:{spec}}}");
            let (value, span) = match value {
                SlotValue::Positional(i) => {
                    (pos_name(*i).into_token_stream(), plan.positional[*i].span())
                }
                SlotValue::Field(k) => (
                    field_name(*k).into_token_stream(),
                    plan.fields[*k].value.span(),
                ),
                SlotValue::Capture(ident) => (quote!(&#ident), ident.span()),
            };
            quote_spanned!(span=> #rec.formatted(::core::format_args!(#fmt, #value));)
        }
        Slot::Field(k) => {
            let name = field_name(*k);
            let field = plan.fields[*k];
            let span = field.value.span();
            match field.sigil {
                Sigil::Auto => {
                    quote_spanned!(span=> (&&&#p::Wrap(#name)).__pulselog_field(&mut #rec);)
                }
                Sigil::Display => quote_spanned!(span=> #rec.display(#name);),
                Sigil::Debug => quote_spanned!(span=> #rec.debug(#name);),
            }
        }
    });

    // The error: by its type, an error with its chain, or a panic payload;
    // anything else fails on the tier-4 bound, which says what is accepted.
    let (exc_use, exc_encode) = match &plan.exc {
        Some(exc) => {
            let span = exc.expr.span();
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
                    #wrap.__pulselog_exc_info(&mut #rec, #backtrace);
                },
            )
        }
        None => (TokenStream::new(), TokenStream::new()),
    };

    let meta = format_ident!("__PULSELOG_META", span = Span::mixed_site());
    let site = format_ident!("__PULSELOG_CALLSITE", span = Span::mixed_site());
    let func = format_ident!("__pulselog_function", span = Span::mixed_site());
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
                target: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                column: ::core::column!(),
                function: #func,
                template: #template,
                pieces: &[#(#pieces),*],
                fields: &[#(#field_names),*],
                message_values: #n_msg,
            };
            static #site: #p::Callsite = #p::Callsite::new(&#meta);
            #level_let
            if #site.enabled(#level_expr) {
                #(#binds)*
                let mut #rec = #p::RecordBuilder::new(&#site, #level_expr);
                #(#encode)*
                #exc_encode
                #rec.submit();
            }
        }
    }
}

use quote::ToTokens;
