//! Checks a parsed call against the message template and the reserved keys,
//! and decides which value goes into which slot of the record.

use super::parse::{EXC_INFO, EventCall, Item, LevelSpec, PrefixKey, Sigil};
use crate::ctxt::Ctxt;
use crate::template::{self, ArgRef, Piece};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Expr, Ident};

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

/// Everything the expansion of one call needs, decided here.
pub struct Plan<'a> {
    /// The runtime crate's path.
    pub krate: &'a TokenStream,
    pub level: &'a LevelSpec,
    /// `target: "audit"`: the logger name; else the module path.
    pub target: Option<&'a Expr>,
    /// `every: 100`, `first: 10`, `per_sec: 5`.
    pub sampling: Option<Sampling>,
    /// The message as written, for the call site's metadata.
    pub template: String,
    pub pieces: Vec<PlanPiece>,
    /// Every expression of the call, in source order: each is evaluated
    /// once, only when the event is enabled, and slots refer to it by index.
    pub binds: Vec<&'a Expr>,
    /// Message slots first, then one slot per field, in order.
    pub slots: Vec<Slot>,
    pub field_keys: Vec<String>,
    /// How many of `slots` the message uses (the rest are fields).
    pub message_values: usize,
    pub exc: Option<Exc>,
}

/// How a call samples its calls, with its limit (at least 1).
#[derive(Clone, Copy)]
pub enum Sampling {
    /// `every: n`: the 1st, (n+1)-th, … call.
    Every(u64),
    /// `first: n`: the first n calls.
    First(u64),
    /// `per_sec: n`: at most n lines a second.
    PerSec(u32),
}

/// The field a sampled call writes the count of its skipped calls under
/// (the runtime's `SUPPRESSED`).
const SUPPRESSED: &str = "suppressed";

/// The names a call takes before its message.
const PREFIX_KEYS: [&str; 4] = ["target", "every", "first", "per_sec"];

/// A message piece: literal text, or the value in a slot.
pub enum PlanPiece {
    Lit(String),
    Slot(usize),
}

/// A value the message renders.
pub enum Value {
    /// An expression of the call (an index into `Plan::binds`).
    Bound(usize),
    /// A variable captured by name from the message, like `format!` does.
    Capture(Ident),
}

/// Where a value in the record comes from.
pub enum Slot {
    /// Rendered with `{}`: encoded by type and formatted by the writer.
    Arg(Value),
    /// Rendered with a format spec: formatted at the call site.
    Formatted { value: Value, spec: String },
    /// A `key = value` field (an index into `Plan::binds`).
    Field { bind: usize, sigil: Sigil },
}

/// The error attached to the event (`log_error!`'s operand or
/// `exc_info = …`).
pub struct Exc {
    /// Index into `Plan::binds`.
    pub bind: usize,
    pub backtrace: bool,
}

/// A field of the call: `key = value`, or a bare variable after the
/// message (`info!("msg", user_id)` records `user_id = user_id`).
struct FieldRef<'a> {
    key: String,
    key_tokens: &'a dyn ToTokens,
    sigil: Sigil,
}

pub fn check<'a>(cx: &Ctxt, call: &'a EventCall) -> Plan<'a> {
    let (target, sampling) = check_prefix(cx, call);
    let template = call.message.value();
    let parsed = template::parse(&template);
    let mut binds: Vec<&Expr> = Vec::new();
    let mut bind = |expr| {
        binds.push(expr);
        binds.len() - 1
    };
    // Positional arguments and fields, with their indices into `binds`.
    let mut positional: Vec<(usize, &Expr)> = Vec::new();
    let mut fields: Vec<(FieldRef<'a>, usize)> = Vec::new();
    // A positional argument no placeholder takes, and that is a bare
    // variable, is a field named after it.
    let taken = parsed.as_ref().map(|p| positional_refs(p)).ok();
    let shorthand = |index: usize, expr: &'a Expr| -> Option<&'a Ident> {
        let taken = taken.as_ref()?;
        if taken.contains(&index) {
            return None;
        }
        bare_variable(expr)
    };
    let mut exc = call.error.as_ref().map(|expr| Exc {
        bind: bind(expr),
        backtrace: false,
    });
    let mut flag: Option<&Ident> = None;
    for item in &call.items {
        match item {
            Item::Positional(expr) => match shorthand(positional.len(), expr) {
                Some(ident) => {
                    // Still counted as a positional argument, so that the
                    // indices of those after it do not move.
                    positional.push((usize::MAX, expr));
                    let key = ident.to_string();
                    let key = key.trim_start_matches("r#").to_owned();
                    push_field(
                        cx,
                        &mut fields,
                        FieldRef {
                            key,
                            key_tokens: ident,
                            sigil: Sigil::Auto,
                        },
                        bind(expr),
                    );
                }
                None => positional.push((bind(expr), expr)),
            },
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
                } else if exc.is_some() {
                    cx.error_spanned_by(
                        &field.key_tokens,
                        "duplicate field `exc_info`: an event carries one error",
                    );
                } else {
                    if field.sigil != Sigil::Auto {
                        cx.error_spanned_by(
                            &field.value,
                            "`exc_info` takes the error itself: write `exc_info = err`, without `%` or `?`",
                        );
                    }
                    // Attached with `exc_info = err`, an error always
                    // comes with a backtrace.
                    exc = Some(Exc {
                        bind: bind(&field.value),
                        backtrace: true,
                    });
                }
            }
            Item::Field(field) => {
                let f = FieldRef {
                    key: field.key.clone(),
                    key_tokens: &field.key_tokens,
                    sigil: field.sigil,
                };
                push_field(cx, &mut fields, f, bind(&field.value));
            }
        }
    }
    if let Some(exc) = &mut exc
        && flag.is_some()
    {
        exc.backtrace = true;
    }
    if sampling.is_some()
        && let Some((field, _)) = fields.iter().find(|(f, _)| f.key == SUPPRESSED)
    {
        cx.error_spanned_by(
            field.key_tokens,
            "a sampled call writes `suppressed` itself (the calls it skipped since its line before); rename this field",
        );
    }

    let Message { pieces, slots } = resolve_message(cx, call, parsed, &positional, &fields);
    let message_values = slots.len();
    let mut slots = slots;
    slots.extend(fields.iter().map(|(field, bind)| Slot::Field {
        bind: *bind,
        sigil: field.sigil,
    }));
    let pieces = pieces
        .into_iter()
        .map(|piece| match piece {
            MessagePiece::Lit(s) => PlanPiece::Lit(s),
            MessagePiece::Slot(i) => PlanPiece::Slot(i),
            MessagePiece::Field(k) => PlanPiece::Slot(message_values + k),
        })
        .collect();
    Plan {
        krate: &call.krate,
        level: &call.level,
        target,
        sampling,
        template,
        pieces,
        binds,
        slots,
        field_keys: fields.into_iter().map(|(f, _)| f.key).collect(),
        message_values,
        exc,
    }
}

