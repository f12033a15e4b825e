//! Compile-time behaviour of the macros: `ui/pass.rs` (every case of
//! `ui/pass/` as a module of one program) and `ui/roots/` must compile
//! (and run), `ui/fail` must fail with exactly the pinned diagnostics.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite` and read the
//! diff.

use std::path::Path;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass.rs");
    t.pass("ui/roots/*.rs");
    t.compile_fail("ui/fail/*.rs");
}

/// A case added to `ui/pass/` but not to `ui/pass.rs` would never be
/// built.
#[test]
fn every_pass_case_is_in_the_program() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let program = std::fs::read_to_string(ui.join("pass.rs")).expect("ui/pass.rs");
    let mut cases = 0;
    for entry in std::fs::read_dir(ui.join("pass")).expect("ui/pass") {
        let name = entry.expect("an entry").file_name();
        let name = name.to_str().expect("a UTF-8 name");
        if let Some(stem) = name.strip_suffix(".rs") {
            cases += 1;
            let module = stem.replace('-', "_");
            assert!(
                program.contains(&format!("#[path = \"pass/{name}\"]\nmod {module};"))
                    && program.contains(&format!("    {module}::main();")),
                "ui/pass/{name} is not a module of ui/pass.rs, or its main is not called"
            );
        }
    }
    assert!(cases > 0, "no case in ui/pass");
}
