//! Every case of `pass/` as a module of one program, which runs each
//! case's `main` in turn: one build and link for all of them, where a
//! program per case took one build each (35 in a row, most of the
//! `ui` test's time). A case that must be its crate's root (it names
//! `crate::`) is a program of its own under `roots/`. `ui.rs` checks that
//! every file of `pass/` is listed here.

#[path = "pass/every-macro-form.rs"]
mod every_macro_form;
#[path = "pass/exc-info-forms.rs"]
mod exc_info_forms;
#[path = "pass/exc-info-no-implicit-prelude.rs"]
mod exc_info_no_implicit_prelude;
#[path = "pass/field-keys-raw-and-dotted.rs"]
mod field_keys_raw_and_dotted;
#[path = "pass/log-macros-no-implicit-prelude.rs"]
mod log_macros_no_implicit_prelude;
#[path = "pass/logged-async-fn.rs"]
mod logged_async_fn;
#[path = "pass/logged-async-trait-crate.rs"]
mod logged_async_trait_crate;
#[path = "pass/logged-const-generics.rs"]
mod logged_const_generics;
#[path = "pass/logged-deny-warnings-pedantic.rs"]
mod logged_deny_warnings_pedantic;
#[path = "pass/logged-destructured-args.rs"]
mod logged_destructured_args;
#[path = "pass/logged-early-return-and-question-mark.rs"]
mod logged_early_return_and_question_mark;
#[path = "pass/logged-every-level-name.rs"]
mod logged_every_level_name;
#[path = "pass/logged-every-option.rs"]
mod logged_every_option;
#[path = "pass/logged-extern-c-fn.rs"]
mod logged_extern_c_fn;
#[path = "pass/logged-generics.rs"]
mod logged_generics;
#[path = "pass/logged-impl-trait-arg.rs"]
mod logged_impl_trait_arg;
#[path = "pass/logged-impl-trait-return.rs"]
mod logged_impl_trait_return;
#[path = "pass/logged-lifetimes.rs"]
mod logged_lifetimes;
#[path = "pass/logged-mut-args.rs"]
mod logged_mut_args;
#[path = "pass/logged-native-async-trait.rs"]
mod logged_native_async_trait;
#[path = "pass/logged-no-implicit-prelude.rs"]
mod logged_no_implicit_prelude;
#[path = "pass/logged-receiver-box.rs"]
mod logged_receiver_box;
#[path = "pass/logged-receiver-mut-ref.rs"]
mod logged_receiver_mut_ref;
#[path = "pass/logged-receiver-pin.rs"]
mod logged_receiver_pin;
#[path = "pass/logged-receiver-ref.rs"]
mod logged_receiver_ref;
#[path = "pass/logged-receiver-self.rs"]
mod logged_receiver_self;
#[path = "pass/logged-recursion.rs"]
mod logged_recursion;
#[path = "pass/logged-returns-impl-future.rs"]
mod logged_returns_impl_future;
#[path = "pass/logged-self-in-body.rs"]
mod logged_self_in_body;
#[path = "pass/logged-sync-fn.rs"]
mod logged_sync_fn;
#[path = "pass/logged-trait-methods.rs"]
mod logged_trait_methods;
#[path = "pass/logged-unsafe-fn.rs"]
mod logged_unsafe_fn;
#[path = "pass/logged-where-clause.rs"]
mod logged_where_clause;
#[path = "pass/tracing-habits.rs"]
mod tracing_habits;

fn main() {
    every_macro_form::main();
    exc_info_forms::main();
    exc_info_no_implicit_prelude::main();
    field_keys_raw_and_dotted::main();
    log_macros_no_implicit_prelude::main();
    logged_async_fn::main();
    logged_async_trait_crate::main();
    logged_const_generics::main();
    logged_deny_warnings_pedantic::main();
    logged_destructured_args::main();
    logged_early_return_and_question_mark::main();
    logged_every_level_name::main();
    logged_every_option::main();
    logged_extern_c_fn::main();
    logged_generics::main();
    logged_impl_trait_arg::main();
    logged_impl_trait_return::main();
    logged_lifetimes::main();
    logged_mut_args::main();
    logged_native_async_trait::main();
    logged_no_implicit_prelude::main();
    logged_receiver_box::main();
    logged_receiver_mut_ref::main();
    logged_receiver_pin::main();
    logged_receiver_ref::main();
    logged_receiver_self::main();
    logged_recursion::main();
    logged_returns_impl_future::main();
    logged_self_in_body::main();
    logged_sync_fn::main();
    logged_trait_methods::main();
    logged_unsafe_fn::main();
    logged_where_clause::main();
    tracing_habits::main();
}