/// The call's `key: value`s before the message: its target and its
/// sampling, each at most once.
fn check_prefix<'a>(cx: &Ctxt, call: &'a EventCall) -> (Option<&'a Expr>, Option<Sampling>) {
    let mut target: Option<&Expr> = None;
    let mut sampling: Option<(&Ident, Option<Sampling>)> = None;
    for PrefixKey { key, value } in &call.prefix {
        let name = key.to_string();
        match name.as_str() {
            "target" => {
                if target.is_some() {
                    cx.error_spanned_by(key, "duplicate `target`: a call has one logger name");
                    continue;
                }
                if !matches!(
                    value,
                    Expr::Path(_)
                        | Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(_),
                            ..
                        })
                ) {
                    cx.error_spanned_by(
                        value,
                        "the target must be a string literal or a constant, e.g. `target: \"audit\"`: it is the logger name of a call site known at compile time",
                    );
                }
                target = Some(value);
            }
            "every" | "first" | "per_sec" => {
                if let Some((first, _)) = sampling {
                    cx.error_spanned_by(
                        key,
                        format!(
                            "a call samples one way: it has `{first}:` already; keep one of `every`, `first` and `per_sec`"
                        ),
                    );
                    continue;
                }
                sampling = Some((key, sampling_limit(cx, &name, value)));
            }
            _ => cx.error_spanned_by(key, unknown_prefix_key(&name, value, &call.macro_name)),
        }
    }
    (target, sampling.and_then(|(_, s)| s))
}

/// The limit of `every: n`, `first: n` or `per_sec: n`: an integer
/// literal of at least 1 (`per_sec`: at most `u32::MAX`).
fn sampling_limit(cx: &Ctxt, name: &str, value: &Expr) -> Option<Sampling> {
    let example = match name {
        "every" => "`every: 100` writes the 1st, 101st, 201st … call",
        "first" => "`first: 10` writes the first ten calls",
        _ => "`per_sec: 5` writes at most five lines a second",
    };
    let Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(lit),
        ..
    }) = value
    else {
        cx.error_spanned_by(
            value,
            format!(
                "`{name}` takes an integer literal, not a constant or an expression (the limit is written into the call site): write the number itself; {example}"
            ),
        );
        return None;
    };
    let limit = match lit.base10_parse::<u64>() {
        Ok(0) => {
            cx.error_spanned_by(
                lit,
                format!(
                    "`{name}: 0` would write nothing: the smallest is `{name}: 1`; {example} (to silence a call, remove it or filter its level out)"
                ),
            );
            return None;
        }
        Ok(n) => n,
        Err(err) => {
            cx.error_spanned_by(
                lit,
                format!("`{name}` takes an integer from 1 to {}: {err}", u64::MAX),
            );
            return None;
        }
    };
    Some(match name {
        "every" => Sampling::Every(limit),
        "first" => Sampling::First(limit),
        _ => match u32::try_from(limit) {
            Ok(n) => Sampling::PerSec(n),
            Err(_) => {
                cx.error_spanned_by(
                    lit,
                    format!("`per_sec` takes at most {} lines a second", u32::MAX),
                );
                return None;
            }
        },
    })
}

