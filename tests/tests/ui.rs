//! Compile-time behaviour of the macros: `ui/pass` must compile (and run),
//! `ui/fail` must fail with exactly the pinned diagnostics. Regenerate the
//! `.stderr` files with `TRYBUILD=overwrite` and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
