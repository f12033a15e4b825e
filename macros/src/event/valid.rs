//! Checks a parsed call against the message template and the reserved keys,
//! and decides which value goes into which slot of the record.

use super::parse::{EXC_INFO, EventCall, Item, Sigil};
use crate::ctxt::Ctxt;
use crate::template::{self, ArgRef, Piece};
use proc_macro2::Span;
use syn::Expr;

/// Keys every output line owns. A field with one of these names would either
/// be dropped or shadow the real value, so it is refused at compile time.
pub const RESERVED: &[&str] = &[
    "asctime",
    "created",
    "msecs",
    "relativeCreated",
    "levelname",
    "levelno",
    "name",
    "message",
    "msg",
    "args",
    "filename",
    "pathname",
    "module",
    "lineno",
    "colno",
    "funcName",
    "process",
    "processName",
    "thread",
    "threadName",
    "taskName",
    "request_id",
    "exc_text",
    "stack_info",
];

/// Where a value in the record comes from.
pub enum Slot {
    /// A positional argument rendered with `{}`.
    Positional(usize),
    /// A variable captured by name from the message, rendered with `{}`.
    Capture(syn::Ident),
    /// Any argument rendered with a format spec: formatted at the call site.
    Formatted { value: SlotValue, spec: String },
    /// A `key = value` field (always after the message slots).
    Field(usize),
}

pub enum SlotValue {
    Positional(usize),
    Field(usize),
    Capture(syn::Ident),
}

/// A message piece after resolution: literal text or a slot index.
pub enum PlanPiece {
    Lit(String),
    Slot(usize),
    /// A field's value; its slot index is known once all message slots are.
    Field(usize),
}

/// The error attached to the event (`log_error!`'s operand or
/// `exc_info = …`).
pub struct Exc<'a> {
    pub expr: &'a Expr,
    pub backtrace: bool,
}

pub struct Plan<'a> {
    pub pieces: Vec<PlanPiece>,
    pub exc: Option<Exc<'a>>,
    /// Message slots first, then one slot per field in order.
    pub slots: Vec<Slot>,
    pub positional: Vec<&'a Expr>,
    pub fields: Vec<&'a super::parse::Field>,
}