/// What to say of `name: …` before the message when `name` is none of
/// [`PREFIX_KEYS`]: the one meant, when it is close to one.
fn unknown_prefix_key(name: &str, value: &Expr, macro_name: &Ident) -> String {
    let known = "before the message a call takes `target: \"name\"` and one of `every: N`, `first: N`, `per_sec: N`";
    let closest = PREFIX_KEYS
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .min()
        .filter(|(d, k)| *d <= 2 || (*d <= 3 && k.len() > 5))
        .map(|(_, k)| k);
    match closest {
        Some(k) => format!(
            "unknown key `{name}`: did you mean `{k}`? write `{macro_name}!({k}: {}, \"message\")`; {known}",
            value.to_token_stream()
        ),
        None => format!("unknown key `{name}`: {known}"),
    }
}

/// Levenshtein distance between two short names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Adds a field, unless its key is reserved or taken (then says so).
fn push_field<'a>(
    cx: &Ctxt,
    fields: &mut Vec<(FieldRef<'a>, usize)>,
    field: FieldRef<'a>,
    bind: usize,
) {
    if RESERVED.contains(&field.key.as_str()) {
        cx.error_spanned_by(
            field.key_tokens,
            format!(
                "`{}` is a standard key of every log line and cannot be a field; rename it (e.g. `{}_value = ...`)",
                field.key, field.key
            ),
        );
    } else if fields.iter().any(|(f, _)| f.key == field.key) {
        cx.error_spanned_by(
            field.key_tokens,
            format!("duplicate field `{}`: each key may appear once", field.key),
        );
    }
    fields.push((field, bind));
}

/// The positional arguments the message's placeholders take.
fn positional_refs(pieces: &[Piece]) -> Vec<usize> {
    let mut next = 0;
    let mut taken = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Arg {
                arg: ArgRef::Next, ..
            } => {
                taken.push(next);
                next += 1;
            }
            Piece::Arg {
                arg: ArgRef::Index(i),
                ..
            } => taken.push(*i),
            _ => {}
        }
    }
    taken
}

/// `user_id` (a plain path of one segment), not `user.id` or `f()`.
fn bare_variable(expr: &Expr) -> Option<&Ident> {
    match expr {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => p.path.get_ident(),
        Expr::Group(g) => bare_variable(&g.expr),
        _ => None,
    }
}

/// The message's slots, and its pieces before the field slots are placed
/// after them.
struct Message {
    pieces: Vec<MessagePiece>,
    slots: Vec<Slot>,
}

enum MessagePiece {
    Lit(String),
    Slot(usize),
    /// A field rendered with `{}`: its own slot (`k`-th field) serves.
    Field(usize),
}

/// Matches the message's placeholders with the call's arguments and fields.
fn resolve_message(
    cx: &Ctxt,
    call: &EventCall,
    parsed: Result<Vec<Piece>, String>,
    positional: &[(usize, &Expr)],
    fields: &[(FieldRef<'_>, usize)],
) -> Message {
    // An argument looks unused when the template could not be read; say
    // only what is wrong with the template then.
    let (parsed, template_ok) = match parsed {
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
                pieces.push(MessagePiece::Lit(s));
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
                Value::Bound(positional[index].0)
            }
            ArgRef::Name(name) => match fields.iter().position(|(f, _)| f.key == name) {
                Some(k) if spec.is_empty() => {
                    pieces.push(MessagePiece::Field(k));
                    continue;
                }
                Some(k) => Value::Bound(fields[k].1),
                // Like `format!`: an unknown name is captured from scope,
                // with the literal's span so it resolves at the call site.
                None => Value::Capture(Ident::new_raw_or_plain(&name, call.message.span())),
            },
        };
        let slot = if spec.is_empty() {
            find_or_push(&mut slots, Slot::Arg(value))
        } else {
            slots.push(Slot::Formatted { value, spec });
            slots.len() - 1
        };
        pieces.push(MessagePiece::Slot(slot));
    }
    for (&(bind, expr), used) in positional.iter().zip(used) {
        // `usize::MAX`: a bare variable recorded as a field.
        if template_ok && !used && bind != usize::MAX {
            cx.error_spanned_by(
                expr,
                "argument never used: the message has no `{}` placeholder for it; to record it as a field write `name = value`",
            );
        }
    }
    Message { pieces, slots }
}

/// The slot already holding `{}` of the same value, or a new one.
fn find_or_push(slots: &mut Vec<Slot>, slot: Slot) -> usize {
    let found = slots.iter().position(|s| match (s, &slot) {
        (Slot::Arg(Value::Bound(a)), Slot::Arg(Value::Bound(b))) => a == b,
        (Slot::Arg(Value::Capture(a)), Slot::Arg(Value::Capture(b))) => a == b,
        _ => false,
    });
    found.unwrap_or_else(|| {
        slots.push(slot);
        slots.len() - 1
    })
}

trait NewRawOrPlain {
    fn new_raw_or_plain(name: &str, span: Span) -> Ident;
}

impl NewRawOrPlain for Ident {
    fn new_raw_or_plain(name: &str, span: Span) -> Ident {
        match name.strip_prefix("r#") {
            Some(raw) => Ident::new_raw(raw, span),
            None => Ident::new(name, span),
        }
    }
}
