//! Compile-time behaviour of the macros: `pass.rs` (every case of `pass/`
//! as a module of one program) and `roots/` must compile (and run),
//! `fail/` must fail with exactly the pinned diagnostics. Regenerate the
//! `.stderr` files with `TRYBUILD=overwrite` and read the diff.
//!
//! A package of its own: trybuild builds the cases in a project that
//! depends on all of this package's dependencies, so they are only what
//! the cases use.

use std::path::Path;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("pass.rs");
    t.pass("roots/*.rs");
    t.compile_fail("fail/*.rs");
}

/// A case added to `pass/` but not to `pass.rs` would never be built.
#[test]
fn every_pass_case_is_in_the_program() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR"));
    let program = std::fs::read_to_string(ui.join("pass.rs")).expect("pass.rs");
    let mut cases = 0;
    for entry in std::fs::read_dir(ui.join("pass")).expect("pass/") {
        let name = entry.expect("an entry").file_name();
        let name = name.to_str().expect("a UTF-8 name");
        if let Some(stem) = name.strip_suffix(".rs") {
            cases += 1;
            let module = stem.replace('-', "_");
            assert!(
                program.contains(&format!("#[path = \"pass/{name}\"]\nmod {module};"))
                    && program.contains(&format!("    {module}::main();")),
                "pass/{name} is not a module of pass.rs, or its main is not called"
            );
        }
    }
    assert!(cases > 0, "no case in pass/");
}