pub fn check<'a>(cx: &Ctxt, call: &'a EventCall) -> Plan<'a> {
    let mut positional = Vec::new();
    let mut fields: Vec<&super::parse::Field> = Vec::new();
    let mut exc = call.error.as_ref().map(|expr| Exc {
        expr,
        backtrace: false,
    });
    let mut flag: Option<&syn::Ident> = None;
    let mut exc_field: Option<&super::parse::Field> = None;
    for item in &call.items {
        match item {
            Item::Positional(expr) => positional.push(expr),
            Item::ExcFlag(ident) => {
                if call.error.is_none() {
                    cx.error_spanned_by(
                        ident,
                        format!(
                            "a bare `exc_info` is the backtrace flag of `log_error!`; to attach an error to this event write `exc_info = err`, e.g. `{}!(\"request failed\", exc_info = err)`",
                            call.macro_name
                        ),
                    );
                } else if flag.is_some() {
                    cx.error_spanned_by(ident, "duplicate flag `exc_info`: write it once");
                }
                flag = Some(ident);
            }
            Item::Field(field) if field.key == EXC_INFO => {
                if call.error.is_some() {
                    cx.error_spanned_by(
                        &field.key_tokens,
                        format!(
                            "`{}!` already logs its first argument as exc_info; write the bare flag `exc_info` (no `= …`) to add a backtrace",
                            call.macro_name
                        ),
                    );
                } else if exc_field.is_some() {
                    cx.error_spanned_by(
                        &field.key_tokens,
                        "duplicate field `exc_info`: an event carries one error",
                    );
                } else if field.sigil != Sigil::Auto {
                    cx.error_spanned_by(
                        &field.value,
                        "`exc_info` takes the error itself: write `exc_info = err`, without `%` or `?`",
                    );
                }
                exc_field = Some(field);
            }
            Item::Field(field) => {
                if RESERVED.contains(&field.key.as_str()) {
                    cx.error_spanned_by(
                        &field.key_tokens,
                        format!(
                            "`{}` is a standard key of every log line and cannot be a field; rename it (e.g. `{}_value = ...`)",
                            field.key, field.key
                        ),
                    );
                } else if fields.iter().any(|f| f.key == field.key) {
                    cx.error_spanned_by(
                        &field.key_tokens,
                        format!("duplicate field `{}`: each key may appear once", field.key),
                    );
                }
                fields.push(field);
            }
        }
    }

    if let Some(field) = exc_field
        && call.error.is_none()
    {
        exc = Some(Exc {
            expr: &field.value,
            backtrace: true,
        });
    }
    if let Some(exc) = &mut exc
        && flag.is_some()
    {
        exc.backtrace = true;
    }

    // An argument looks unused when the template could not be read; say
    // only what is wrong with the template then.
    let (parsed, template_ok) = match template::parse(&call.message.value()) {
        Ok(p) => (p, true),
        Err(msg) => {
            cx.error(call.message.span(), msg);
            (Vec::new(), false)
        }
    };

    let mut slots: Vec<Slot> = Vec::new();
    let mut pieces = Vec::new();
    let mut used = vec![false; positional.len()];
    let mut next = 0usize;
    let n_pos = positional.len();
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    for piece in parsed {
        let (arg, spec) = match piece {
            Piece::Lit(s) => {
                pieces.push(PlanPiece::Lit(s));
                continue;
            }
            Piece::Arg { arg, spec } => (arg, spec),
        };
        let value = match arg {
            ArgRef::Next | ArgRef::Index(_) => {
                let index = if let ArgRef::Index(i) = arg {
                    i
                } else {
                    next += 1;
                    next - 1
                };
                if index >= n_pos {
                    cx.error(
                        call.message.span(),
                        format!(
                            "the message refers to positional argument {index}, but there {} {n_pos} positional {}",
                            if n_pos == 1 { "is" } else { "are" },
                            plural(n_pos)
                        ),
                    );
                    continue;
                }
                used[index] = true;
                SlotValue::Positional(index)
            }
            ArgRef::Name(name) => {
                if let Some(k) = fields.iter().position(|f| f.key == name) {
                    SlotValue::Field(k)
                } else {
                    // Like `format!`: an unknown name is captured from scope,
                    // with the literal's span so it resolves at the call site.
                    let ident = syn::Ident::new_raw_or_plain(&name, call.message.span());
                    SlotValue::Capture(ident)
                }
            }
        };
        let slot = if spec.is_empty() {
            match value {
                SlotValue::Positional(i) => find_or_push(&mut slots, Slot::Positional(i)),
                SlotValue::Field(k) => {
                    pieces.push(PlanPiece::Field(k));
                    continue;
                }
                SlotValue::Capture(ident) => find_or_push(&mut slots, Slot::Capture(ident)),
            }
        } else {
            slots.push(Slot::Formatted { value, spec });
            slots.len() - 1
        };
        pieces.push(PlanPiece::Slot(slot));
    }
    for (i, expr) in positional.iter().enumerate() {
        if template_ok && !used[i] {
            cx.error_spanned_by(
                expr,
                "argument never used: the message has no `{}` placeholder for it; to record it as a field write `name = value`",
            );
        }
    }
    let n_msg = slots.len();
    for piece in &mut pieces {
        if let PlanPiece::Field(k) = *piece {
            *piece = PlanPiece::Slot(n_msg + k);
        }
    }
    for k in 0..fields.len() {
        slots.push(Slot::Field(k));
    }
    Plan {
        pieces,
        exc,
        slots,
        positional,
        fields,
    }
}

fn find_or_push(slots: &mut Vec<Slot>, slot: Slot) -> usize {
    let found = slots.iter().position(|s| match (s, &slot) {
        (Slot::Positional(a), Slot::Positional(b)) => a == b,
        (Slot::Capture(a), Slot::Capture(b)) => a == b,
        _ => false,
    });
    found.unwrap_or_else(|| {
        slots.push(slot);
        slots.len() - 1
    })
}

trait NewRawOrPlain {
    fn new_raw_or_plain(name: &str, span: Span) -> syn::Ident;
}

impl NewRawOrPlain for syn::Ident {
    fn new_raw_or_plain(name: &str, span: Span) -> syn::Ident {
        match name.strip_prefix("r#") {
            Some(raw) => syn::Ident::new_raw(raw, span),
            None => syn::Ident::new(name, span),
        }
    }
}
